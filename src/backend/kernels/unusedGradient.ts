import * as tf from '@tensorflow/tfjs';

/*
 * A model's first convolution or dense layer reads the input images, which nothing trains: the gradient
 * with respect to that input is thrown away. tfjs computes it all the same (the fused convolution's and
 * matmul's gradient functions make every gradient at once), and for LeNet it is the costliest gradient of
 * the step. While a training step computes its gradients, the kernels that would make it (Conv2DBackpropInput
 * and the transposed BatchMatMul) see these weights and return zeros instead.
 */

const skipped = new Set<tf.DataId>();

/**
 * Runs `f` (a gradient computation) with the input gradients of the layers owning these weights replaced by
 * zeros. Weights are matched by their storage, so the rule covers exactly these layers, only while `f` runs.
 */
export function withoutInputGradient<T>(weights: readonly tf.Tensor[], f: () => T): T {
  const added = weights.map((t) => t.dataId).filter((id) => !skipped.has(id));
  for (const id of added) skipped.add(id);
  try {
    return f();
  } finally {
    for (const id of added) skipped.delete(id);
  }
}

/** Whether the gradient kernel reading this weight may answer with zeros. */
export function isInputGradientSkipped(weight: tf.TensorInfo): boolean {
  return skipped.has(weight.dataId);
}
