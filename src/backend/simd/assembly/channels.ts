import { CONST_BYTES, sact, sactGrad, storeConstants, vact, vactGrad } from './activations';

// Per-channel work on [rows, C]. The flat array is walked in chunks of P = lcm(C, 4) floats: lane j of every
// chunk belongs to channel j % C, so four lanes at a time work for any C, with per-lane constants held in
// "pattern" vectors of P floats. Sums run in float32 over blocks of chunks and are carried in float64 between
// blocks, so long sums (147,456 rows for LeNet's first batch norm) stay accurate.

/** Floats per chunk for C channels. */
function chunkOf(c: i32): i32 {
  if ((c & 3) == 0) return c;
  if ((c & 1) == 0) return c << 1;
  return c << 2;
}

/** Chunks per float32 block before the sums move to float64. */
const BLOCK: i32 = 128;

/** pattern[j] = values[j % C] for j < P. */
function fillPattern(pattern: usize, values: usize, c: i32, p: i32): void {
  for (let j = 0; j < p; j++) store<f32>(pattern + (<usize>j << 2), load<f32>(values + (<usize>(j % c) << 2)));
}

/** Adds P float32 lanes into float64 totals and clears them. */
function flush(acc: usize, tot: usize, p: i32): void {
  for (let j = 0; j < p; j++) {
    store<f64>(tot + (<usize>j << 3), load<f64>(tot + (<usize>j << 3)) + <f64>load<f32>(acc + (<usize>j << 2)));
    store<f32>(acc + (<usize>j << 2), 0);
  }
}

/**
 * Sums over rows, per channel, into float64 totals: out64[c] = sum_r x[r, c]. With `center` != 0 it sums squares
 * about the pattern at `meanPat` instead (the variance's numerator). Scratch: P floats of accumulators then P
 * float64s.
 */
function channelTotals(x: usize, rows: i32, c: i32, out64: usize, center: i32, meanPat: usize, scratch: usize): void {
  const p = chunkOf(c);
  const acc = scratch;
  const tot = scratch + (<usize>p << 2);
  memory.fill(acc, 0, <usize>p << 2);
  memory.fill(tot, 0, <usize>p << 3);
  const total = rows * c;
  const chunks = total / p;
  const bytes = <usize>p << 2;
  let at = x;
  for (let k = 0; k < chunks; k += BLOCK) {
    const end = min(chunks, k + BLOCK);
    for (let j: usize = 0; j < bytes; j += 16) {
      let a = v128.load(acc + j);
      let q = at + j;
      if (center != 0) {
        const m = v128.load(meanPat + j);
        for (let i = k; i < end; i++) {
          const d = f32x4.sub(v128.load(q), m);
          a = f32x4.add(a, f32x4.mul(d, d));
          q += bytes;
        }
      } else {
        for (let i = k; i < end; i++) {
          a = f32x4.add(a, v128.load(q));
          q += bytes;
        }
      }
      v128.store(acc + j, a);
    }
    at += <usize>(end - k) * bytes;
    flush(acc, tot, p);
  }
  // The rows after the last whole chunk (fewer than P / C of them), lane by lane.
  for (let i = chunks * p; i < total; i++) {
    const j = i - chunks * p;
    let v = load<f32>(x + (<usize>i << 2));
    if (center != 0) {
      v -= load<f32>(meanPat + (<usize>j << 2));
      v *= v;
    }
    store<f64>(tot + (<usize>j << 3), load<f64>(tot + (<usize>j << 3)) + <f64>v);
  }
  for (let ch = 0; ch < c; ch++) {
    let t: f64 = 0;
    for (let j = ch; j < p; j += c) t += load<f64>(tot + (<usize>j << 3));
    store<f64>(out64 + (<usize>ch << 3), t);
  }
}

/** channelTotals divided by `divisor`, as float32. `work` holds C float64s, then channelTotals' scratch. */
function channelSums(x: usize, rows: i32, c: i32, out: usize, divisor: f64, center: i32, meanPat: usize, work: usize): void {
  const t = work;
  channelTotals(x, rows, c, t, center, meanPat, work + (<usize>((c + 1) & ~1) << 3));
  for (let ch = 0; ch < c; ch++) store<f32>(out + (<usize>ch << 2), <f32>(load<f64>(t + (<usize>ch << 3)) / divisor));
}

