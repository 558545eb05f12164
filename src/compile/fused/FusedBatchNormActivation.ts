import * as tf from '@tensorflow/tfjs';
import { isBnImpl, type BnImpl } from '../../ir/catalogue.js';
import { bnInferKernel, bnTrainKernel, movingAverageKernel } from '../../backend/simd/kernels.js';
import type { FusedActivation } from '../../backend/simd/module.js';
import { BatchNormBase, type BatchNormBaseArgs } from '../BatchNormBase.js';

/** The constructor arguments of the fused layer; `getConfig()` returns exactly these. */
export interface FusedBatchNormActivationArgs extends BatchNormBaseArgs {
  /** The activation applied to the normalised values: what the `bn` was followed by, or `linear`. */
  readonly activation: FusedActivation;
  /**
   * Which `bn impl=` this stands for. Both normalise with the same formulas; they differ only in how the moving
   * statistics are rounded (tfjs's layer computes moving - (moving - batch) * (1 - momentum)), kept here so that
   * the fast path moves them exactly as the layer it replaces.
   */
  readonly impl: BnImpl;
}

/** The name the layer is saved under in `model.json` (as `Custom>NetcFusedBatchNormActivation`). */
export const fusedBatchNormClassName = 'NetcFusedBatchNormActivation';

const activations: readonly FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];

/**
 * Batch normalisation and the activation after it as one layer, for netc's fast path: on the wasm and cpu
 * backends one SIMD kernel computes the batch statistics, normalises and activates (one more makes the
 * gradient, see src/backend/simd/assembly/channels.ts), where the separate layers take about thirty kernel
 * calls. Its weights are the batch-norm layer's (same names, same order), so checkpoints and `netc inspect` read it
 * alike. On any other backend it computes the same thing with tfjs ops.
 */
export class FusedBatchNormActivation extends BatchNormBase {
  static readonly className = fusedBatchNormClassName;
  readonly activation: FusedActivation;
  readonly impl: BnImpl;

  constructor(args: FusedBatchNormActivationArgs) {
    super(args);
    if (!activations.includes(args.activation)) throw new Error(`unknown activation '${String(args.activation)}'`);
    if (!isBnImpl(args.impl)) throw new Error(`impl must be builtin or scratch, got '${String(args.impl)}'`);
    this.activation = args.activation;
    this.impl = args.impl;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1];
    if (shape.length < 2 || features === null || features === undefined) {
      throw new Error(`${this.name} needs an input with a known last axis, got ${JSON.stringify(shape)}`);
    }
    this.addBatchNormWeights(features);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { gamma, beta, movingMean, movingVariance } = this.variables();
      const attrs = { epsilon: this.epsilon, activation: this.activation };
      const fused = tf.getKernel(bnTrainKernel, tf.getBackend()) !== undefined;
      if (kwargs['training'] !== true) {
        if (fused) {
          const inputsMap = { x, gamma: gamma.read(), beta: beta.read(), mean: movingMean.read(), variance: movingVariance.read() };
          return tf.engine().runKernel(bnInferKernel, inputsMap, attrs) as tf.Tensor;
        }
        return activate(tf.batchNorm(x, movingMean.read(), movingVariance.read(), beta.read(), gamma.read(), this.epsilon), this.activation);
      }
      let y: tf.Tensor;
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (fused) {
        [y, mean, variance] = tf.engine().runKernel(bnTrainKernel, { x, gamma: gamma.read(), beta: beta.read() }, attrs) as tf.Tensor[] as [tf.Tensor, tf.Tensor, tf.Tensor];
      } else {
        const axes = x.shape.map((_, i) => i).slice(0, -1);
        ({ mean, variance } = tf.moments(x, axes));
        y = activate(tf.batchNorm(x, mean, variance, beta.read(), gamma.read(), this.epsilon), this.activation);
      }
      this.updateMovingStatistics(mean, variance, fused);
      return y;
    });
  }

  /** The moving statistics move once per training call, by the rule of the layer this replaces (`impl`). */
  private updateMovingStatistics(mean: tf.Tensor, variance: tf.Tensor, fused: boolean): void {
    const { movingMean, movingVariance } = this.variables();
    tf.tidy(() => {
      const m = this.momentum;
      const stats = { movingMean: movingMean.read(), movingVariance: movingVariance.read(), mean, variance };
      if (fused) {
        const [newMean, newVariance] = tf.engine().runKernel(movingAverageKernel, stats, { momentum: m, rule: this.impl }) as tf.Tensor[];
        movingMean.write(newMean!);
        movingVariance.write(newVariance!);
        return;
      }
      const move = (moving: tf.Tensor, batch: tf.Tensor): tf.Tensor =>
        this.impl === 'builtin' ? tf.sub(moving, tf.mul(tf.sub(moving, batch), 1 - m)) : tf.add(tf.mul(moving, m), tf.mul(batch, 1 - m));
      movingMean.write(move(stats.movingMean, mean));
      movingVariance.write(move(stats.movingVariance, variance));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, activation: this.activation, impl: this.impl };
  }
}


/** The activation with tfjs ops (the fallback on backends without netc's kernels). */
function activate(z: tf.Tensor, activation: FusedActivation): tf.Tensor {
  if (activation === 'relu') return tf.relu(z);
  if (activation === 'sigmoid') return tf.sigmoid(z);
  if (activation === 'tanh') return tf.tanh(z);
  return z;
}
