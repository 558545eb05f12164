import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * Sum and Mean over the leading axes (a channels-last map reduced to one value per channel, the
 * batch-norm statistics and every bias gradient). Both backends first transpose the reduced axes to the
 * end, a full copy; here each channel is summed in place with a float64 accumulator, a block of rows at
 * a time so that the strided reads stay in cache.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** Sums the rows of x viewed as [rows, cols] into out[cols] (float64 accumulation), divided by divisor. */
export function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array, divisor: number): void {
  const acc = new Float64Array(cols);
  const blockRows = Math.max(1, Math.floor(16384 / cols));
  for (let r0 = 0; r0 < rows; r0 += blockRows) {
    const end = Math.min(rows, r0 + blockRows) * cols;
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let o = r0 * cols + c; o < end; o += cols) s += x[o]!;
      acc[c] = acc[c]! + s;
    }
  }
  for (let c = 0; c < cols; c++) out[c] = acc[c]! / divisor;
}

/** How many leading axes `axis` reduces, or -1 when it reduces anything else. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(tf.util.parseAxisParam(axis, new Array<number>(rank).fill(1)))].sort((p, q) => p - q);
  return axes.every((a, i) => a === i) ? axes.length : -1;
}

function kernel(kernelName: 'Sum' | 'Mean', name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const fb = flatBackend(args.backend, name);
    const lead = leadingAxes(axis, x.shape.length);
    const size = tf.util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || lead <= 0 || size === 0) {
      return fb.run(kernelName, { x }, args.attrs);
    }
    const rows = tf.util.sizeFromShape(x.shape.slice(0, lead));
    const kept = x.shape.slice(lead);
    const outShape = keepDims ? [...new Array<number>(lead).fill(1), ...kept] : kept;
    const out = fb.alloc(outShape);
    sumRows(fb.view(x), rows, size / rows, fb.view(out), kernelName === 'Mean' ? rows : 1);
    return out;
  };
}

/** netc's Sum and Mean over leading axes for wasm and cpu (other reductions go to the backend's own). */
export const reduceKernels: readonly tf.KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((backendName) =>
  (['Sum', 'Mean'] as const).map((kernelName) => ({ kernelName, backendName, kernelFunc: kernel(kernelName, backendName) })),
);
