import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * tfjs clones a tensor (Identity) for every value a gradient needs later, ~140 times in a LeNet-BN step.
 * wasm's Identity copies the data; tensors are immutable (a Variable's assign swaps its storage, never
 * writes into it), so the clone can share the storage and count one more reference, as the cpu backend's
 * Identity and wasm's own Reshape do. Sharing also lets unusedGradient.ts recognise a saved weight.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** The parts of the wasm backend that sharing needs. */
interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

function hasIncRef(backend: object): backend is RefCounting {
  return typeof (backend as Partial<RefCounting>).incRef === 'function';
}

function wasmKernel(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string' || !hasIncRef(args.backend)) {
    return flatBackend(args.backend, 'wasm').run('Identity', { x }, args.attrs);
  }
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** netc's Identity for wasm: shares storage instead of copying. */
export const identityKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'Identity', backendName: 'wasm', kernelFunc: wasmKernel },
];

/**
 * Cast to the dtype a tensor already has (tfjs-layers casts every pooling input to float32, among others): wasm's
 * Cast copies the data (0.3 ms for LeNet's first feature map); shared storage is the same tensor. Other casts are
 * the backend's. A fast-path kernel.
 */
function wasmCast(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  if (x.dtype !== dtype || x.dtype === 'string' || !hasIncRef(args.backend)) {
    return flatBackend(args.backend, 'wasm').run('Cast', { x }, args.attrs);
  }
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** netc's Cast for wasm: a cast to the same dtype shares storage. */
export const castKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'Cast', backendName: 'wasm', kernelFunc: wasmCast },
];
