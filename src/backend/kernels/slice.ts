import * as tf from '@tensorflow/tfjs';
import { copyBox } from './copyBox.js';
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
  if (shape.length === 0) out[0] = x[0] ?? 0;
  else copyBox(x, shape, begin, out, size, size.map(() => 0), size);
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
