import type * as tfjs from '@tensorflow/tfjs';
import type { LayerKind } from './LayerKind.js';
import { pairArg } from './args.js';
import { checkPoolArgs, inferPoolShape, poolArgs } from './pooling.js';

/** `avgpool K [sS] [pP]`: average pooling, PyTorch's `nn.AvgPool2d(K, S, P)`. */
export const avgpool: LayerKind = {
  name: 'avgpool',
  args: poolArgs,
  checkArgs: checkPoolArgs,
  inferShape: inferPoolShape,

  params() {
    return { trainable: 0, nonTrainable: 0 };
  },

  macs() {
    return 0;
  },

  lower(layer, ctx) {
    const { tf } = ctx;
    const pad = pairArg(layer.args, 'pad');
    const layers: tfjs.layers.Layer[] = [];
    // Zeros then a `valid` pool divide every window by its full size, which is PyTorch's default
    // (count_include_pad=True); tfjs's `same` would leave the padding out of the average.
    if (pad[0] > 0 || pad[1] > 0) {
      layers.push(tf.layers.zeroPadding2d({ padding: [[pad[0], pad[0]], [pad[1], pad[1]]], name: ctx.name('pad') }));
    }
    layers.push(
      tf.layers.averagePooling2d({
        poolSize: [...pairArg(layer.args, 'kernel')],
        strides: [...pairArg(layer.args, 'stride')],
        padding: 'valid',
        dataFormat: 'channelsLast',
        name: ctx.name(),
      }),
    );
    return layers;
  },
};