/** Sum (divisor 1) or mean over the leading axes of a channels-last tensor: out[c] = sum_r x[r, c] / divisor. */
export function sumRows(x: usize, rows: i32, c: i32, out: usize, divisor: f64, scratch: usize): void {
  channelSums(x, rows, c, out, divisor, 0, 0, scratch);
}

/** Bytes of scratch the batch-norm and sum kernels need for C channels. */
export function channelScratchBytes(c: i32): i32 {
  return chunkOf(c) * 4 * 16 + c * 24 + <i32>CONST_BYTES + 128;
}

/**
 * y = act((x - mean) * gamma / sqrt(var + eps) + beta) over every lane, mean/var per channel, with the
 * pattern vectors at `pat` (mean, scale, beta: 3P floats).
 */
function normalise(x: usize, y: usize, rows: i32, c: i32, pat: usize, act: i32): void {
  const p = chunkOf(c);
  const bytes = <usize>p << 2;
  const meanPat = pat;
  const scalePat = pat + bytes;
  const betaPat = pat + 2 * bytes;
  // Past the patterns and bnTrain's sums (3P floats and P float64s).
  const cp = pat + 6 * bytes;
  storeConstants(cp);
  const total = rows * c;
  const chunks = total / p;
  // A block of chunks at a time (it stays in cache while each lane group walks it), not the whole tensor per group.
  for (let k = 0; k < chunks; k += BLOCK) {
    const end = min(chunks, k + BLOCK);
    for (let j: usize = 0; j < bytes; j += 16) {
      const m = v128.load(meanPat + j);
      const s = v128.load(scalePat + j);
      const b = v128.load(betaPat + j);
      let q = <usize>k * bytes + j;
      for (let i = k; i < end; i++) {
        v128.store(y + q, vact(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), m), s), b), act, cp));
        q += bytes;
      }
    }
  }
  for (let i = chunks * p; i < total; i++) {
    const j = <usize>(i - chunks * p) << 2;
    const z = (load<f32>(x + (<usize>i << 2)) - load<f32>(meanPat + j)) * load<f32>(scalePat + j) + load<f32>(betaPat + j);
    store<f32>(y + (<usize>i << 2), sact(z, act, cp));
  }
}

/**
 * This process's share of the batch statistics, in float64: mean64[c] and m2_64[c], the sum of squares about that
 * mean (two passes, no cancellation). Synchronised batch norm combines the shares of all workers (Chan's rule)
 * before normalising with bnInfer. Scratch: channelScratchBytes(C).
 */
export function bnStats(x: usize, rows: i32, c: i32, mean64: usize, m2_64: usize, scratch: usize): void {
  const p = chunkOf(c);
  const bytes = <usize>p << 2;
  const pat = scratch;
  const work = scratch + bytes;
  channelTotals(x, rows, c, mean64, 0, 0, work);
  const meanF = work;
  for (let ch = 0; ch < c; ch++) {
    const m = load<f64>(mean64 + (<usize>ch << 3)) / <f64>rows;
    store<f64>(mean64 + (<usize>ch << 3), m);
    store<f32>(meanF + (<usize>ch << 2), <f32>m);
  }
  fillPattern(pat, meanF, c, p);
  channelTotals(x, rows, c, m2_64, 1, pat, work);
}

/**
 * Batch norm in training mode fused with the activation after it: writes the batch mean and biased variance
 * (two passes: the mean, then squares about it) and y = act(gamma * (x - mean) / sqrt(var + eps) + beta).
 * Scratch: channelScratchBytes(C).
 */
export function bnTrain(
  x: usize, y: usize, rows: i32, c: i32, gamma: usize, beta: usize,
  mean: usize, variance: usize, eps: f32, act: i32, scratch: usize,
): void {
  const p = chunkOf(c);
  const bytes = <usize>p << 2;
  const pat = scratch;
  const sums = scratch + 3 * bytes;
  channelSums(x, rows, c, mean, <f64>rows, 0, 0, sums);
  fillPattern(pat, mean, c, p);
  channelSums(x, rows, c, variance, <f64>rows, 1, pat, sums);
  bnInfer(x, y, rows, c, gamma, beta, mean, variance, eps, act, scratch);
}

