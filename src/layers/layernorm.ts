import type { LayerKind } from './LayerKind.js';
import { boolArg, numberArg } from './args.js';

/**
 * `layernorm [eps=1e-5] [affine=false]`: layer normalisation over all of each sample's values, with a learned
 * scale and shift per value: PyTorch's `nn.LayerNorm(F)` on a flat F vector and `nn.LayerNorm([C, H, W])` on a
 * C x H x W map (not the per-position, channels-only form some vision models use). `affine=false` is PyTorch's
 * `elementwise_affine=False`. Unlike `bn` it keeps no statistics: training and inference compute the same thing.
 */
export const layernorm: LayerKind = {
  name: 'layernorm',
  args: [
    { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5 },
    { name: 'affine', type: { kind: 'bool' }, default: true },
  ],

  inferShape(input) {
    return input;
  },

  // PyTorch's constructor call, which is also what the layer normalises over.
  variant(input) {
    return input.length === 1 ? `LayerNorm(${input[0]})` : `LayerNorm([${input.join(', ')}])`;
  },

  // gamma and beta, one of each per value of a sample: 2F, or 2CHW on a map.
  params(input, args) {
    const values = input.reduce((product, size) => product * size, 1);
    return { trainable: boolArg(args, 'affine') ? 2 * values : 0, nonTrainable: 0 };
  },

  // Every axis but the batch's, whatever the layout: on channels-last maps gamma is H x W x C, the same values.
  lower(layer, ctx) {
    const affine = boolArg(layer.args, 'affine');
    return [
      ctx.tf.layers.layerNormalization({
        axis: layer.inputShape.map((_size, i) => i + 1),
        epsilon: numberArg(layer.args, 'eps'),
        center: affine,
        scale: affine,
        name: ctx.name(),
      }),
    ];
  },
};
