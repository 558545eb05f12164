// Float64 references written from the definitions, independent of tfjs: what netc's kernels are checked against.

/** A 4-D array [N, H, W, C] (or a filter [KH, KW, C, O]) in row-major order. */
export interface Arr {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Deterministic values in [-1, 1) from a seed (a small LCG), so failures reproduce. */
export function randomArr(shape: readonly number[], seed: number): Arr {
  let s = seed >>> 0 || 1;
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Values rounded to float32 so that tfjs receives exactly the numbers the reference uses.
    data[i] = Math.fround((s / 2 ** 32) * 2 - 1);
  }
  return { shape, data };
}

/** How test inputs are shaped from random values: as they are, all negative, or on a coarse grid (ties). */
export type ValueKind = 'random' | 'negative' | 'tied';

/** `a` made negative everywhere ([-2.01, -0.01)) or rounded to five levels -1 .. 1 (ties in most windows). */
export function valuesOf(kind: ValueKind, a: Arr): Arr {
  if (kind === 'random') return a;
  const f = kind === 'negative' ? (v: number) => Math.fround(v - 1.01) : (v: number) => Math.round(v * 2) / 2;
  return { shape: a.shape, data: a.data.map(f) };
}

/** Padding as tfjs's conv ops accept it: a name, one number for every side, or [[0,0],[t,b],[l,r],[0,0]]. */
export type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Output size and leading padding along one axis, from the definitions (TensorFlow's 'same' puts the odd pixel last). */
export function axis(size: number, k: number, s: number, pad: Pad, dim: 1 | 2): { out: number; before: number } {
  if (pad === 'valid') return { out: Math.floor((size - k) / s) + 1, before: 0 };
  if (pad === 'same') {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    return { out, before: Math.floor(total / 2) };
  }
  const [before, after] = typeof pad === 'number' ? [pad, pad] : pad[dim];
  return { out: Math.floor((size + before + after - k) / s) + 1, before };
}

/** Output geometry of a convolution or pooling of x [N, H, W, C] with a KH x KW window. */
export function geometry(xShape: readonly number[], kh: number, kw: number, strides: [number, number], pad: Pad) {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const rows = axis(h, kh, strides[0], pad, 1);
  const cols = axis(w, kw, strides[1], pad, 2);
  return { n, h, w, c, oh: rows.out, ow: cols.out, top: rows.before, left: cols.before };
}

/** y[n, i, j, o] = bias[o] + sum over p, q, c of x[n, i*sh + p - top, j*sw + q - left, c] * W[p, q, c, o], then relu if asked. */
export function conv2d(x: Arr, filter: Arr, strides: [number, number], pad: Pad, bias?: Arr, relu = false): Arr {
  const [kh, kw, , o] = filter.shape as [number, number, number, number];
  const { n, h, w, c, oh, ow, top, left } = geometry(x.shape, kh, kw, strides, pad);
  const out = new Float64Array(n * oh * ow * o);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let oi = 0; oi < o; oi++) {
    let s = bias === undefined ? 0 : bias.data[oi]!;
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const r = i * strides[0] + p - top;
      const t = j * strides[1] + q - left;
      if (r < 0 || r >= h || t < 0 || t >= w) continue;
      for (let ci = 0; ci < c; ci++) s += x.data[((b * h + r) * w + t) * c + ci]! * filter.data[((p * kw + q) * c + ci) * o + oi]!;
    }
    out[((b * oh + i) * ow + j) * o + oi] = relu ? Math.max(0, s) : s;
  }
  return { shape: [n, oh, ow, o], data: out };
}

/** y[n, i, j, c] = the largest x in output (i, j)'s window (positions outside the image do not count). */
export function maxPool(x: Arr, kh: number, kw: number, strides: [number, number], pad: Pad): Arr {
  const { n, h, w, c, oh, ow, top, left } = geometry(x.shape, kh, kw, strides, pad);
  const out = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ci = 0; ci < c; ci++) {
    let best = -Infinity;
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const r = i * strides[0] + p - top;
      const t = j * strides[1] + q - left;
      if (r >= 0 && r < h && t >= 0 && t < w) best = Math.max(best, x.data[((b * h + r) * w + t) * c + ci]!);
    }
    out[((b * oh + i) * ow + j) * c + ci] = best;
  }
  return { shape: [n, oh, ow, c], data: out };
}

