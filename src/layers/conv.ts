import type * as tfjs from '@tensorflow/tfjs';
import type { LayerKind } from './LayerKind.js';
import { boolArg, formatPair, numberArg, padArg, pairArg } from './args.js';
import { checkWindowFits, requireImage, sameOutput, windowOutput } from './shapes.js';

/** `conv N kK [sS] [pP | p=same] [bias=false]`: a 2-D convolution, PyTorch's `nn.Conv2d(C, N, K, S, P)`. */
export const conv: LayerKind = {
  name: 'conv',
  args: [
    { name: 'out', type: { kind: 'int', min: 1 }, positional: true },
    { name: 'kernel', type: { kind: 'pair', min: 1 }, short: 'k' },
    { name: 'stride', type: { kind: 'pair', min: 1 }, short: 's', default: 1 },
    { name: 'pad', type: { kind: 'pad' }, short: 'p', default: 0 },
    { name: 'bias', type: { kind: 'bool' }, default: true },
  ],

  inferShape(input, args, ctx) {
    if (!requireImage(input, ctx)) return null;
    const out = numberArg(args, 'out');
    const kernel = pairArg(args, 'kernel');
    const stride = pairArg(args, 'stride');
    const pad = padArg(args, 'pad');
    if (pad === 'same') return [out, sameOutput(input[1], stride[0]), sameOutput(input[2], stride[1])];
    if (!checkWindowFits('kernel', input, kernel, pad, ctx, (k) => `k${formatPair(k)}`)) return null;
    return [
      out,
      windowOutput(input[1], kernel[0], stride[0], pad[0]),
      windowOutput(input[2], kernel[1], stride[1], pad[1]),
    ];
  },

  params(input, args) {
    const out = numberArg(args, 'out');
    const [kh, kw] = pairArg(args, 'kernel');
    const weights = out * input[0]! * kh * kw;
    return { trainable: weights + (boolArg(args, 'bias') ? out : 0), nonTrainable: 0 };
  },

  // Every output value is one kernel's products with a Cin x kh x kw window: Cout * Hout * Wout * Cin * kh * kw
  // (the language has no groups, so Cin / groups is Cin). Padding zeros count, as torchinfo and fvcore count them.
  macs(input, args, output) {
    const [kh, kw] = pairArg(args, 'kernel');
    return output[0]! * output[1]! * output[2]! * input[0]! * kh * kw;
  },

  lower(layer, ctx) {
    const { tf } = ctx;
    const pad = padArg(layer.args, 'pad');
    const layers: tfjs.layers.Layer[] = [];
    const kernel = pairArg(layer.args, 'kernel');
    const stride = pairArg(layer.args, 'stride');
    // With stride 1 and an odd window, padding by (K - 1) / 2 on each side is exactly tfjs's `same`: the
    // convolution pads inside its kernel (no pad layer, no Pad and Slice kernels per step).
    const keepsSize = pad !== 'same' && stride.every((s) => s === 1) && kernel.every((k, i) => k % 2 === 1 && pad[i] === (k - 1) / 2);
    // tfjs convolutions pad only as `valid` or `same`; PyTorch's symmetric zero padding is a layer before.
    if (pad !== 'same' && !keepsSize && (pad[0] > 0 || pad[1] > 0)) {
      layers.push(tf.layers.zeroPadding2d({ padding: [[pad[0], pad[0]], [pad[1], pad[1]]], name: ctx.name('pad') }));
    }
    layers.push(
      tf.layers.conv2d({
        filters: numberArg(layer.args, 'out'),
        kernelSize: [...kernel],
        strides: [...stride],
        padding: pad === 'same' || keepsSize ? 'same' : 'valid',
        dataFormat: 'channelsLast',
        useBias: boolArg(layer.args, 'bias'),
        kernelInitializer: ctx.kernelInitializer(),
        biasInitializer: 'zeros',
        name: ctx.name(),
      }),
    );
    return layers;
  },
};
