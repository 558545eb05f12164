import type { LayerKind } from './LayerKind.js';

/** `flatten`: any shape to one vector of the product of its dims, PyTorch's `nn.Flatten`. */
export const flatten: LayerKind = {
  name: 'flatten',
  args: [],

  inferShape(input) {
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
  lower(_layer, ctx) {
    return [ctx.tf.layers.flatten({ name: ctx.name() })];
  },
};
