import type { LayerKind } from './LayerKind.js';
import { wordArg } from './args.js';
import { markActivation } from './activation.js';

/**
 * `gelu [approximate=none|tanh]`: x * Phi(x), PyTorch's `nn.GELU(approximate=...)`. `none` (the default, as in
 * PyTorch) is the exact form with erf, tfjs's `gelu` activation; `tanh` is
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), tfjs's `gelu_new`.
 */
export const gelu: LayerKind = markActivation({
  name: 'gelu',
  args: [{ name: 'approximate', type: { kind: 'enum', values: ['none', 'tanh'] }, default: 'none' }],

  inferShape(input) {
    return input;
  },

  params() {
    return { trainable: 0, nonTrainable: 0 };
  },

  lower(layer, ctx) {
    const activation = wordArg(layer.args, 'approximate') === 'tanh' ? 'gelu_new' : 'gelu';
    return [ctx.tf.layers.activation({ activation, name: ctx.name() })];
  },
});
