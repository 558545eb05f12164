// The input gradient of a stride-1 convolution:
//   dx[n, r, s, c] = sum over p, q, o of dy[n, r - p + top, s - q + left, o] * W[p, q, c, o]
// Each row of dy is first laid out channel-major ([O, OWp], OWp = OW rounded up to 4, zeros after), so that
// consecutive output columns are consecutive lanes; each image accumulates into a channel-major buffer
// [H, C, Wt] whose columns are s + left (margins absorb the taps that fall outside the image), which is copied
// into dx's [H, W, C] at the end of the image. Eight output columns and four taps at a time share each dy load.

/** Bytes of scratch conv2dInputGrad needs. */
export function inputGradScratchBytes(n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, o: i32, kw: i32): i32 {
  const owp = (ow + 7) & ~7;
  const wt = (owp + kw + 3) & ~3;
  return n * oh * o * owp * 4 + h * c * wt * 4 + 64;
}

/** dx [N, H, W, C] of dy [N, OH, OW, O] and W [KH, KW, C, O] for a stride-1 convolution, any padding. */
export function conv2dInputGrad(
  dy: usize, filter: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, o: i32,
  kh: i32, kw: i32, top: i32, left: i32, scratch: usize,
): void {
  const owp = (ow + 7) & ~7;
  const wt = (owp + kw + 3) & ~3;
  const dyT = scratch;
  const acc = scratch + (<usize>(n * oh * o * owp) << 2);
  // dy [N, OH, OW, O] to [N, OH, O, OWp].
  memory.fill(dyT, 0, <usize>(n * oh * o * owp) << 2);
  for (let row = 0; row < n * oh; row++) {
    const from = dy + (<usize>(row * ow * o) << 2);
    const to = dyT + (<usize>(row * o * owp) << 2);
    for (let j = 0; j < ow; j++) {
      for (let oi = 0; oi < o; oi++) store<f32>(to + (<usize>(oi * owp + j) << 2), load<f32>(from + (<usize>(j * o + oi) << 2)));
    }
  }
  const rowBytes = <usize>(c * wt) << 2;
  for (let b = 0; b < n; b++) {
    memory.fill(acc, 0, <usize>h * rowBytes);
    for (let i = 0; i < oh; i++) {
      const dRow = dyT + (<usize>((b * oh + i) * o * owp) << 2);
      for (let p = 0; p < kh; p++) {
        const r = i + p - top;
        if (r < 0 || r >= h) continue;
        for (let ci = 0; ci < c; ci++) {
          const aRow = acc + <usize>r * rowBytes + (<usize>(ci * wt) << 2);
          // Tap q, column block j: acc[r, ci, j + q] += sum over o of W[p, q, ci, o] * dy[i, o, j].
          const wTap = filter + (<usize>((p * kw) * c + ci) * o << 2);
          const tapStride = <usize>(c * o) << 2;
          for (let j = 0; j < owp; j += 8) {
            let q = 0;
            for (; q + 4 <= kw; q += 4) inputGradFourTaps(dRow + (<usize>j << 2), owp, o, wTap + <usize>q * tapStride, tapStride, aRow + (<usize>(j + q) << 2));
            for (; q < kw; q++) inputGradOneTap(dRow + (<usize>j << 2), owp, o, wTap + <usize>q * tapStride, aRow + (<usize>(j + q) << 2));
          }
        }
      }
    }
    // [H, C, Wt] (column s + left) to dx [H, W, C] of this image.
    for (let r = 0; r < h; r++) {
      for (let s = 0; s < w; s++) {
        const to = dx + (<usize>(((b * h + r) * w + s) * c) << 2);
        for (let ci = 0; ci < c; ci++) store<f32>(to + (<usize>ci << 2), load<f32>(acc + <usize>r * rowBytes + (<usize>(ci * wt + s + left) << 2)));
      }
    }
  }
}

/** Four consecutive taps (w0, w0 + tapStride, ...) over 8 columns: 8 accumulators, each dy pair loaded once. */
function inputGradFourTaps(d: usize, owp: i32, o: i32, w0: usize, tapStride: usize, a: usize): void {
  let a00 = f32x4.splat(0);
  let a01 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  let a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0);
  let a21 = f32x4.splat(0);
  let a30 = f32x4.splat(0);
  let a31 = f32x4.splat(0);
  const dStep = <usize>owp << 2;
  for (let oi = 0; oi < o; oi++) {
    const d0 = v128.load(d);
    const d1 = v128.load(d, 16);
    const wq = w0 + (<usize>oi << 2);
    const x0 = v128.load32_splat(wq);
    const x1 = v128.load32_splat(wq + tapStride);
    const x2 = v128.load32_splat(wq + 2 * tapStride);
    const x3 = v128.load32_splat(wq + 3 * tapStride);
    a00 = f32x4.add(a00, f32x4.mul(x0, d0));
    a01 = f32x4.add(a01, f32x4.mul(x0, d1));
    a10 = f32x4.add(a10, f32x4.mul(x1, d0));
    a11 = f32x4.add(a11, f32x4.mul(x1, d1));
    a20 = f32x4.add(a20, f32x4.mul(x2, d0));
    a21 = f32x4.add(a21, f32x4.mul(x2, d1));
    a30 = f32x4.add(a30, f32x4.mul(x3, d0));
    a31 = f32x4.add(a31, f32x4.mul(x3, d1));
    d += dStep;
  }
  // Tap t lands t columns further right.
  v128.store(a, f32x4.add(v128.load(a), a00));
  v128.store(a, f32x4.add(v128.load(a, 16), a01), 16);
  v128.store(a, f32x4.add(v128.load(a, 4), a10), 4);
  v128.store(a, f32x4.add(v128.load(a, 20), a11), 20);
  v128.store(a, f32x4.add(v128.load(a, 8), a20), 8);
  v128.store(a, f32x4.add(v128.load(a, 24), a21), 24);
  v128.store(a, f32x4.add(v128.load(a, 12), a30), 12);
  v128.store(a, f32x4.add(v128.load(a, 28), a31), 28);
}

/** One tap over 8 columns. */
function inputGradOneTap(d: usize, owp: i32, o: i32, w0: usize, a: usize): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  const dStep = <usize>owp << 2;
  for (let oi = 0; oi < o; oi++) {
    const x = v128.load32_splat(w0 + (<usize>oi << 2));
    a0 = f32x4.add(a0, f32x4.mul(x, v128.load(d)));
    a1 = f32x4.add(a1, f32x4.mul(x, v128.load(d, 16)));
    d += dStep;
  }
  v128.store(a, f32x4.add(v128.load(a), a0));
  v128.store(a, f32x4.add(v128.load(a, 16), a1), 16);
}
