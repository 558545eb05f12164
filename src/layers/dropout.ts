import type { LayerKind } from './LayerKind.js';
import { numberArg } from './args.js';

/** `dropout P`: zeroes each value with probability P while training and scales the rest, PyTorch's `nn.Dropout(P)`. */
export const dropout: LayerKind = {
  name: 'dropout',
  args: [
    // PyTorch's default rate; 1 would drop everything and divide by zero.
    { name: 'rate', type: { kind: 'number', min: 0, max: 1, maxExclusive: true }, positional: true, default: 0.5 },
  ],

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
    const rate = numberArg(layer.args, 'rate');
    const seed = ctx.randomSeed();
    // With a seed, netc's own dropout (src/compile/SeededDropout.ts): tfjs's draws unseeded masks.
    if (seed !== undefined) return [ctx.custom('NetcSeededDropout', { rate, seed, name: ctx.name() })];
    return [ctx.tf.layers.dropout({ rate, name: ctx.name() })];
  },
};
