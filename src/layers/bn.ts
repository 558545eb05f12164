import { layouts, layoutOf } from '../ir/layout.js';
import type { LayerKind } from './LayerKind.js';
import { numberArg, wordArg } from './args.js';
import { bnImpls } from '../ir/catalogue.js';

/**
 * `bn [momentum=0.9] [eps=1e-5] [impl=builtin|scratch]`: batch normalisation whose variant follows its input,
 * `nn.BatchNorm1d(F)` on a flat vector and `nn.BatchNorm2d(C)` on a C x H x W map. The writer never says which.
 * `momentum` is the seed's convention (moving = momentum * moving + (1 - momentum) * batch), i.e. PyTorch's 0.1.
 */
export const bn: LayerKind = {
  name: 'bn',
  args: [
    { name: 'momentum', type: { kind: 'number', min: 0, max: 1, maxExclusive: true }, default: 0.9 },
    { name: 'eps', type: { kind: 'number', min: 0, minExclusive: true }, default: 1e-5 },
    { name: 'impl', type: { kind: 'enum', values: bnImpls }, default: 'builtin' },
  ],

  // Both ranks the language has are valid: features are the only axis of F and the first of C x H x W.
  inferShape(input) {
    return input;
  },

  variant(input) {
    return (layoutOf(input) ?? layouts.image).batchNorm;
  },

  // gamma and beta are learned; the moving mean and variance are buffers, as PyTorch counts them.
  params(input) {
    const features = input[0]!;
    return { trainable: 2 * features, nonTrainable: 2 * features };
  },

  macs() {
    return 0;
  },

  // Channels-last inside netc, so the statistics axis is the last one for both variants.
  lower(layer, ctx) {
    const momentum = numberArg(layer.args, 'momentum');
    const epsilon = numberArg(layer.args, 'eps');
    if (wordArg(layer.args, 'impl') === 'scratch') {
      // netc's from-scratch layer (src/compile/ScratchBatchNorm.ts).
      return [ctx.custom('NetcBatchNorm', { momentum, epsilon, name: ctx.name() })];
    }
    return [ctx.tf.layers.batchNormalization({ axis: -1, momentum, epsilon, name: ctx.name() })];
  },
};
