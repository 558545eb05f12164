import type { LayerKind } from './LayerKind.js';
import { boolArg, numberArg } from './args.js';
import { requireFlat } from './shapes.js';

/** `dense N [bias=false]` (alias `linear`): a fully connected layer, PyTorch's `nn.Linear(F, N)`. */
export const dense: LayerKind = {
  name: 'dense',
  aliases: ['linear'],
  args: [
    { name: 'out', type: { kind: 'int', min: 1 }, positional: true },
    { name: 'bias', type: { kind: 'bool' }, default: true },
  ],

  inferShape(input, args, ctx) {
    if (!requireFlat(input, ctx)) return null;
    return [numberArg(args, 'out')];
  },

  params(input, args) {
    const out = numberArg(args, 'out');
    return { trainable: input[0]! * out + (boolArg(args, 'bias') ? out : 0), nonTrainable: 0 };
  },

  // One product per weight: in * out.
  macs(input, _args, output) {
    return input[0]! * output[0]!;
  },

  lower(layer, ctx) {
    return [
      ctx.tf.layers.dense({
        units: numberArg(layer.args, 'out'),
        useBias: boolArg(layer.args, 'bias'),
        kernelInitializer: ctx.kernelInitializer(),
        biasInitializer: 'zeros',
        name: ctx.name(),
      }),
    ];
  },
};
