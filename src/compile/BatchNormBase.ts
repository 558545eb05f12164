import * as tf from '@tensorflow/tfjs';

/** What every netc batch-norm layer is configured with. */
export interface BatchNormBaseArgs {
  /** moving = momentum * moving + (1 - momentum) * batch (the seed's convention; PyTorch's 0.1 is 0.9 here). */
  readonly momentum: number;
  /** Added to the variance before the square root. */
  readonly epsilon: number;
  readonly name?: string;
  readonly trainable?: boolean;
  readonly dtype?: 'float32';
}

/** A built batch-norm layer's four variables. */
export interface BatchNormVariables {
  readonly gamma: tf.LayerVariable;
  readonly beta: tf.LayerVariable;
  readonly movingMean: tf.LayerVariable;
  readonly movingVariance: tf.LayerVariable;
}

/**
 * What netc's own batch-norm layers share (the from-scratch one and the fast path's fused one): the checked
 * momentum and epsilon, and gamma/beta/moving statistics with tf.layers.batchNormalization's names and order,
 * so that checkpoints and `netc inspect` read every kind alike.
 */
export abstract class BatchNormBase extends tf.layers.Layer {
  readonly momentum: number;
  readonly epsilon: number;
  private bnVariables: BatchNormVariables | null = null;

  constructor(args: BatchNormBaseArgs) {
    super({
      ...(args.name === undefined ? {} : { name: args.name }),
      ...(args.trainable === undefined ? {} : { trainable: args.trainable }),
      ...(args.dtype === undefined ? {} : { dtype: args.dtype }),
    });
    if (!(args.momentum >= 0 && args.momentum < 1)) throw new Error(`momentum must be in [0, 1), got ${args.momentum}`);
    if (!(args.epsilon > 0)) throw new Error(`epsilon must be positive, got ${args.epsilon}`);
    this.momentum = args.momentum;
    this.epsilon = args.epsilon;
  }

  /** Adds the four per-feature weights (gamma 1, beta 0 trainable; moving mean 0, variance 1 not) and marks the layer built. */
  protected addBatchNormWeights(features: number): void {
    this.bnVariables = {
      gamma: this.addWeight('gamma', [features], 'float32', tf.initializers.ones(), undefined, true),
      beta: this.addWeight('beta', [features], 'float32', tf.initializers.zeros(), undefined, true),
      movingMean: this.addWeight('moving_mean', [features], 'float32', tf.initializers.zeros(), undefined, false),
      movingVariance: this.addWeight('moving_variance', [features], 'float32', tf.initializers.ones(), undefined, false),
    };
    this.built = true;
  }

  /** The layer's variables; calling before build() is a programmer error. */
  protected variables(): BatchNormVariables {
    if (this.bnVariables === null) throw new Error(`${this.name} was called before it was built`);
    return this.bnVariables;
  }
}
