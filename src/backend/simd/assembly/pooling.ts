// Pooling on [N, H, W, C]. Four channels at a time; when C is not a multiple of 4 the last group of four
// overlaps the one before (it recomputes and rewrites equal values), and C < 4 runs lane by lane.

/** First output row (or column) whose window reaches input row r, for stride s, window k, leading pad `before`. */
// @ts-ignore: decorator
@inline function firstCovering(r: i32, k: i32, s: i32, before: i32): i32 {
  const num = r + before - k + 1;
  return num <= 0 ? 0 : (num + s - 1) / s;
}

/**
 * Average pooling; each window is divided by the number of its positions inside the input (tfjs's rule on
 * both backends: padding is left out of the average; netc pads explicitly before a `valid` pool).
 */
export function avgPool(
  x: usize, y: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32,
): void {
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = max(0, i * sh - top);
      const r1 = min(h, i * sh - top + kh);
      for (let j = 0; j < ow; j++) {
        const c0 = max(0, j * sw - left);
        const c1 = min(w, j * sw - left + kw);
        const count = (r1 - r0) * (c1 - c0);
        const inv: f32 = count > 0 ? <f32>1.0 / <f32>count : 0;
        const out = y + (<usize>((b * oh + i) * ow + j) * c << 2);
        if (c >= 4) {
          let ch = 0;
          while (ch < c) {
            if (ch + 4 > c) ch = c - 4;
            let a = f32x4.splat(0);
            for (let r = r0; r < r1; r++) {
              let q = x + (<usize>(((b * h + r) * w + c0) * c + ch) << 2);
              for (let s = c0; s < c1; s++) {
                a = f32x4.add(a, v128.load(q));
                q += <usize>c << 2;
              }
            }
            v128.store(out + (<usize>ch << 2), f32x4.mul(a, f32x4.splat(inv)));
            ch += 4;
          }
        } else {
          for (let ch = 0; ch < c; ch++) {
            let a: f32 = 0;
            for (let r = r0; r < r1; r++) {
              for (let s = c0; s < c1; s++) a += load<f32>(x + (<usize>(((b * h + r) * w + s) * c + ch) << 2));
            }
            store<f32>(out + (<usize>ch << 2), a * inv);
          }
        }
      }
    }
  }
}

/**
 * The average-pooling gradient as tfjs defines it (each window passes dy / (KH * KW) to every position it
 * covers), gathered: each input position sums the windows that cover it and is written once.
 * Scratch: 2 * W int32s (the window range of every column).
 */
export function avgPoolGrad(
  dy: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32, scratch: usize,
): void {
  const m: f32 = <f32>1.0 / <f32>(kh * kw);
  if (sh == kh && sw == kw && top == 0 && left == 0 && oh * kh == h && ow * kw == w && c >= 4) {
    // Windows that tile the input (LeNet's 2x2, stride 2): each window's dy row is scaled once and written to
    // its KH x KW positions.
    const mv = f32x4.splat(m);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const g = dy + (<usize>(((b * oh + i) * ow + j) * c) << 2);
          let ch = 0;
          while (ch < c) {
            if (ch + 4 > c) ch = c - 4;
            const v = f32x4.mul(v128.load(g + (<usize>ch << 2)), mv);
            for (let p = 0; p < kh; p++) {
              let to = dx + (<usize>(((b * h + i * kh + p) * w + j * kw) * c + ch) << 2);
              for (let q = 0; q < kw; q++) {
                v128.store(to, v);
                to += <usize>c << 2;
              }
            }
            ch += 4;
          }
        }
      }
    }
    return;
  }
  for (let s = 0; s < w; s++) {
    store<i32>(scratch + (<usize>(2 * s) << 2), firstCovering(s, kw, sw, left));
    store<i32>(scratch + (<usize>(2 * s + 1) << 2), min(ow - 1, (s + left) / sw));
  }
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < h; r++) {
      const i0 = firstCovering(r, kh, sh, top);
      const i1 = min(oh - 1, (r + top) / sh);
      for (let s = 0; s < w; s++) {
        const j0 = load<i32>(scratch + (<usize>(2 * s) << 2));
        const j1 = load<i32>(scratch + (<usize>(2 * s + 1) << 2));
        const out = dx + (<usize>(((b * h + r) * w + s) * c) << 2);
        if (c >= 4) {
          let ch = 0;
          while (ch < c) {
            if (ch + 4 > c) ch = c - 4;
            let a = f32x4.splat(0);
            for (let i = i0; i <= i1; i++) {
              for (let j = j0; j <= j1; j++) a = f32x4.add(a, v128.load(dy + (<usize>(((b * oh + i) * ow + j) * c + ch) << 2)));
            }
            v128.store(out + (<usize>ch << 2), f32x4.mul(a, f32x4.splat(m)));
            ch += 4;
          }
        } else {
          for (let ch = 0; ch < c; ch++) {
            let a: f32 = 0;
            for (let i = i0; i <= i1; i++) {
              for (let j = j0; j <= j1; j++) a += load<f32>(dy + (<usize>(((b * oh + i) * ow + j) * c + ch) << 2));
            }
            store<f32>(out + (<usize>ch << 2), a * m);
          }
        }
      }
    }
  }
}