/** Batch norm in inference mode (the given statistics) fused with the activation after it. */
export function bnInfer(
  x: usize, y: usize, rows: i32, c: i32, gamma: usize, beta: usize,
  mean: usize, variance: usize, eps: f32, act: i32, scratch: usize,
): void {
  const p = chunkOf(c);
  const bytes = <usize>p << 2;
  const pat = scratch;
  fillPattern(pat, mean, c, p);
  for (let j = 0; j < p; j++) {
    const ch = j % c;
    const inv = <f32>(1.0 / Math.sqrt(<f64>load<f32>(variance + (<usize>ch << 2)) + <f64>eps));
    store<f32>(pat + bytes + (<usize>j << 2), load<f32>(gamma + (<usize>ch << 2)) * inv);
  }
  fillPattern(pat + 2 * bytes, beta, c, p);
  normalise(x, y, rows, c, pat, act);
}

/**
 * The per-channel sums of the batch-norm gradient, in float64: s1 = sum dz, s2 = sum dz * (x - mean), with
 * dz = dy * act'(y). Synchronised batch norm adds every worker's before bnGradApply. Scratch: channelScratchBytes(C).
 */
export function bnGradSums(dy: usize, y: usize, x: usize, rows: i32, c: i32, mean: usize, act: i32, s1_64: usize, s2_64: usize, scratch: usize): void {
  const p = chunkOf(c);
  const bytes = <usize>p << 2;
  const meanPat = scratch;
  const acc1 = scratch + bytes;
  const acc2 = scratch + 2 * bytes;
  const tot1 = scratch + 3 * bytes;
  const tot2 = tot1 + 2 * bytes;
  fillPattern(meanPat, mean, c, p);
  memory.fill(acc1, 0, 2 * bytes);
  memory.fill(tot1, 0, 4 * bytes);
  const total = rows * c;
  const chunks = total / p;
  for (let k = 0; k < chunks; k += BLOCK) {
    const end = min(chunks, k + BLOCK);
    for (let j: usize = 0; j < bytes; j += 16) {
      const m = v128.load(meanPat + j);
      let a1 = v128.load(acc1 + j);
      let a2 = v128.load(acc2 + j);
      let q = <usize>k * bytes + j;
      for (let i = k; i < end; i++) {
        const dz = vactGrad(v128.load(dy + q), v128.load(y + q), act);
        a1 = f32x4.add(a1, dz);
        a2 = f32x4.add(a2, f32x4.mul(dz, f32x4.sub(v128.load(x + q), m)));
        q += bytes;
      }
      v128.store(acc1 + j, a1);
      v128.store(acc2 + j, a2);
    }
    flush(acc1, tot1, p);
    flush(acc2, tot2, p);
  }
  for (let i = chunks * p; i < total; i++) {
    const j = <usize>(i - chunks * p);
    const o = <usize>i << 2;
    const dz = sactGrad(load<f32>(dy + o), load<f32>(y + o), act);
    store<f64>(tot1 + (j << 3), load<f64>(tot1 + (j << 3)) + <f64>dz);
    const d = load<f32>(x + o) - load<f32>(meanPat + (j << 2));
    store<f64>(tot2 + (j << 3), load<f64>(tot2 + (j << 3)) + <f64>(dz * d));
  }
  for (let ch = 0; ch < c; ch++) {
    let s1: f64 = 0;
    let s2: f64 = 0;
    for (let j = ch; j < p; j += c) {
      s1 += load<f64>(tot1 + (<usize>j << 3));
      s2 += load<f64>(tot2 + (<usize>j << 3));
    }
    store<f64>(s1_64 + (<usize>ch << 3), s1);
    store<f64>(s2_64 + (<usize>ch << 3), s2);
  }
}

