import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * Slice by row copies. wasm's own kernel works element by element (4 ms a call for the gradient of the zero padding
 * before a strided convolution in resnet-mini: a [256, 16, 16, 16] map cut to [256, 14, 14, 16]); whatever a slice
 * keeps is made of runs that are contiguous in both tensors (the trailing axes kept whole, and the run along the
 * last axis that is cut), so it is copied one run at a time.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** Writes x[begin .. begin + size) (x of shape `shape`, both flat and row-major) into `out`. */
export function sliceInto(x: Float32Array, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Float32Array): void {
  const rank = shape.length;
  // The innermost axis that is cut: everything after it is whole, so its runs are contiguous.
  let cut = rank - 1;
  while (cut > 0 && begin[cut] === 0 && size[cut] === shape[cut]) cut--;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  const run = size[cut]! * strides[cut]!;
  let at = 0;
  const copy = (d: number, offset: number): void => {
    if (d === cut) {
      const from = offset + begin[d]! * strides[d]!;
      out.set(x.subarray(from, from + run), at);
      at += run;
      return;
    }
    for (let i = 0; i < size[d]!; i++) copy(d + 1, offset + (begin[d]! + i) * strides[d]!);
  };
  if (rank === 0) out[0] = x[0] ?? 0;
  else copy(0, 0);
}

function kernel(name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.SliceAttrs;
    const fb = flatBackend(args.backend, name);
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin, attrs.size);
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(size) === 0) return fb.run('Slice', args.inputs as Record<string, tf.TensorInfo>, args.attrs);
    const out = fb.alloc([...size]);
    sliceInto(fb.view(x), x.shape, begin, size, fb.view(out));
    return out;
  };
}

/** netc's Slice for wasm (float32; other types and empty results go to the backend's own). */
export const sliceKernels: readonly tf.KernelConfig[] = [{ kernelName: 'Slice', backendName: 'wasm', kernelFunc: kernel('wasm') }];
