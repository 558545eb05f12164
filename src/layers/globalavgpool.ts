import type { LayerKind } from './LayerKind.js';
import { inferGlobalPoolShape, noParams } from './globalPooling.js';

/**
 * `globalavgpool`: the mean of each channel's H x W map, C x H x W -> C, PyTorch's
 * `nn.AdaptiveAvgPool2d(1)` followed by `nn.Flatten()` (tf.layers.globalAveragePooling2d).
 */
export const globalavgpool: LayerKind = {
  name: 'globalavgpool',
  args: [],
  inferShape: inferGlobalPoolShape,
  params: noParams,
  macs: () => 0,

  lower(_layer, ctx) {
    return [ctx.tf.layers.globalAveragePooling2d({ dataFormat: 'channelsLast', name: ctx.name() })];
  },
};