/**
 * dx, dgamma and dbeta of y = act(gamma * (x - mean) * r + beta), r = 1/sqrt(var + eps), from bnGradSums' s1 and
 * s2 (summed over `count` rows, all workers' when synchronised):
 *   dbeta = s1, dgamma = s2 * r,
 *   training (mean and var are the batch's, functions of x): dx = k1 (dz - s1 / M) + k2 (x - mean) with
 *     k1 = gamma r, k2 = -gamma r^3 s2 / M (M = count); dz - s1 / M is taken first, so that it cancels exactly
 *     where it should (one row per channel) instead of leaving k1's rounding behind;
 *   inference (fixed statistics): dx = k1 dz.
 * dz is recomputed here rather than stored. Scratch: channelScratchBytes(C).
 */
export function bnGradApply(
  dy: usize, y: usize, x: usize, rows: i32, c: i32, gamma: usize, mean: usize, variance: usize,
  eps: f32, act: i32, training: i32, count: f64, s1_64: usize, s2_64: usize, dx: usize, dgamma: usize, dbeta: usize, scratch: usize,
): void {
  const p = chunkOf(c);
  const bytes = <usize>p << 2;
  const meanPat = scratch;
  const k1Pat = scratch + bytes;
  const k2Pat = scratch + 2 * bytes;
  const meanDzPat = scratch + 3 * bytes;
  fillPattern(meanPat, mean, c, p);
  for (let ch = 0; ch < c; ch++) {
    const s1 = load<f64>(s1_64 + (<usize>ch << 3));
    const s2 = load<f64>(s2_64 + (<usize>ch << 3));
    const r = 1.0 / Math.sqrt(<f64>load<f32>(variance + (<usize>ch << 2)) + <f64>eps);
    const g = <f64>load<f32>(gamma + (<usize>ch << 2));
    store<f32>(dbeta + (<usize>ch << 2), <f32>s1);
    store<f32>(dgamma + (<usize>ch << 2), <f32>(s2 * r));
    const k1 = g * r;
    const k2 = training != 0 ? -k1 * r * r * s2 / count : 0.0;
    const meanDz = training != 0 ? s1 / count : 0.0;
    for (let j = ch; j < p; j += c) {
      store<f32>(k1Pat + (<usize>j << 2), <f32>k1);
      store<f32>(k2Pat + (<usize>j << 2), <f32>k2);
      store<f32>(meanDzPat + (<usize>j << 2), <f32>meanDz);
    }
  }
  const total = rows * c;
  const chunks = total / p;
  for (let k = 0; k < chunks; k += BLOCK) {
    const end = min(chunks, k + BLOCK);
    for (let j: usize = 0; j < bytes; j += 16) {
      const mv = v128.load(meanPat + j);
      const k1 = v128.load(k1Pat + j);
      const k2 = v128.load(k2Pat + j);
      const mdz = v128.load(meanDzPat + j);
      let q = <usize>k * bytes + j;
      for (let i = k; i < end; i++) {
        const dz = vactGrad(v128.load(dy + q), v128.load(y + q), act);
        const v = f32x4.add(f32x4.mul(k1, f32x4.sub(dz, mdz)), f32x4.mul(k2, f32x4.sub(v128.load(x + q), mv)));
        v128.store(dx + q, v);
        q += bytes;
      }
    }
  }
  for (let i = chunks * p; i < total; i++) {
    const j = <usize>(i - chunks * p) << 2;
    const o = <usize>i << 2;
    const dz = sactGrad(load<f32>(dy + o), load<f32>(y + o), act);
    const v = load<f32>(k1Pat + j) * (dz - load<f32>(meanDzPat + j)) + load<f32>(k2Pat + j) * (load<f32>(x + o) - load<f32>(meanPat + j));
    store<f32>(dx + o, v);
  }
}

/** The whole batch-norm gradient on one process: bnGradSums, then bnGradApply over its own rows. */
export function bnGrad(
  dy: usize, y: usize, x: usize, rows: i32, c: i32, gamma: usize, mean: usize, variance: usize,
  eps: f32, act: i32, training: i32, dx: usize, dgamma: usize, dbeta: usize, scratch: usize,
): void {
  const sums = scratch;
  const work = scratch + (<usize>((2 * c + 1) & ~1) << 3);
  bnGradSums(dy, y, x, rows, c, mean, act, sums, sums + (<usize>c << 3), work);
  bnGradApply(dy, y, x, rows, c, gamma, mean, variance, eps, act, training, <f64>rows, sums, sums + (<usize>c << 3), dx, dgamma, dbeta, work);
}
