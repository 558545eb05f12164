import * as tf from '@tensorflow/tfjs';
import { addActivationKernel, type JoinActivation } from '../../backend/native/addActivation.js';

/** The constructor arguments of the fused join; `getConfig()` returns exactly these. */
export interface FusedAddActivationArgs {
  readonly name: string;
  /** The activation that followed the join: `relu` (or `linear`, a plain sum). */
  readonly activation: JoinActivation;
}

/** The name the layer is saved under in `model.json` (as `Custom>NetcFusedAddActivation`). */
export const fusedAddClassName = 'NetcFusedAddActivation';

/**
 * A residual join and the relu after it as one layer, for netc's fast path: act(a + b) of its two inputs, by one
 * kernel each way where netc's native kernels are registered (the wasm backend), by tfjs's add and relu elsewhere.
 * It has no weights, so a checkpoint is the same with it or without it.
 */
export class FusedAddActivation extends tf.layers.Layer {
  static readonly className = fusedAddClassName;
  readonly activation: JoinActivation;

  constructor(args: FusedAddActivationArgs) {
    super({ name: args.name });
    if (args.activation !== 'relu' && args.activation !== 'linear') throw new Error(`unknown activation '${String(args.activation)}'`);
    this.activation = args.activation;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = inputShape as tf.Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) throw new Error(`${this.name} joins two inputs, got ${JSON.stringify(inputShape)}`);
    return shapes[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = inputs as tf.Tensor[];
      if (a === undefined || b === undefined) throw new Error(`${this.name} joins two inputs`);
      if (tf.getKernel(addActivationKernel, tf.getBackend()) !== undefined && tf.util.arraysEqual(a.shape, b.shape)) {
        return tf.engine().runKernel(addActivationKernel, { a, b }, { activation: this.activation }) as tf.Tensor;
      }
      const sum = tf.add(a, b);
      return this.activation === 'relu' ? tf.relu(sum) : sum;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation };
  }
}
