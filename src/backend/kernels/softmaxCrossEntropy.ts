import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * The training step's loss as one kernel (the fast path): softmax cross-entropy of logits [B, K] against class
 * indices, averaged over the batch (PyTorch's CrossEntropyLoss), with the summed loss and the hit count for the
 * progress line in the same call. tfjs's composition (one-hot, log-softmax, products, sums, argMax, equal, cast,
 * stack) takes about twenty kernel calls forward and as many backward, each on a [256, 10] tensor that costs
 * nothing to compute: the cost is the calls. Here: one forward, one backward.
 */

/**
 * Kernel name: inputs logits [B, K] float32 and labels [B] int32; outputs the mean loss (a scalar) and [sum, hits].
 * Attribute `divisor` (default B): what the summed loss is divided by; a data-parallel step passes the whole
 * batch's size, so that the workers' gradients add up to the whole batch's.
 */
export const softmaxCrossEntropyKernel = 'NetcSoftmaxCrossEntropy';
/** Kernel name: inputs logits, labels and dy (the mean loss's gradient, a scalar); output d logits. */
export const softmaxCrossEntropyGradKernel = 'NetcSoftmaxCrossEntropyGrad';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

/** The labels' values, whichever typed array the backend keeps them in. */
function labelsOf(backend: object, name: 'wasm' | 'cpu', labels: tf.TensorInfo): ArrayLike<number> {
  if (name === 'wasm') {
    return (backend as { typedArrayFromHeap(info: tf.TensorInfo): ArrayLike<number> }).typedArrayFromHeap(labels);
  }
  return (backend as { data: { get(id: tf.DataId): { values: ArrayLike<number> } } }).data.get(labels.dataId).values;
}

/**
 * Per row: the log-sum-exp about the row's largest logit (no overflow), and the first largest logit's index
 * (tf.argMax's rule on ties); in float64.
 */
function rowStats(z: Float32Array, row: number, k: number): { lse: number; best: number } {
  let best = 0;
  let max = z[row * k]!;
  for (let j = 1; j < k; j++) {
    if (z[row * k + j]! > max) {
      max = z[row * k + j]!;
      best = j;
    }
  }
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(z[row * k + j]! - max);
  return { lse: max + Math.log(s), best };
}

function forward(name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo[] => {
    const { logits, labels } = args.inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
    const fb = flatBackend(args.backend, name);
    const [b, k] = logits.shape as [number, number];
    const y = labelsOf(args.backend, name, labels);
    const z = fb.view(logits);
    let sum = 0;
    let hits = 0;
    for (let i = 0; i < b; i++) {
      const label = y[i]!;
      if (!(label >= 0 && label < k)) throw new Error(`netc softmax cross-entropy: label ${label} of row ${i} is not a class of ${k}`);
      const { lse, best } = rowStats(z, i, k);
      sum += lse - z[i * k + label]!;
      if (best === label) hits += 1;
    }
    const loss = fb.alloc([]);
    const divisor = (args.attrs as { divisor?: number } | undefined)?.divisor ?? b;
    fb.view(loss)[0] = divisor > 0 ? sum / divisor : 0;
    const stats = fb.alloc([2]);
    fb.view(stats).set([sum, hits]);
    return [loss, stats];
  };
}

function backward(name: 'wasm' | 'cpu') {
  return (args: KernelArgs): tf.TensorInfo => {
    const { logits, labels, dy } = args.inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo; dy: tf.TensorInfo };
    const fb = flatBackend(args.backend, name);
    const [b, k] = logits.shape as [number, number];
    const divisor = (args.attrs as { divisor?: number } | undefined)?.divisor ?? b;
    const g = fb.view(dy)[0]! / divisor;
    const dx = fb.alloc([b, k]);
    // Views taken after the allocation: on wasm it may grow the heap and detach earlier views.
    const y = labelsOf(args.backend, name, labels);
    const z = fb.view(logits);
    const out = fb.view(dx);
    for (let i = 0; i < b; i++) {
      const { lse } = rowStats(z, i, k);
      for (let j = 0; j < k; j++) out[i * k + j] = g * (Math.exp(z[i * k + j]! - lse) - (j === y[i] ? 1 : 0));
    }
    return dx;
  };
}

/** d loss / d logits = dy * (softmax(logits) - onehot(labels)) / divisor; labels take no gradient (they are not trained). */
export const softmaxCrossEntropyGrad: tf.GradConfig = {
  kernelName: softmaxCrossEntropyKernel,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dys, saved, attrs) => {
    const [logits, labels] = saved as [tf.Tensor, tf.Tensor];
    const dy = (dys as tf.Tensor[])[0]!;
    const dx = tf.engine().runKernel(softmaxCrossEntropyGradKernel, { logits, labels, dy }, attrs) as tf.Tensor;
    return { logits: () => dx };
  },
};

/** The loss kernels for wasm and cpu. */
export const softmaxCrossEntropyKernels: readonly tf.KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((backendName) => [
  { kernelName: softmaxCrossEntropyKernel, backendName, kernelFunc: forward(backendName) as unknown as tf.KernelFunc },
  { kernelName: softmaxCrossEntropyGradKernel, backendName, kernelFunc: backward(backendName) },
]);
