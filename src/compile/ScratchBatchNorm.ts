import * as tf from '@tensorflow/tfjs';
import { BatchNormBase, type BatchNormBaseArgs } from './BatchNormBase.js';

/** The constructor arguments of netc's batch-norm layer; `getConfig()` returns exactly these. */
export type ScratchBatchNormArgs = BatchNormBaseArgs;

/** The name the layer is saved under in `model.json` (as `Custom>NetcBatchNorm`). */
export const scratchBatchNormClassName = 'NetcBatchNorm';

/**
 * Batch normalisation written from the seed's formulas (d2l's from-scratch `batch_norm`), on a channels-last
 * tensor: per feature on [N, F], per channel on [N, H, W, C]; the statistics axis is always the last one.
 *
 * Training: y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch mean and biased variance, and the moving
 * statistics move towards them once per call. Inference: the same with the moving statistics.
 * The training gradient is derived by hand (see `normaliseInTraining`): autodiff through the broadcasts would
 * materialise [C]-sized tensors at full size (tfjs's own batch-norm gradient tiles them), which is slow on wasm.
 */
export class ScratchBatchNorm extends BatchNormBase {
  static readonly className = scratchBatchNormClassName;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 2 && shape.length !== 4) {
      throw new Error(`${this.name} expects a [N, F] or [N, H, W, C] input, got rank ${shape.length}`);
    }
    const features = shape[shape.length - 1];
    if (features === null || features === undefined) throw new Error(`${this.name} needs a known feature count`);
    this.addBatchNormWeights(features);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { gamma, beta, movingMean, movingVariance } = this.variables();
      // Both modes work on the [M, C] view (a free reshape): one row per value of every feature.
      const features = x.shape[x.shape.length - 1]!;
      const rows = tf.reshape(x, [x.size / features, features]);
      const y = kwargs['training'] === true
        ? this.normaliseInTraining(rows, gamma.read(), beta.read())
        : tf.batchNorm(rows, movingMean.read(), movingVariance.read(), beta.read(), gamma.read(), this.epsilon);
      return tf.reshape(y, x.shape);
    });
  }

  /**
   * Batch statistics, the moving-average update, and the normalisation as one differentiable op, on [M, C].
   *
   * With xhat = (x - mean) * invStd and sums over the M rows:
   *   dbeta = sum(dy), dgamma = sum(dy * xhat), dx = gamma * invStd * (dy - (dbeta + xhat * dgamma) / M).
   * Every [C] factor broadcasts along the rows, so nothing is tiled (tfjs's own batch-norm gradient tiles).
   */
  private normaliseInTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
    const count = x.shape[0]!;
    // Per-feature sums reduce the leading axis of the [M, C] view, which netc's backend kernels do in one pass
    // (src/backend/kernels/reduce.ts); tfjs's own transposes first. A product with a row of ones looked faster
    // in isolation but packs the whole tensor for XNNPACK on every call.
    const sumRows = (t: tf.Tensor): tf.Tensor => tf.sum(t, 0);

    // The statistics are computed outside the custom op, which closes over them: a custom op's forward pass must
    // leave nothing behind but its output (tfjs counts leftovers as leaks in its test mode), and the moving
    // statistics outlive it.
    // Under a gradient tape these ops are recorded, but no path from them reaches the loss, so backprop skips them.
    const mean = tf.div(sumRows(x), count);
    // Two passes (mean, then squares about it) rather than E[x^2] - mean^2, which cancels badly in float32.
    const variance = tf.div(sumRows(tf.squaredDifference(x, mean)), count);
    const invStd = tf.rsqrt(tf.add(variance, this.epsilon));
    this.updateMovingStatistics(mean, variance);

    // customGrad passes its inputs and then the save function in one rest parameter.
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [, gammaIn, betaIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const xhat = standardise(x, mean, variance, invStd, this.epsilon);
      save([xhat, tf.mul(gammaIn, invStd)]);
      return {
        value: affine(xhat, gammaIn, betaIn),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xhatSaved, scale] = saved as [tf.Tensor, tf.Tensor];
          const dbeta = tf.sum(dy, 0);
          const dgamma = tf.sum(tf.mul(dy, xhatSaved), 0);
          const perXhat = tf.mul(scale, tf.div(dgamma, -count));
          const offset = tf.mul(scale, tf.div(dbeta, -count));
          const dx = tf.add(affine(dy, scale, null), affine(xhatSaved, perXhat, offset));
          return [dx, dgamma, dbeta];
        },
      };
    });
    return op(x, gamma, beta);
  }

  /** moving = momentum * moving + (1 - momentum) * batch, the seed's update, for mean and variance. */
  private updateMovingStatistics(mean: tf.Tensor, variance: tf.Tensor): void {
    const { movingMean, movingVariance } = this.variables();
    const m = this.momentum;
    tf.tidy(() => {
      movingMean.write(tf.add(tf.mul(movingMean.read(), m), tf.mul(mean, 1 - m)));
      movingVariance.write(tf.add(tf.mul(movingVariance.read(), m), tf.mul(variance, 1 - m)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}


/**
 * t * scale + shift per feature (the last axis), either factor optional. On the cpu backend tfjs's batch-norm
 * kernel (mean 0, variance 1, epsilon 0) does it in one pass, 3 times faster than a broadcast multiply and add;
 * on wasm the multiply and add are faster than its batch-norm kernel.
 */
function affine(t: tf.Tensor, scale: tf.Tensor | null, shift: tf.Tensor | null): tf.Tensor {
  if (tf.getBackend() === 'cpu') {
    const features = t.shape[t.shape.length - 1]!;
    const zeros = tf.zeros([features]);
    const ones = tf.ones([features]);
    // Explicit tensors, never undefined: under a gradient tape tfjs saves the scale and fails on a missing one.
    return tf.batchNorm(t, zeros, ones, shift ?? zeros, scale ?? ones, 0);
  }
  const scaled = scale === null ? t : tf.mul(t, scale);
  return shift === null ? scaled : tf.add(scaled, shift);
}

/** (x - mean) * invStd per feature, subtracting first (no cancellation when the mean is large), as `affine` picks. */
function standardise(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, invStd: tf.Tensor, epsilon: number): tf.Tensor {
  if (tf.getBackend() === 'cpu') return tf.batchNorm(x, mean, variance, undefined, undefined, epsilon);
  return tf.mul(tf.sub(x, mean), invStd);
}
