import * as tf from '@tensorflow/tfjs';
import { copyBox } from './copyBox.js';
import { flatBackend } from './flat.js';

/*
 * PadV2 (constant padding) by row copies. wasm's own kernel works element by element (0.6 ms a call for the zero
 * padding before each strided convolution in resnet-mini); the output is filled with the constant once and the
 * input copied in as runs that are contiguous in both tensors (the trailing unpadded axes, then one axis more).
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** Writes x (shape `shape`) into `out` (shape shape + padding) at offsets `before`, the rest `value`. */
export function padInto(x: Float32Array, shape: readonly number[], before: readonly number[], after: readonly number[], value: number, out: Float32Array): void {
  out.fill(value);
  if (shape.length === 0) out[0] = x[0]!;
  else if (x.length > 0) copyBox(x, shape, shape.map(() => 0), out, shape.map((d, i) => d + before[i]! + after[i]!), before, shape);
}

function kernel(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.PadV2Attrs;
  const fb = flatBackend(args.backend, 'wasm');
  if (x.dtype !== 'float32' || attrs.paddings.some(([b, a]) => b < 0 || a < 0)) return fb.run('PadV2', args.inputs as Record<string, tf.TensorInfo>, args.attrs);
  const before = attrs.paddings.map(([b]) => b);
  const after = attrs.paddings.map(([, a]) => a);
  const out = fb.alloc(x.shape.map((d, i) => d + before[i]! + after[i]!));
  padInto(fb.view(x), x.shape, before, after, attrs.constantValue, fb.view(out));
  return out;
}

/** netc's PadV2 for wasm (float32; other types go to the backend's own). */
export const padKernels: readonly tf.KernelConfig[] = [{ kernelName: 'PadV2', backendName: 'wasm', kernelFunc: kernel }];
