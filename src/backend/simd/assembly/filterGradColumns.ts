// The filter gradient of a stride-1 convolution with few output channels and wide rows (LeNet's first layer:
// 6 outputs, 24 columns), where the kernel above wastes lanes on padding output channels. Here the lanes run along
// the output columns instead: per image, dy is laid out [O, OH, OWp] and x [H, C, Wt] (column s + left, zero
// margins), and four taps of two output channels accumulate in registers over every row and column block.

/** Bytes of scratch conv2dFilterGradColumns needs. */
export function filterGradColumnsScratchBytes(h: i32, c: i32, oh: i32, ow: i32, o: i32, kh: i32, kw: i32): i32 {
  const owp = (ow + 3) & ~3;
  const wt = (owp + kw + 3) & ~3;
  return kh * kw * c * o * 8 + o * oh * owp * 4 + h * c * wt * 4 + 64;
}

/** dW [KH, KW, C, O] for a stride-1 convolution, lanes along the output columns (float64 totals). */
export function conv2dFilterGradColumns(
  x: usize, dy: usize, out: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, o: i32,
  kh: i32, kw: i32, top: i32, left: i32, scratch: usize,
): void {
  const owp = (ow + 3) & ~3;
  const wt = (owp + kw + 3) & ~3;
  const tot = scratch;
  const totBytes = <usize>(kh * kw * c * o) << 3;
  const dyT = tot + totBytes;
  const xT = dyT + (<usize>(o * oh * owp) << 2);
  memory.fill(tot, 0, totBytes);
  const dRowBytes = <usize>owp << 2;
  const dPlaneBytes = <usize>(oh * owp) << 2;
  const xRowBytes = <usize>(c * wt) << 2;
  for (let b = 0; b < n; b++) {
    memory.fill(dyT, 0, <usize>o * dPlaneBytes);
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const from = dy + (<usize>(((b * oh + i) * ow + j) * o) << 2);
        for (let oi = 0; oi < o; oi++) store<f32>(dyT + <usize>oi * dPlaneBytes + <usize>i * dRowBytes + (<usize>j << 2), load<f32>(from + (<usize>oi << 2)));
      }
    }
    memory.fill(xT, 0, <usize>h * xRowBytes);
    for (let r = 0; r < h; r++) {
      for (let s = 0; s < w; s++) {
        const from = x + (<usize>(((b * h + r) * w + s) * c) << 2);
        for (let ci = 0; ci < c; ci++) store<f32>(xT + <usize>r * xRowBytes + (<usize>(ci * wt + s + left) << 2), load<f32>(from + (<usize>ci << 2)));
      }
    }
    for (let p = 0; p < kh; p++) {
      const i0 = max(0, top - p);
      const i1 = min(oh, h + top - p);
      if (i0 >= i1) continue;
      for (let ci = 0; ci < c; ci++) {
        // Row i of dy meets row i + p - top of x.
        const xBase = xT + <usize>(i0 + p - top) * xRowBytes + (<usize>(ci * wt) << 2);
        for (let oi = 0; oi < o; oi += 2) {
          const pair = oi + 1 < o;
          const d0 = dyT + <usize>oi * dPlaneBytes + <usize>i0 * dRowBytes;
          const d1 = pair ? d0 + dPlaneBytes : d0;
          let q = 0;
          for (; q + 4 <= kw; q += 4) columnsFourTaps(xBase + (<usize>q << 2), d0, d1, i1 - i0, owp, xRowBytes, dRowBytes, tot, ((p * kw + q) * c + ci) * o + oi, c * o, pair);
          for (; q < kw; q++) columnsOneTap(xBase + (<usize>q << 2), d0, d1, i1 - i0, owp, xRowBytes, dRowBytes, tot, ((p * kw + q) * c + ci) * o + oi, pair);
        }
      }
    }
  }
  const count = kh * kw * c * o;
  for (let k = 0; k < count; k++) store<f32>(out + (<usize>k << 2), <f32>load<f64>(tot + (<usize>k << 3)));
}

// @ts-ignore: decorator
@inline function hsum(a: v128): f64 {
  return <f64>f32x4.extract_lane(a, 0) + <f64>f32x4.extract_lane(a, 1) + <f64>f32x4.extract_lane(a, 2) + <f64>f32x4.extract_lane(a, 3);
}

// @ts-ignore: decorator
@inline function addTotal(tot: usize, k: i32, v: f64): void {
  const t = tot + (<usize>k << 3);
  store<f64>(t, load<f64>(t) + v);
}

/** Taps q..q+3 (x shifted 0..3 columns) for outputs d0 and d1 over `rows` rows of owp columns; totals at k (+1 for d1). */
function columnsFourTaps(
  xp: usize, d0: usize, d1: usize, rows: i32, owp: i32, xRowBytes: usize, dRowBytes: usize, tot: usize, k: i32, tapStep: i32, pair: bool,
): void {
  let a00 = f32x4.splat(0);
  let a01 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  let a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0);
  let a21 = f32x4.splat(0);
  let a30 = f32x4.splat(0);
  let a31 = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < owp; j += 4) {
      const off = <usize>j << 2;
      const e0 = v128.load(d0 + off);
      const e1 = v128.load(d1 + off);
      const x0 = v128.load(xp + off);
      const x1 = v128.load(xp + off, 4);
      const x2 = v128.load(xp + off, 8);
      const x3 = v128.load(xp + off, 12);
      a00 = f32x4.add(a00, f32x4.mul(x0, e0));
      a01 = f32x4.add(a01, f32x4.mul(x0, e1));
      a10 = f32x4.add(a10, f32x4.mul(x1, e0));
      a11 = f32x4.add(a11, f32x4.mul(x1, e1));
      a20 = f32x4.add(a20, f32x4.mul(x2, e0));
      a21 = f32x4.add(a21, f32x4.mul(x2, e1));
      a30 = f32x4.add(a30, f32x4.mul(x3, e0));
      a31 = f32x4.add(a31, f32x4.mul(x3, e1));
    }
    xp += xRowBytes;
    d0 += dRowBytes;
    d1 += dRowBytes;
  }
  addTotal(tot, k, hsum(a00));
  addTotal(tot, k + tapStep, hsum(a10));
  addTotal(tot, k + 2 * tapStep, hsum(a20));
  addTotal(tot, k + 3 * tapStep, hsum(a30));
  if (pair) {
    addTotal(tot, k + 1, hsum(a01));
    addTotal(tot, k + 1 + tapStep, hsum(a11));
    addTotal(tot, k + 1 + 2 * tapStep, hsum(a21));
    addTotal(tot, k + 1 + 3 * tapStep, hsum(a31));
  }
}

/** One tap for outputs d0 and d1, as columnsFourTaps. */
function columnsOneTap(xp: usize, d0: usize, d1: usize, rows: i32, owp: i32, xRowBytes: usize, dRowBytes: usize, tot: usize, k: i32, pair: bool): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < owp; j += 4) {
      const off = <usize>j << 2;
      const xv = v128.load(xp + off);
      a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(d0 + off)));
      a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(d1 + off)));
    }
    xp += xRowBytes;
    d0 += dRowBytes;
    d1 += dRowBytes;
  }
  addTotal(tot, k, hsum(a0));
  if (pair) addTotal(tot, k + 1, hsum(a1));
}
