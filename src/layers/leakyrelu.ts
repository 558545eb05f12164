import type { LayerKind } from './LayerKind.js';
import { numberArg } from './args.js';
import { markActivation } from './activation.js';

/**
 * `leakyrelu [alpha]` (or `alpha=`): x for x > 0, alpha * x otherwise, PyTorch's `nn.LeakyReLU(alpha)`. The
 * default 0.01 is PyTorch's (Keras and tfjs default to 0.3); a negative slope is refused as Keras refuses it.
 */
export const leakyrelu: LayerKind = markActivation({
  name: 'leakyrelu',
  args: [{ name: 'alpha', type: { kind: 'number', min: 0 }, positional: true, default: 0.01 }],

  inferShape(input) {
    return input;
  },

  params() {
    return { trainable: 0, nonTrainable: 0 };
  },

  macs() {
    return 0;
  },

  lower(layer, ctx) {
    return [ctx.tf.layers.leakyReLU({ alpha: numberArg(layer.args, 'alpha'), name: ctx.name() })];
  },
});
