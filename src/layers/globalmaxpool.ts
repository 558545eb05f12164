import type { LayerKind } from './LayerKind.js';
import { inferGlobalPoolShape, noParams } from './globalPooling.js';

/**
 * `globalmaxpool`: the largest value of each channel's H x W map, C x H x W -> C, PyTorch's
 * `nn.AdaptiveMaxPool2d(1)` followed by `nn.Flatten()` (tf.layers.globalMaxPooling2d).
 */
export const globalmaxpool: LayerKind = {
  name: 'globalmaxpool',
  args: [],
  inferShape: inferGlobalPoolShape,
  params: noParams,
  macs: () => 0,

  lower(_layer, ctx) {
    return [ctx.tf.layers.globalMaxPooling2d({ dataFormat: 'channelsLast', name: ctx.name() })];
  },
};
