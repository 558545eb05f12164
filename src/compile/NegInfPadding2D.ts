import * as tf from '@tensorflow/tfjs';

/** Configuration of the padding layer: rows added above and below, columns added left and right. */
export interface NegInfPaddingConfig {
  readonly padding: readonly [number, number];
  readonly name?: string;
}

/** The name the layer is saved under in `model.json` (as `Custom>NetcNegInfPadding2D`). */
export const negInfPaddingClassName = 'NetcNegInfPadding2D';

/**
 * Pads height and width of a channels-last tensor with -Infinity, so a following `valid` max pool sees
 * exactly PyTorch's padded windows: the padding never wins, and never takes a gradient.
 * Registered for loading by `registerNetcLayers` (src/compile/netcLayers.ts).
 */
export class NegInfPadding2D extends tf.layers.Layer {
  static readonly className = negInfPaddingClassName;
  private readonly padding: readonly [number, number];

  constructor(config: NegInfPaddingConfig) {
    super(config.name === undefined ? {} : { name: config.name });
    this.padding = [config.padding[0], config.padding[1]];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [batch, height, width, channels] = shape;
    const grow = (size: number | null | undefined, pad: number): number | null =>
      size === null || size === undefined ? null : size + 2 * pad;
    return [batch ?? null, grow(height, this.padding[0]), grow(width, this.padding[1]), channels ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [ph, pw] = this.padding;
      return tf.pad(
        x,
        [
          [0, 0],
          [ph, ph],
          [pw, pw],
          [0, 0],
        ],
        -Infinity,
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: [...this.padding] };
  }
}
