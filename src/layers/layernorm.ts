import type { LayerKind } from './LayerKind.js';
import { numberArg } from './args.js';
import { isFlat } from '../ir/layout.js';

/**
 * `layernorm [eps=1e-5]`: layer normalisation over all of each sample's values, with a learned scale and shift
 * per value: PyTorch's `nn.LayerNorm(F)` on a flat F vector and `nn.LayerNorm([C, H, W])` on a C x H x W map
 * (not the per-position, channels-only form some vision models use). Unlike `bn` it keeps no statistics:
 * training and inference compute the same thing.
 */
export const layernorm: LayerKind = {
  name: 'layernorm',
  args: [
    { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5 },
  ],

  inferShape(input) {
    return input;
  },

  // PyTorch's constructor call, which is also what the layer normalises over.
  variant(input) {
    return isFlat(input) ? `LayerNorm(${input[0]})` : `LayerNorm([${input.join(', ')}])`;
  },

  // gamma and beta, one of each per value of a sample: 2F, or 2CHW on a map.
  params(input) {
    const values = input.reduce((product, size) => product * size, 1);
    return { trainable: 2 * values, nonTrainable: 0 };
  },

  // A normalisation, not a weighted layer: 0, as for `bn` (its scale and shift are not products with inputs).
  macs() {
    return 0;
  },

  // Every axis but the batch's, whatever the layout: on channels-last maps gamma is H x W x C, the same values.
  // (PyTorch's elementwise_affine=False has no counterpart: tfjs 4.22's layer without gamma and beta fails when
  // differentiated, as it saves the absent gamma for the backward pass.)
  lower(layer, ctx) {
    return [
      ctx.tf.layers.layerNormalization({
        axis: layer.inputShape.map((_size, i) => i + 1),
        epsilon: numberArg(layer.args, 'eps'),
        name: ctx.name(),
      }),
    ];
  },
};