/** Max pooling; padded positions are never candidates (a window with none gives -Infinity, as tfjs's cpu does). */
export function maxPool(
  x: usize, y: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32,
): void {
  const ninf = f32x4.splat(-Infinity);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = max(0, i * sh - top);
      const r1 = min(h, i * sh - top + kh);
      for (let j = 0; j < ow; j++) {
        const c0 = max(0, j * sw - left);
        const c1 = min(w, j * sw - left + kw);
        const out = y + (<usize>((b * oh + i) * ow + j) * c << 2);
        if (c >= 4) {
          let ch = 0;
          while (ch < c) {
            if (ch + 4 > c) ch = c - 4;
            let a = ninf;
            for (let r = r0; r < r1; r++) {
              let q = x + (<usize>(((b * h + r) * w + c0) * c + ch) << 2);
              for (let s = c0; s < c1; s++) {
                a = f32x4.max(a, v128.load(q));
                q += <usize>c << 2;
              }
            }
            v128.store(out + (<usize>ch << 2), a);
            ch += 4;
          }
        } else {
          for (let ch = 0; ch < c; ch++) {
            let a: f32 = -Infinity;
            for (let r = r0; r < r1; r++) {
              for (let s = c0; s < c1; s++) a = max(a, load<f32>(x + (<usize>(((b * h + r) * w + s) * c + ch) << 2)));
            }
            store<f32>(out + (<usize>ch << 2), a);
          }
        }
      }
    }
  }
}

/**
 * The max-pooling gradient: each window passes dy to its largest input, the first in row-major window order
 * among equal ones; padded positions never win. Four channels at a time find their winners together; the
 * additions are made lane by lane (windows may overlap, so winners can repeat).
 */
export function maxPoolGrad(
  dy: usize, x: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32,
): void {
  memory.fill(dx, 0, <usize>(n * h * w * c) << 2);
  const c4 = c & ~3;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = max(0, i * sh - top);
      const r1 = min(h, i * sh - top + kh);
      for (let j = 0; j < ow; j++) {
        const c0 = max(0, j * sw - left);
        const c1 = min(w, j * sw - left + kw);
        const g = dy + (<usize>(((b * oh + i) * ow + j) * c) << 2);
        for (let ch = 0; ch < c4; ch += 4) {
          let best = f32x4.splat(-Infinity);
          let at = i32x4.splat(-1);
          for (let r = r0; r < r1; r++) {
            for (let s = c0; s < c1; s++) {
              const pos = ((b * h + r) * w + s) * c + ch;
              const v = v128.load(x + (<usize>pos << 2));
              const better = f32x4.gt(v, best);
              best = v128.bitselect(v, best, better);
              at = v128.bitselect(i32x4.add(i32x4.splat(pos), i32x4(0, 1, 2, 3)), at, better);
            }
          }
          const gv = v128.load(g + (<usize>ch << 2));
          addLane(dx, i32x4.extract_lane(at, 0), f32x4.extract_lane(gv, 0));
          addLane(dx, i32x4.extract_lane(at, 1), f32x4.extract_lane(gv, 1));
          addLane(dx, i32x4.extract_lane(at, 2), f32x4.extract_lane(gv, 2));
          addLane(dx, i32x4.extract_lane(at, 3), f32x4.extract_lane(gv, 3));
        }
        for (let ch = c4; ch < c; ch++) {
          let best: f32 = -Infinity;
          let at = -1;
          for (let r = r0; r < r1; r++) {
            for (let s = c0; s < c1; s++) {
              const pos = ((b * h + r) * w + s) * c + ch;
              const v = load<f32>(x + (<usize>pos << 2));
              if (v > best) {
                best = v;
                at = pos;
              }
            }
          }
          addLane(dx, at, load<f32>(g + (<usize>ch << 2)));
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function addLane(dx: usize, at: i32, v: f32): void {
  if (at >= 0) {
    const q = dx + (<usize>at << 2);
    store<f32>(q, load<f32>(q) + v);
  }
}
