import * as tf from '@tensorflow/tfjs';
import { bnGradKernel, bnInferKernel, bnTrainKernel, type BatchNormAttrs } from './kernels.js';

/*
 * Gradients of netc's fused batch-norm kernels. Both run the one gradient kernel (two passes over dy, y and x,
 * src/backend/simd/assembly/channels.ts) and hand out its three outputs.
 */

function gradKernel(dy: tf.Tensor, y: tf.Tensor, x: tf.Tensor, gamma: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, attrs: tf.NamedAttrMap, training: boolean) {
  const { epsilon, activation } = attrs as unknown as BatchNormAttrs;
  return tf.engine().runKernel(bnGradKernel, { dy, y, x, gamma, mean, variance }, { epsilon, activation, training }) as tf.Tensor[] as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** Training mode: the batch statistics are functions of x, so dx carries their gradient too. */
const bnTrainGrad: tf.GradConfig = {
  kernelName: bnTrainKernel,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, y, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // The statistics outputs feed only the moving averages: their dy is zeros and adds nothing.
    const dy = (dys as tf.Tensor[])[0]!;
    const [dx, dgamma, dbeta] = gradKernel(dy, y, x, gamma, mean, variance, attrs, true);
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/**
 * Inference mode (fixed statistics): dx = dz * gamma * r, and for the statistics themselves
 * dmean = -gamma * r * sum(dz), dvariance = -gamma * r^3 * sum(dz * (x - mean)) / 2, from dbeta and dgamma.
 */
const bnInferGrad: tf.GradConfig = {
  kernelName: bnInferKernel,
  inputsToSave: ['x', 'gamma', 'mean', 'variance'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma, mean, variance, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [dx, dgamma, dbeta] = gradKernel(dy as tf.Tensor, y, x, gamma, mean, variance, attrs, false);
    const { epsilon } = attrs as unknown as BatchNormAttrs;
    const r = tf.rsqrt(tf.add(variance, epsilon));
    return {
      x: () => dx,
      gamma: () => dgamma,
      beta: () => dbeta,
      mean: () => tf.neg(tf.mul(tf.mul(gamma, r), dbeta)),
      variance: () => tf.mul(tf.mul(tf.mul(gamma, tf.mul(r, r)), dgamma), -0.5),
    };
  },
};

/** Gradient functions of netc's own kernels (registered with them). */
export const simdGradients: readonly tf.GradConfig[] = [bnTrainGrad, bnInferGrad];