/** dW[p, q, c, o] = sum over n, i, j of x[n, i*sh + p - top, j*sw + q - left, c] * dy[n, i, j, o]. */
export function conv2dFilterGrad(x: Arr, dy: Arr, filterShape: readonly number[], strides: [number, number], pad: Pad): Arr {
  const [kh, kw, , o] = filterShape as [number, number, number, number];
  const { n, h, w, c, oh, ow, top, left } = geometry(x.shape, kh, kw, strides, pad);
  const out = new Float64Array(kh * kw * c * o);
  for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) for (let ci = 0; ci < c; ci++) for (let oi = 0; oi < o; oi++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
      const r = i * strides[0] + p - top;
      const t = j * strides[1] + q - left;
      if (r < 0 || r >= h || t < 0 || t >= w) continue;
      s += x.data[((b * h + r) * w + t) * c + ci]! * dy.data[((b * oh + i) * ow + j) * o + oi]!;
    }
    out[((p * kw + q) * c + ci) * o + oi] = s;
  }
  return { shape: [kh, kw, c, o], data: out };
}

/** dx[n, r, t, c] = sum over the outputs (i, j) and taps (p, q) that read it of dy[n, i, j, o] * W[p, q, c, o]. */
export function conv2dInputGrad(xShape: readonly number[], dy: Arr, filter: Arr, strides: [number, number], pad: Pad): Arr {
  const [kh, kw, , o] = filter.shape as [number, number, number, number];
  const { n, h, w, c, oh, ow, top, left } = geometry(xShape, kh, kw, strides, pad);
  const out = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const r = i * strides[0] + p - top;
      const t = j * strides[1] + q - left;
      if (r < 0 || r >= h || t < 0 || t >= w) continue;
      for (let ci = 0; ci < c; ci++) {
        let s = 0;
        for (let oi = 0; oi < o; oi++) s += dy.data[((b * oh + i) * ow + j) * o + oi]! * filter.data[((p * kw + q) * c + ci) * o + oi]!;
        out[((b * h + r) * w + t) * c + ci]! += s;
      }
    }
  }
  return { shape: xShape, data: out };
}

/** The average-pooling gradient as tfjs defines it: each window passes dy / (KH * KW) to every position it covers. */
export function avgPoolGrad(xShape: readonly number[], dy: Arr, kh: number, kw: number, strides: [number, number], pad: Pad): Arr {
  const { n, h, w, c, oh, ow, top, left } = geometry(xShape, kh, kw, strides, pad);
  const out = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const r = i * strides[0] + p - top;
      const t = j * strides[1] + q - left;
      if (r < 0 || r >= h || t < 0 || t >= w) continue;
      for (let ci = 0; ci < c; ci++) out[((b * h + r) * w + t) * c + ci]! += dy.data[((b * oh + i) * ow + j) * c + ci]! / (kh * kw);
    }
  }
  return { shape: xShape, data: out };
}

/**
 * The max-pooling gradient: each window passes dy to its largest input, the first in row-major window order
 * among equal ones (PyTorch's and tfjs cpu's rule); padded positions are never candidates.
 */
export function maxPoolGrad(x: Arr, dy: Arr, kh: number, kw: number, strides: [number, number], pad: Pad): Arr {
  const { n, h, w, c, oh, ow, top, left } = geometry(x.shape, kh, kw, strides, pad);
  const out = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ci = 0; ci < c; ci++) {
    let best = -Infinity;
    let at = -1;
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const r = i * strides[0] + p - top;
      const t = j * strides[1] + q - left;
      if (r < 0 || r >= h || t < 0 || t >= w) continue;
      const index = ((b * h + r) * w + t) * c + ci;
      if (x.data[index]! > best) {
        best = x.data[index]!;
        at = index;
      }
    }
    if (at >= 0) out[at]! += dy.data[((b * oh + i) * ow + j) * c + ci]!;
  }
  return { shape: x.shape, data: out };
}

/** The largest |a - b| over the largest |b| (plus a floor so an all-zero reference still compares absolutely). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}
