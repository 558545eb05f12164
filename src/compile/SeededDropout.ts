import * as tf from '@tensorflow/tfjs';

/** Configuration of the seeded dropout layer. */
export interface SeededDropoutConfig {
  readonly rate: number;
  /** The first training call's mask seed; call k uses seed + k. */
  readonly seed: number;
  readonly name?: string;
}

/** The name the layer is saved under in `model.json` (as `Custom>NetcSeededDropout`). */
export const seededDropoutClassName = 'NetcSeededDropout';

/**
 * `dropout P` when the run has a `--seed`: PyTorch's `nn.Dropout(P)` (zero each value with probability P while
 * training, scale the rest by 1 / (1 - P); the identity in inference) with masks drawn from seed + k on the k-th
 * training call. tfjs's own dropout either draws unseeded masks (so `--seed` runs differ) or, given a seed, the
 * same mask on every step; this one is repeatable and still new each step. Registered by src/compile/netcLayers.ts.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = seededDropoutClassName;
  private readonly rate: number;
  private readonly seed: number;
  /** Training calls so far: the next mask's seed offset. */
  private calls = 0;

  constructor(config: SeededDropoutConfig) {
    super(config.name === undefined ? {} : { name: config.name });
    if (!(config.rate >= 0 && config.rate < 1)) throw new Error(`internal: dropout rate ${config.rate} outside [0, 1)`);
    this.rate = config.rate;
    this.seed = config.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (kwargs.training !== true || this.rate === 0) return x.clone();
      const keep = tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', this.seed + this.calls++), this.rate);
      return tf.mul(x, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - this.rate)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
