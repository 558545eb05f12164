import { isFlat } from '../ir/layout.js';
import type { LayerKind } from './LayerKind.js';

/**
 * `flatten`: any shape to one vector of the product of its dims, PyTorch's `nn.Flatten`. On a tensor that is already
 * flat it changes nothing, as `nn.Flatten` does on `[N, F]`: NN3106 (warning) says so, and the node stays in the
 * graph (summary rows, compiled nodes and checkpoints keep their numbering) as an identity.
 */
export const flatten: LayerKind = {
  name: 'flatten',
  args: [],

  inferShape(input, _args, ctx) {
    if (isFlat(input)) {
      ctx.report('NN3106', `\`flatten\` receives a flat input of ${input[0]} values and changes nothing; remove it.`);
    }
    return [input.reduce((product, size) => product * size, 1)];
  },

  params() {
    return { trainable: 0, nonTrainable: 0 };
  },

  macs() {
    return 0;
  },

  // tfjs flattens channels-last maps in H, W, C order where PyTorch uses C, H, W: the same features in another
  // order, which only matters when importing weights trained elsewhere, and netc trains its own.
  // tfjs's Flatten refuses a flat input (it wants a batch and at least two more axes), so the no-op flatten of a
  // flat input is a reshape to the same size: an identity that keeps the node's own tfjs layer.
  lower(layer, ctx) {
    if (isFlat(layer.inputShape)) return [ctx.tf.layers.reshape({ targetShape: [...layer.inputShape], name: ctx.name() })];
    return [ctx.tf.layers.flatten({ name: ctx.name() })];
  },
};
