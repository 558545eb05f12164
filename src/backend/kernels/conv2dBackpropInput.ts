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
  const simple = sh === 1 && sw === 1 && pt >= 0 && pl >= 0 && hp - pt - oh >= 0 && wp - pl - ow >= 0;
  if (simple) {
    // Stride 1: the convolution kernel pads dy itself.
    const rotated = rotateFilter(fb, filter);
    const out = fb.run('Conv2D', { x: dy, filter: rotated }, {
      strides: [1, 1], pad: [[0, 0], [pt, hp - pt - oh], [pl, wp - pl - ow], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1],
    });
    fb.dispose(rotated);
    return out;
  }
  if (sh > 1 || sw > 1) return byPhase(fb, dy, filter, { n, h, w, oh, ow, o, kh, kw, sh, sw, top, left });
  const rotated = rotateFilter(fb, filter);
  const source = spreadPad(fb, dy, n, oh, ow, o, sh, sw, pt, pl, hp, wp);
  const out = fb.run('Conv2D', { x: source, filter: rotated }, {
    strides: [1, 1], pad: [[0, 0], [0, 0], [0, 0], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1],
  });
  fb.dispose(source);
  fb.dispose(rotated);
  return out;
}

/** The taps of one filter axis that reach the input positions a, a + S, a + 2S, ... (one phase of a stride S). */
interface PhaseTaps {
  /** The first tap p0 (then p0 + S, p0 + 2S, ...) and how many there are (0: no tap reaches this phase). */
  readonly first: number;
  readonly count: number;
  /** dy row of input position a + S*u through tap p0: u + shift. */
  readonly shift: number;
}

function phaseTaps(a: number, before: number, stride: number, k: number): PhaseTaps {
  const first = (((a + before) % stride) + stride) % stride;
  const count = first < k ? Math.ceil((k - first) / stride) : 0;
  return { first, count, shift: (a + before - first) / stride };
}

interface PhaseGeometry {
  readonly n: number; readonly h: number; readonly w: number; readonly oh: number; readonly ow: number; readonly o: number;
  readonly kh: number; readonly kw: number; readonly sh: number; readonly sw: number; readonly top: number; readonly left: number;
}

/**
 * Stride above 1 without the zeros: input rows i = a + S*u (one phase a of the stride) are reached only by the taps
 * p = p0 + S*t, so each of the S_h x S_w phases is a stride-1 correlation of dy with its own sub-filter (turned and
 * channel-swapped), run in XNNPACK, and the phases are interleaved into dx. Spreading dy with zeros instead (as for
 * stride 1 with odd padding) multiplies by zero in (S_h*S_w - 1) of every S_h*S_w products: 4x the work at stride 2.
 */
function byPhase(fb: FlatBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, g: PhaseGeometry): tf.TensorInfo {
  const { n, h, w, oh, ow, o, kh, kw, sh, sw, top, left } = g;
  const c = filter.shape[2]!;
  const out = fb.alloc([n, h, w, c]);
  // Positions no tap reaches (a window smaller than the stride) keep a zero gradient.
  fb.view(out).fill(0);
  // Views are taken after each allocation: one may grow wasm's memory, which detaches the views taken before it.
  for (let a = 0; a < sh; a++) {
    const hu = Math.ceil((h - a) / sh);
    const rows = phaseTaps(a, top, sh, kh);
    if (hu <= 0 || rows.count === 0) continue;
    for (let b = 0; b < sw; b++) {
      const wv = Math.ceil((w - b) / sw);
      const cols = phaseTaps(b, left, sw, kw);
      if (wv <= 0 || cols.count === 0) continue;
      // Sub-filter [Tp, Tq, O, C]: r[t, v] = W[p0 + S*(Tp-1-t), q0 + S*(Tq-1-v)] with its channel axes swapped.
      const tp = rows.count;
      const tq = cols.count;
      const sub = fb.alloc([tp, tq, o, c]);
      const sv = fb.view(sub);
      const wsrc = fb.view(filter);
      for (let t = 0; t < tp; t++) {
        for (let v = 0; v < tq; v++) {
          const from = ((rows.first + sh * (tp - 1 - t)) * kw + (cols.first + sw * (tq - 1 - v))) * c * o;
          const to = (t * tq + v) * o * c;
          for (let ci = 0; ci < c; ci++) for (let oi = 0; oi < o; oi++) sv[to + oi * c + ci] = wsrc[from + ci * o + oi];
        }
      }
      // dx_phase[u] reads dy rows u + shift - (Tp-1) .. u + shift: pad dy where that leaves it, crop where it stays inside.
      const r0 = rows.shift - (tp - 1);
      const c0 = cols.shift - (tq - 1);
      const source = window(fb, dy, n, oh, ow, o, r0, hu + tp - 1, c0, wv + tq - 1);
      const phase = fb.run('Conv2D', { x: source, filter: sub }, {
        strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1],
      } as unknown as tf.NamedAttrMap);
      fb.dispose(source);
      fb.dispose(sub);
      const pv = fb.view(phase);
      const dst = fb.view(out);
      for (let bn = 0; bn < n; bn++) {
        for (let u = 0; u < hu; u++) {
          for (let v = 0; v < wv; v++) {
            const from = ((bn * hu + u) * wv + v) * c;
            dst.set(pv.subarray(from, from + c), ((bn * h + a + sh * u) * w + b + sw * v) * c);
          }
        }
      }
      fb.dispose(phase);
    }
  }
  return out;
}

/** dy [N, OH, OW, O] read over rows r0 .. r0 + rows - 1 and columns c0 .. c0 + cols - 1, zeros outside it. */
function window(
  fb: FlatBackend, dy: tf.TensorInfo, n: number, oh: number, ow: number, o: number, r0: number, rows: number, c0: number, cols: number,
): tf.TensorInfo {
  const out = fb.alloc([n, rows, cols, o]);
  const src = fb.view(dy);
  const dst = fb.view(out);
  dst.fill(0);
  const j0 = Math.max(0, -c0);
  const j1 = Math.min(cols, ow - c0);
  if (j1 <= j0) return out;
  for (let b = 0; b < n; b++) {
    for (let i = Math.max(0, -r0); i < Math.min(rows, oh - r0); i++) {
      const from = ((b * oh + i + r0) * ow + j0 + c0) * o;
      dst.set(src.subarray(from, from + (j1 - j0) * o), ((b * rows + i) * cols + j0) * o);
    }
  }
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
