import type * as tfjs from '@tensorflow/tfjs';
import type { LayerKind } from './LayerKind.js';
import { pairArg } from './args.js';
import { checkPoolArgs, inferPoolShape, poolArgs } from './pooling.js';

/** `maxpool K [sS] [pP]`: max pooling, PyTorch's `nn.MaxPool2d(K, S, P)`. */
export const maxpool: LayerKind = {
  name: 'maxpool',
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
    const pad = pairArg(layer.args, 'pad');
    const layers: tfjs.layers.Layer[] = [];
    // PyTorch pads a max pool with -infinity: zero padding would beat an all-negative window.
    if (pad[0] > 0 || pad[1] > 0) {
      // netc's own layer (src/compile/NegInfPadding2D.ts).
      layers.push(ctx.custom('NetcNegInfPadding2D', { padding: [pad[0], pad[1]], name: ctx.name('pad') }));
    }
    layers.push(
      ctx.tf.layers.maxPooling2d({
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
