// The filter gradient of a 2-D convolution:
//   dW[p, q, c, o] = sum over n, i, j of x[n, i*sh + p - top, j*sw + q - left, c] * dy[n, i, j, o]
// For each image and tap (p, q) and input channel c, the output positions whose tap lands inside the image
// form a rectangle; over it, 16 (8, 4) output channels accumulate in registers, one x value times a row of
// dy per position. Each register sum is added to float64 totals once per image (or per block of rows).

/** Rows of output positions summed in float32 before the float64 totals take them. */
function rowBlock(ow: i32): i32 {
  return max(1, 1024 / max(1, ow));
}

/**
 * dy [N, OH, OW, O] copied to rows of OP = O rounded up to 4 (zeros after), so that every row is whole
 * vectors; returns dy itself when O is already a multiple of 4.
 */
function paddedDy(dy: usize, positions: i32, o: i32, op: i32, scratch: usize): usize {
  if (o == op) return dy;
  for (let k = 0; k < positions; k++) {
    const from = dy + (<usize>(k * o) << 2);
    const to = scratch + (<usize>(k * op) << 2);
    memory.copy(to, from, <usize>o << 2);
    memory.fill(to + (<usize>o << 2), 0, <usize>(op - o) << 2);
  }
  return scratch;
}

/** Bytes of scratch conv2dFilterGrad needs. */
export function filterGradScratchBytes(n: i32, oh: i32, ow: i32, o: i32, kh: i32, kw: i32, c: i32): i32 {
  const op = (o + 3) & ~3;
  const padded = o == op ? 0 : n * oh * ow * op * 4;
  return padded + kh * kw * c * op * 8 + <i32>GEOMETRY_BYTES + 64;
}

// The geometry conv2dFilterGrad's helpers share, as int32 fields in its scratch (a class would allocate, and
// this module must never allocate: its memory may be tfjs's heap). Byte offsets:
const G_H: usize = 0;
const G_W: usize = 4;
const G_C: usize = 8;
const G_OH: usize = 12;
const G_OW: usize = 16;
const G_OP: usize = 20;
const G_KW: usize = 24;
const G_SH: usize = 28;
const G_SW: usize = 32;
const G_TOP: usize = 36;
const G_LEFT: usize = 40;

/** Bytes of the geometry record. */
const GEOMETRY_BYTES: usize = 64;

/**
 * One tap (p, q) of one input channel over output rows [ib, ie) and columns [ja, jb) of image b: every output
 * channel's sum of x * dy, 16, 8 or 4 channels at a time in registers, added to the float64 totals at t.
 */
function accumulateTap(x: usize, d: usize, t: usize, g: usize, b: i32, p: i32, q: i32, ci: i32, ib: i32, ie: i32, ja: i32, jb: i32): void {
  if (ja >= jb) return;
  const xStep = <usize>(load<i32>(g + G_SW) * load<i32>(g + G_C)) << 2;
  const dStep = <usize>load<i32>(g + G_OP) << 2;
  let v = 0;
  while (v < load<i32>(g + G_OP)) {
    const rest = load<i32>(g + G_OP) - v;
    const width = rest >= 16 ? 4 : rest >= 8 ? 2 : 1;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let i = ib; i < ie; i++) {
      let xp = x + (<usize>(((b * load<i32>(g + G_H) + i * load<i32>(g + G_SH) + p - load<i32>(g + G_TOP)) * load<i32>(g + G_W) + ja * load<i32>(g + G_SW) + q - load<i32>(g + G_LEFT)) * load<i32>(g + G_C) + ci) << 2);
      let dp = d + (<usize>(((b * load<i32>(g + G_OH) + i) * load<i32>(g + G_OW) + ja) * load<i32>(g + G_OP) + v) << 2);
      if (width == 4) {
        for (let j = ja; j < jb; j++) {
          const xv = f32x4.splat(load<f32>(xp));
          a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(dp)));
          a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(dp, 16)));
          a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(dp, 32)));
          a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(dp, 48)));
          xp += xStep;
          dp += dStep;
        }
      } else if (width == 2) {
        for (let j = ja; j < jb; j++) {
          const xv = f32x4.splat(load<f32>(xp));
          a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(dp)));
          a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(dp, 16)));
          xp += xStep;
          dp += dStep;
        }
      } else {
        for (let j = ja; j < jb; j++) {
          a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xp)), v128.load(dp)));
          xp += xStep;
          dp += dStep;
        }
      }
    }
    const tv = t + (<usize>(((p * load<i32>(g + G_KW) + q) * load<i32>(g + G_C) + ci) * load<i32>(g + G_OP) + v) << 3);
    addTotals(tv, a0);
    if (width >= 2) addTotals(tv + 32, a1);
    if (width == 4) {
      addTotals(tv + 64, a2);
      addTotals(tv + 96, a3);
    }
    v += width * 4;
  }
}

