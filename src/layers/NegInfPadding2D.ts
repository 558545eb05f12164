import type * as tfjs from '@tensorflow/tfjs';

/** Configuration of the padding layer: rows added above and below, columns added left and right. */
export interface NegInfPaddingConfig {
  readonly padding: readonly [number, number];
  readonly name?: string;
}

type Tf = typeof tfjs;
type LayerConstructor = new (config: NegInfPaddingConfig) => tfjs.layers.Layer;

/** The name the layer is saved under in `model.json` (as `Custom>NetcNegInfPadding2D`). */
export const negInfPaddingClassName = 'NetcNegInfPadding2D';

// The class needs tfjs's Layer at definition time, and src/layers must not load tfjs (netc check stays fast),
// so it is defined on first use against the namespace the compiler passes in, once per namespace.
const classes = new WeakMap<Tf, LayerConstructor>();

/**
 * The class of netc's max-pool padding layer for `tf`, registered for `tf.loadLayersModel` on first call.
 * Call it before loading a saved model that has a padded `maxpool`.
 */
export function registerNegInfPadding2D(tf: Tf): LayerConstructor {
  const known = classes.get(tf);
  if (known !== undefined) return known;

  /**
   * Pads height and width of a channels-last tensor with -Infinity, so a following `valid` max pool sees
   * exactly PyTorch's padded windows: the padding never wins, and never takes a gradient.
   */
  class NegInfPadding2D extends tf.layers.Layer {
    static readonly className = negInfPaddingClassName;
    private readonly padding: readonly [number, number];

    constructor(config: NegInfPaddingConfig) {
      super(config.name === undefined ? {} : { name: config.name });
      this.padding = [config.padding[0], config.padding[1]];
    }

    override computeOutputShape(inputShape: tfjs.Shape | tfjs.Shape[]): tfjs.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfjs.Shape;
      const [batch, height, width, channels] = shape;
      const grow = (size: number | null | undefined, pad: number): number | null =>
        size === null || size === undefined ? null : size + 2 * pad;
      return [batch ?? null, grow(height, this.padding[0]), grow(width, this.padding[1]), channels ?? null];
    }

    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
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

    override getConfig(): tfjs.serialization.ConfigDict {
      return { ...super.getConfig(), padding: [...this.padding] };
    }
  }

  tf.serialization.registerClass(NegInfPadding2D);
  classes.set(tf, NegInfPadding2D);
  return NegInfPadding2D;
}

/** A -Infinity padding layer (see `registerNegInfPadding2D`) built against the compiler's tfjs namespace. */
export function negInfPadding2d(tf: Tf, config: NegInfPaddingConfig): tfjs.layers.Layer {
  const NegInfPadding2D = registerNegInfPadding2D(tf);
  return new NegInfPadding2D(config);
}
