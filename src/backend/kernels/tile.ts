import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * Tile by block copies. wasm's and cpu's own kernels compute a source index per output element (54 ms to
 * spread 6 numbers over a [256, 24, 24, 6] map, in the batch-norm gradient); every output here is made of
 * whole rows of the input, so each level copies the block below it and then doubles it with copyWithin.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** Writes `x` (shape `shape`) tiled `reps` times into `out`; both flat, row-major. */
export function tileInto(x: Float32Array, inShape: readonly number[], inReps: readonly number[], out: Float32Array): void {
  const { shape, reps } = mergeAxes(inShape, inReps);
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0] ?? 0;
    return;
  }
  const inStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  let si = 1;
  let so = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = si;
    outStrides[d] = so;
    si *= shape[d]!;
    so *= shape[d]! * reps[d]!;
  }
  const fill = (d: number, inOff: number, outOff: number): void => {
    const n = shape[d]!;
    // One copy of this level's input block, then doubled until the repetitions are all there.
    if (d === rank - 1) {
      out.set(x.subarray(inOff, inOff + n), outOff);
    } else {
      for (let i = 0; i < n; i++) fill(d + 1, inOff + i * inStrides[d]!, outOff + i * outStrides[d]!);
    }
    const block = n * outStrides[d]!;
    const total = block * reps[d]!;
    let done = block;
    while (done < total) {
      const len = Math.min(done, total - done);
      out.copyWithin(outOff + done, outOff, outOff + len);
      done += len;
    }
  };
  fill(0, 0, 0);
}

/**
 * Fewer, longer axes with the same result: an axis followed by one that is not repeated merges into it
 * (tiling [a, b] by [r, 1] repeats the whole a*b block r times), and axes of length 1 that are not repeated go.
 */
function mergeAxes(shape: readonly number[], reps: readonly number[]): { shape: number[]; reps: number[] } {
  const outShape: number[] = [];
  const outReps: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    const r = reps[d]!;
    if (n === 1 && r === 1) continue;
    if (outShape.length > 0 && outReps[0] === 1) {
      outShape[0] = outShape[0]! * n;
      outReps[0] = r;
    } else {
      outShape.unshift(n);
      outReps.unshift(r);
    }
  }
  return { shape: outShape, reps: outReps };
}

function kernel(name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    const fb = flatBackend(args.backend, name);
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(outShape) === 0) {
      return fb.run('Tile', args.inputs as Record<string, tf.TensorInfo>, args.attrs);
    }
    const out = fb.alloc(outShape);
    tileInto(fb.view(x), x.shape, reps, fb.view(out));
    return out;
  };
}

/** netc's Tile for wasm and cpu (float32; other types go to the backend's own). */
export const tileKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'Tile', backendName: 'wasm', kernelFunc: kernel('wasm') },
  { kernelName: 'Tile', backendName: 'cpu', kernelFunc: kernel('cpu') },
];
