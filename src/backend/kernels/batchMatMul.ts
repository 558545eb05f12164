import * as tf from '@tensorflow/tfjs';
import { flatBackend, originalKernel } from './flat.js';
import { isInputGradientSkipped } from './unusedGradient.js';

/*
 * wasm's BatchMatMul uses XNNPACK only when neither operand is transposed; with a transposed operand it
 * falls back to a scalar loop, 10x slower (7 ms against 0.8 ms for a dense layer's [256, 120] x [120, 256]
 * gradient). Both gradients of a dense layer multiply by a transpose, so the transpose is made explicit.
 * On both backends, dy x W^T for a first dense layer (its unused input gradient) answers zeros.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** Zeros shaped like dy x W^T when W belongs to a layer whose input gradient nobody reads. */
function zerosIfSkipped(args: KernelArgs, name: 'wasm' | 'cpu'): tf.TensorInfo | undefined {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (attrs.transposeA || !attrs.transposeB || !isInputGradientSkipped(b)) return undefined;
  const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const fb = flatBackend(args.backend, name);
  const out = fb.alloc([...batch, a.shape[a.shape.length - 2]!, b.shape[b.shape.length - 2]!]);
  fb.view(out).fill(0);
  return out;
}

function wasmKernel(args: KernelArgs): tf.TensorInfo {
  const skippedResult = zerosIfSkipped(args, 'wasm');
  if (skippedResult !== undefined) return skippedResult;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
  const fb = flatBackend(args.backend, 'wasm');
  if (!attrs.transposeA && !attrs.transposeB) return fb.run('BatchMatMul', { a, b }, args.attrs);
  const at = attrs.transposeA ? fb.run('Transpose', { x: a }, { perm: swapLastTwo(a.shape.length) }) : a;
  const bt = attrs.transposeB ? fb.run('Transpose', { x: b }, { perm: swapLastTwo(b.shape.length) }) : b;
  const out = fb.run('BatchMatMul', { a: at, b: bt }, { transposeA: false, transposeB: false });
  if (at !== a) fb.dispose(at);
  if (bt !== b) fb.dispose(bt);
  return out;
}

function cpuKernel(args: KernelArgs): tf.TensorInfo {
  const skippedResult = zerosIfSkipped(args, 'cpu');
  if (skippedResult !== undefined) return skippedResult;
  const own = originalKernel('BatchMatMul', 'cpu');
  if (own === undefined) throw new Error('netc kernels: the cpu backend has no BatchMatMul kernel');
  return own.kernelFunc(args) as tf.TensorInfo;
}

/** netc's BatchMatMul: on wasm transposed operands are transposed first so that XNNPACK multiplies. */
export const batchMatMulKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: wasmKernel },
  { kernelName: 'BatchMatMul', backendName: 'cpu', kernelFunc: cpuKernel },
];