/**
 * Four taps (p, q..q+3) at once over the columns [ja, jb) that all four read inside the image, 8 output channels
 * at a time from v: each row of dy is loaded once for the four taps (the x values are neighbours), where one
 * tap at a time loads it four times. Eight accumulators and two dy vectors fit the registers.
 */
function accumulateFourTaps(x: usize, d: usize, t: usize, g: usize, b: i32, p: i32, q: i32, ci: i32, ib: i32, ie: i32, ja: i32, jb: i32, v: i32): void {
  if (ja >= jb) return;
  const xStep = <usize>(load<i32>(g + G_SW) * load<i32>(g + G_C)) << 2;
  const xTap = <usize>load<i32>(g + G_C) << 2;
  const dStep = <usize>load<i32>(g + G_OP) << 2;
  let a00 = f32x4.splat(0);
  let a01 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  let a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0);
  let a21 = f32x4.splat(0);
  let a30 = f32x4.splat(0);
  let a31 = f32x4.splat(0);
  for (let i = ib; i < ie; i++) {
    let xp = x + (<usize>(((b * load<i32>(g + G_H) + i * load<i32>(g + G_SH) + p - load<i32>(g + G_TOP)) * load<i32>(g + G_W) + ja * load<i32>(g + G_SW) + q - load<i32>(g + G_LEFT)) * load<i32>(g + G_C) + ci) << 2);
    let dp = d + (<usize>(((b * load<i32>(g + G_OH) + i) * load<i32>(g + G_OW) + ja) * load<i32>(g + G_OP) + v) << 2);
    for (let j = ja; j < jb; j++) {
      const d0 = v128.load(dp);
      const d1 = v128.load(dp, 16);
      const x0 = f32x4.splat(load<f32>(xp));
      const x1 = f32x4.splat(load<f32>(xp + xTap));
      const x2 = f32x4.splat(load<f32>(xp + 2 * xTap));
      const x3 = f32x4.splat(load<f32>(xp + 3 * xTap));
      a00 = f32x4.add(a00, f32x4.mul(x0, d0));
      a01 = f32x4.add(a01, f32x4.mul(x0, d1));
      a10 = f32x4.add(a10, f32x4.mul(x1, d0));
      a11 = f32x4.add(a11, f32x4.mul(x1, d1));
      a20 = f32x4.add(a20, f32x4.mul(x2, d0));
      a21 = f32x4.add(a21, f32x4.mul(x2, d1));
      a30 = f32x4.add(a30, f32x4.mul(x3, d0));
      a31 = f32x4.add(a31, f32x4.mul(x3, d1));
      xp += xStep;
      dp += dStep;
    }
  }
  // Taps q..q+3 are consecutive rows of the [KH, KW, C, OP] totals, C * OP apart.
  const tv = t + (<usize>(((p * load<i32>(g + G_KW) + q) * load<i32>(g + G_C) + ci) * load<i32>(g + G_OP) + v) << 3);
  const tapBytes = <usize>(load<i32>(g + G_C) * load<i32>(g + G_OP)) << 3;
  addTotals(tv, a00);
  addTotals(tv + 32, a01);
  addTotals(tv + tapBytes, a10);
  addTotals(tv + tapBytes + 32, a11);
  addTotals(tv + 2 * tapBytes, a20);
  addTotals(tv + 2 * tapBytes + 32, a21);
  addTotals(tv + 3 * tapBytes, a30);
  addTotals(tv + 3 * tapBytes + 32, a31);
}

