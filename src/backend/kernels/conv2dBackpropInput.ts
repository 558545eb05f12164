import * as tf from '@tensorflow/tfjs';
import { convGeometry, flatBackend, originalKernel, type FlatBackend } from './flat.js';
import { isInputGradientSkipped } from './unusedGradient.js';

/*
 * The gradient of a 2-D convolution with respect to its input:
 *   dx[n, i, j, c] = sum over p, q, o of dy[n, oh, ow, o] * W[p, q, c, o]  where i = oh*sh + p - top, j = ow*sw + q - left.
 * That is a stride-1 correlation of dy (spread out by the stride, zeros between) with the filter turned
 * 180 degrees and its channel axes swapped. wasm's own kernel is a scalar loop (35 ms for LeNet's second
 * convolution); as a convolution it runs in XNNPACK. Either backend answers zeros for a first layer
 * (see unusedGradient.ts).
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };

function zerosIfSkipped(args: KernelArgs, name: 'wasm' | 'cpu'): tf.TensorInfo | undefined {
  const { filter } = args.inputs as { filter: tf.TensorInfo };
  if (!isInputGradientSkipped(filter)) return undefined;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const fb = flatBackend(args.backend, name);
  const out = fb.alloc([...attrs.inputShape]);
  fb.view(out).fill(0);
  return out;
}

/** The filter turned 180 degrees with its channel axes swapped: [KH, KW, C, O] to [KH, KW, O, C]. */
function rotateFilter(fb: FlatBackend, filter: tf.TensorInfo): tf.TensorInfo {
  const [kh, kw, c, o] = filter.shape as [number, number, number, number];
  const out = fb.alloc([kh, kw, o, c]);
  const src = fb.view(filter);
  const dst = fb.view(out);
  for (let p = 0; p < kh; p++) {
    for (let q = 0; q < kw; q++) {
      const from = ((kh - 1 - p) * kw + (kw - 1 - q)) * c * o;
      const to = (p * kw + q) * o * c;
      for (let ci = 0; ci < c; ci++) {
        for (let oi = 0; oi < o; oi++) dst[to + oi * c + ci] = src[from + ci * o + oi];
      }
    }
  }
  return out;
}

function wasmKernel(args: KernelArgs): tf.TensorInfo {
  const skippedResult = zerosIfSkipped(args, 'wasm');
  if (skippedResult !== undefined) return skippedResult;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const fb = flatBackend(args.backend, 'wasm');
  if (attrs.dataFormat !== 'NHWC') return fb.run('Conv2DBackpropInput', args.inputs as Record<string, tf.TensorInfo>, args.attrs);
  const { info, top, left } = convGeometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, outChannels: o } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  // Rows of the spread-out dy that the correlation reads start KH-1-top above the first output row.
  const pt = kh - 1 - top;
  const pl = kw - 1 - left;
  const hp = h + kh - 1;
  const wp = w + kw - 1;
  const rotated = rotateFilter(fb, filter);
  let source: tf.TensorInfo;
  let pad: [[number, number], [number, number], [number, number], [number, number]];
  const simple = sh === 1 && sw === 1 && pt >= 0 && pl >= 0 && hp - pt - oh >= 0 && wp - pl - ow >= 0;
  if (simple) {
    // Stride 1: the convolution kernel pads dy itself.
    source = dy;
    pad = [[0, 0], [pt, hp - pt - oh], [pl, wp - pl - ow], [0, 0]];
  } else {
    source = spreadPad(fb, dy, n, oh, ow, o, sh, sw, pt, pl, hp, wp);
    pad = [[0, 0], [0, 0], [0, 0], [0, 0]];
  }
  const out = fb.run('Conv2D', { x: source, filter: rotated }, {
    strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1],
  });
  if (source !== dy) fb.dispose(source);
  fb.dispose(rotated);
  return out;
}

/** dy [N, OH, OW, O] spread to [N, Hp, Wp, O]: row oh lands at oh*sh + pt, zeros elsewhere. */
function spreadPad(
  fb: FlatBackend, dy: tf.TensorInfo, n: number, oh: number, ow: number, o: number,
  sh: number, sw: number, pt: number, pl: number, hp: number, wp: number,
): tf.TensorInfo {
  const out = fb.alloc([n, hp, wp, o]);
  const src = fb.view(dy);
  const dst = fb.view(out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r = i * sh + pt;
      if (r < 0 || r >= hp) continue;
      for (let j = 0; j < ow; j++) {
        const s = j * sw + pl;
        if (s < 0 || s >= wp) continue;
        const from = ((b * oh + i) * ow + j) * o;
        dst.set(src.subarray(from, from + o), ((b * hp + r) * wp + s) * o);
      }
    }
  }
  return out;
}

function cpuKernel(args: KernelArgs): tf.TensorInfo {
  const skippedResult = zerosIfSkipped(args, 'cpu');
  if (skippedResult !== undefined) return skippedResult;
  const own = originalKernel('Conv2DBackpropInput', 'cpu');
  if (own === undefined) throw new Error('netc kernels: the cpu backend has no Conv2DBackpropInput kernel');
  return own.kernelFunc(args) as tf.TensorInfo;
}

/** netc's Conv2DBackpropInput: XNNPACK-backed on wasm; on both, zeros for a first layer's unused input gradient. */
export const conv2dBackpropInputKernels: readonly tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: wasmKernel },
  { kernelName: 'Conv2DBackpropInput', backendName: 'cpu', kernelFunc: cpuKernel },
];