/** dW [KH, KW, C, O] of x [N, H, W, C] and dy [N, OH, OW, O], any stride and padding (float64 totals). */
export function conv2dFilterGrad(
  x: usize, dy: usize, out: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, o: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32, scratch: usize,
): void {
  const op = (o + 3) & ~3;
  const tot = scratch;
  const totBytes = <usize>(kh * kw * c * op) << 3;
  memory.fill(tot, 0, totBytes);
  const d = paddedDy(dy, n * oh * ow, o, op, scratch + totBytes + GEOMETRY_BYTES);
  const g = scratch + totBytes;
  store<i32>(g + G_H, h);
  store<i32>(g + G_W, w);
  store<i32>(g + G_C, c);
  store<i32>(g + G_OH, oh);
  store<i32>(g + G_OW, ow);
  store<i32>(g + G_OP, op);
  store<i32>(g + G_KW, kw);
  store<i32>(g + G_SH, sh);
  store<i32>(g + G_SW, sw);
  store<i32>(g + G_TOP, top);
  store<i32>(g + G_LEFT, left);
  const block = rowBlock(ow);
  const op8 = op & ~7;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < kh; p++) {
      // Output rows whose tap p is inside the image.
      const i0 = p >= top ? 0 : (top - p + sh - 1) / sh;
      const i1 = min(oh, (h - 1 + top - p) / sh + 1);
      if (i0 >= i1) continue;
      for (let ci = 0; ci < c; ci++) {
        for (let ib = i0; ib < i1; ib += block) {
          const ie = min(i1, ib + block);
          let q = 0;
          while (q < kw) {
            if (q + 4 <= kw && op8 > 0) {
              // The columns all four taps read: the first tap's start (starts fall as q grows), the last tap's end.
              const ja = firstColumn(q, left, sw);
              const jb = endColumn(q + 3, w, left, sw, ow);
              for (let v = 0; v < op8; v += 8) accumulateFourTaps(x, d, tot, g, b, p, q, ci, ib, ie, ja, jb, v);
              for (let t = q; t < q + 4; t++) {
                const ta = firstColumn(t, left, sw);
                const tb = endColumn(t, w, left, sw, ow);
                // Each tap's columns outside the shared range, and its channels past the last group of 8, one tap at a time.
                if (ja < jb) {
                  accumulateTap(x, d, tot, g, b, p, t, ci, ib, ie, ta, min(tb, ja));
                  accumulateTap(x, d, tot, g, b, p, t, ci, ib, ie, max(ta, jb), tb);
                } else {
                  accumulateTap(x, d, tot, g, b, p, t, ci, ib, ie, ta, tb);
                }
                if (op8 < op && ta < tb) accumulateRest(x, d, tot, g, b, p, t, ci, ib, ie, max(ta, ja < jb ? ja : ta), min(tb, ja < jb ? jb : ta), op8);
              }
              q += 4;
            } else {
              accumulateTap(x, d, tot, g, b, p, q, ci, ib, ie, firstColumn(q, left, sw), endColumn(q, w, left, sw, ow));
              q++;
            }
          }
        }
      }
    }
  }
  // [KH, KW, C, OP] float64 totals to [KH, KW, C, O] float32.
  const rows = kh * kw * c;
  for (let k = 0; k < rows; k++) {
    for (let oi = 0; oi < o; oi++) {
      store<f32>(out + (<usize>(k * o + oi) << 2), <f32>load<f64>(tot + (<usize>(k * op + oi) << 3)));
    }
  }
}

/** The first output column whose tap q is inside the image. */
// @ts-ignore: decorator
@inline function firstColumn(q: i32, left: i32, sw: i32): i32 {
  return q >= left ? 0 : (left - q + sw - 1) / sw;
}

/** One past the last output column whose tap q is inside the image. */
// @ts-ignore: decorator
@inline function endColumn(q: i32, w: i32, left: i32, sw: i32, ow: i32): i32 {
  return min(ow, (w - 1 + left - q) / sw + 1);
}

/** The last 4 output channels (from v = OP - 4) of one tap over columns [ja, jb): what the 8-wide blocks leave. */
function accumulateRest(x: usize, d: usize, t: usize, g: usize, b: i32, p: i32, q: i32, ci: i32, ib: i32, ie: i32, ja: i32, jb: i32, v: i32): void {
  if (ja >= jb) return;
  const xStep = <usize>(load<i32>(g + G_SW) * load<i32>(g + G_C)) << 2;
  const dStep = <usize>load<i32>(g + G_OP) << 2;
  let a0 = f32x4.splat(0);
  for (let i = ib; i < ie; i++) {
    let xp = x + (<usize>(((b * load<i32>(g + G_H) + i * load<i32>(g + G_SH) + p - load<i32>(g + G_TOP)) * load<i32>(g + G_W) + ja * load<i32>(g + G_SW) + q - load<i32>(g + G_LEFT)) * load<i32>(g + G_C) + ci) << 2);
    let dp = d + (<usize>(((b * load<i32>(g + G_OH) + i) * load<i32>(g + G_OW) + ja) * load<i32>(g + G_OP) + v) << 2);
    for (let j = ja; j < jb; j++) {
      a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xp)), v128.load(dp)));
      xp += xStep;
      dp += dStep;
    }
  }
  addTotals(t + (<usize>(((p * load<i32>(g + G_KW) + q) * load<i32>(g + G_C) + ci) * load<i32>(g + G_OP) + v) << 3), a0);
}

// @ts-ignore: decorator
@inline function addTotals(t: usize, a: v128): void {
  store<f64>(t, load<f64>(t) + <f64>f32x4.extract_lane(a, 0));
  store<f64>(t + 8, load<f64>(t + 8) + <f64>f32x4.extract_lane(a, 1));
  store<f64>(t + 16, load<f64>(t + 16) + <f64>f32x4.extract_lane(a, 2));
  store<f64>(t + 24, load<f64>(t + 24) + <f64>f32x4.extract_lane(a, 3));
}
