// netc's fused SIMD kernels, in AssemblyScript (compiled by `npm run build:simd` to build/netc-simd.wasm).
//
// The module imports its memory: on tfjs's wasm backend it is that backend's own heap, so every pointer here
// is a tensor's memoryOffset and nothing is copied; on the cpu backend it is a private memory that the loader
// copies tensors into. So the module must own no memory of its own: no data segments (no strings, no lookup
// tables, no Math library calls), no allocation. Scratch space is a pointer the caller passes in.
//
// Layout is tfjs's: channels-last, so a batch-norm or bias input is [rows, C] with C the fastest axis, a
// pooling or convolution input is [N, H, W, C]. All pointers are byte offsets; all values float32.

// ---------------------------------------------------------------------------------------------------------------
// Activations. Codes shared with src/backend/simd/kernels.ts.

/** No activation. */
const ACT_NONE: i32 = 0;
const ACT_RELU: i32 = 1;
const ACT_SIGMOID: i32 = 2;
const ACT_TANH: i32 = 3;

// The activations' constants live in memory (see storeConstants) and are loaded where used: V8 builds a
// v128.const inside the loop from general registers on every iteration, several instructions each, and the
// exponential needs about twenty of them. Byte offsets into the table:
const C_LO: usize = 0;
const C_HI: usize = 16;
const C_LOG2E: usize = 32;
const C_MAGIC: usize = 48;
const C_LN2HI: usize = 64;
const C_LN2LO: usize = 80;
const C_ONE: usize = 96;
const C_HALF: usize = 112;
const C_E3: usize = 128;
const C_E4: usize = 144;
const C_E5: usize = 160;
const C_E6: usize = 176;
const C_E7: usize = 192;
const C_TWO: usize = 208;
const C_SMALL: usize = 224;
const C_T0: usize = 240;
const C_T1: usize = 256;
const C_T2: usize = 272;
const C_T3: usize = 288;
const C_T4: usize = 304;
const C_SIGN: usize = 320;
const C_BIAS: usize = 336;

/** Bytes of the constant table. */
const CONST_BYTES: usize = 352;

/** Writes the activations' constant table at cp (16-byte aligned). */
function storeConstants(cp: usize): void {
  v128.store(cp + C_LO, f32x4.splat(-87.0));
  v128.store(cp + C_HI, f32x4.splat(88.0));
  v128.store(cp + C_LOG2E, f32x4.splat(1.44269504088896341));
  // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
  v128.store(cp + C_MAGIC, f32x4.splat(12582912.0));
  // ln 2 in two parts, so that k * ln2 is exact in the first product.
  v128.store(cp + C_LN2HI, f32x4.splat(0.693359375));
  v128.store(cp + C_LN2LO, f32x4.splat(-2.12194440e-4));
  v128.store(cp + C_ONE, f32x4.splat(1.0));
  v128.store(cp + C_HALF, f32x4.splat(0.5));
  v128.store(cp + C_E3, f32x4.splat(<f32>(1.0 / 6.0)));
  v128.store(cp + C_E4, f32x4.splat(<f32>(1.0 / 24.0)));
  v128.store(cp + C_E5, f32x4.splat(<f32>(1.0 / 120.0)));
  v128.store(cp + C_E6, f32x4.splat(<f32>(1.0 / 720.0)));
  v128.store(cp + C_E7, f32x4.splat(<f32>(1.0 / 5040.0)));
  v128.store(cp + C_TWO, f32x4.splat(2.0));
  v128.store(cp + C_SMALL, f32x4.splat(0.625));
  // tanh(x) = x + x^3 P(x^2) on |x| < 0.625 (Cephes' minimax coefficients; checked against Math.tanh in the tests).
  v128.store(cp + C_T0, f32x4.splat(-5.70498872745e-3));
  v128.store(cp + C_T1, f32x4.splat(2.06390887954e-2));
  v128.store(cp + C_T2, f32x4.splat(-5.37397155531e-2));
  v128.store(cp + C_T3, f32x4.splat(1.33314422036e-1));
  v128.store(cp + C_T4, f32x4.splat(-3.33332819422e-1));
  v128.store(cp + C_SIGN, i32x4.splat(0x80000000));
  v128.store(cp + C_BIAS, i32x4.splat(127));
}

// @ts-ignore: decorator
@inline function cst(cp: usize, offset: usize): v128 {
  return v128.load(cp + offset);
}

/**
 * e^x on four lanes: x = k ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7 (below 1 ulp) in
 * Estrin's order (three dependent steps instead of Horner's seven), 2^k by exponent bits.
 */
// @ts-ignore: decorator
@inline function vexp(v: v128, cp: usize): v128 {
  // Clamped so that 2^k stays a normal float (e^88 is finite, e^-87 is normal).
  const x = f32x4.min(f32x4.max(v, cst(cp, C_LO)), cst(cp, C_HI));
  const shifted = f32x4.add(f32x4.mul(x, cst(cp, C_LOG2E)), cst(cp, C_MAGIC));
  const k = f32x4.sub(shifted, cst(cp, C_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(k, cst(cp, C_LN2HI)));
  r = f32x4.sub(r, f32x4.mul(k, cst(cp, C_LN2LO)));
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const p01 = f32x4.add(cst(cp, C_ONE), r);
  const p23 = f32x4.add(cst(cp, C_HALF), f32x4.mul(r, cst(cp, C_E3)));
  const p45 = f32x4.add(cst(cp, C_E4), f32x4.mul(r, cst(cp, C_E5)));
  const p67 = f32x4.add(cst(cp, C_E6), f32x4.mul(r, cst(cp, C_E7)));
  const p = f32x4.add(f32x4.add(p01, f32x4.mul(r2, p23)), f32x4.mul(r4, f32x4.add(p45, f32x4.mul(r2, p67))));
  // The integer plus the exponent bias, moved into the exponent field (the magic constant's own bits shift out).
  const twoK = i32x4.shl(i32x4.add(shifted, cst(cp, C_BIAS)), 23);
  return f32x4.mul(p, twoK);
}

/** tanh on four lanes: an odd polynomial near 0 (no cancellation), 1 - 2 / (e^2|x| + 1) with the sign elsewhere. */
// @ts-ignore: decorator
@inline function vtanh(z: v128, cp: usize): v128 {
  const a = f32x4.abs(z);
  const z2 = f32x4.mul(z, z);
  let q = cst(cp, C_T0);
  q = f32x4.add(f32x4.mul(q, z2), cst(cp, C_T1));
  q = f32x4.add(f32x4.mul(q, z2), cst(cp, C_T2));
  q = f32x4.add(f32x4.mul(q, z2), cst(cp, C_T3));
  q = f32x4.add(f32x4.mul(q, z2), cst(cp, C_T4));
  const small = f32x4.add(z, f32x4.mul(f32x4.mul(z, z2), q));
  const one = cst(cp, C_ONE);
  const t = f32x4.sub(one, f32x4.div(cst(cp, C_TWO), f32x4.add(vexp(f32x4.add(a, a), cp), one)));
  const large = v128.or(t, v128.and(z, cst(cp, C_SIGN)));
  return v128.bitselect(small, large, f32x4.lt(a, cst(cp, C_SMALL)));
}

/** The activation of z. */
// @ts-ignore: decorator
@inline function vact(z: v128, act: i32, cp: usize): v128 {
  if (act == ACT_RELU) return f32x4.max(z, f32x4.splat(0));
  if (act == ACT_SIGMOID) {
    const one = cst(cp, C_ONE);
    return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(z), cp)));
  }
  if (act == ACT_TANH) return vtanh(z, cp);
  return z;
}

/** dy * act'(z), from the activation's output y (as tfjs's gradients do): relu y > 0, sigmoid y(1-y), tanh 1-y^2. */
// @ts-ignore: decorator
@inline function vactGrad(dy: v128, y: v128, act: i32): v128 {
  if (act == ACT_RELU) return v128.and(dy, f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(f32x4.splat(1.0), y)));
  if (act == ACT_TANH) return f32x4.mul(dy, f32x4.sub(f32x4.splat(1.0), f32x4.mul(y, y)));
  return dy;
}

// @ts-ignore: decorator
@inline function sact(z: f32, act: i32, cp: usize): f32 {
  return f32x4.extract_lane(vact(f32x4.splat(z), act, cp), 0);
}

// @ts-ignore: decorator
@inline function sactGrad(dy: f32, y: f32, act: i32): f32 {
  return f32x4.extract_lane(vactGrad(f32x4.splat(dy), f32x4.splat(y), act), 0);
}

/** y = act(x) for n values (the model's other activations stay tfjs's; this is for tests). Scratch: 512 bytes. */
export function activate(x: usize, y: usize, n: i32, act: i32, scratch: usize): void {
  storeConstants(scratch);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), vact(v128.load(x + (<usize>i << 2)), act, scratch));
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), sact(load<f32>(x + (<usize>i << 2)), act, scratch));
}

// ---------------------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------------------
// A stride-1 convolution with few input channels (LeNet's first layer reads one), where XNNPACK reaches a third
// of its speed on wider inputs. Lanes run along the output columns: per image, x is laid out [H, C, Wt] (column
// s + left, zero margins); two output channels of eight columns accumulate in registers over every tap.

/** Bytes of scratch conv2dSmallChannels needs. */
export function smallChannelsScratchBytes(h: i32, c: i32, ow: i32, kw: i32): i32 {
  const owp = (ow + 7) & ~7;
  return h * c * ((owp + kw + 3) & ~3) * 4 + 64;
}

/** y [N, OH, OW, O] = conv(x [N, H, W, C], W [KH, KW, C, O]) + bias (0 for none), stride 1, any padding. */
export function conv2dSmallChannels(
  x: usize, filter: usize, bias: usize, y: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, o: i32,
  kh: i32, kw: i32, top: i32, left: i32, scratch: usize,
): void {
  const owp = (ow + 7) & ~7;
  const wt = (owp + kw + 3) & ~3;
  const xT = scratch;
  const xRowBytes = <usize>(c * wt) << 2;
  const qStep = <usize>(c * o) << 2;
  for (let b = 0; b < n; b++) {
    memory.fill(xT, 0, <usize>h * xRowBytes);
    for (let r = 0; r < h; r++) {
      for (let s = 0; s < w; s++) {
        const from = x + (<usize>(((b * h + r) * w + s) * c) << 2);
        for (let ci = 0; ci < c; ci++) store<f32>(xT + <usize>r * xRowBytes + (<usize>(ci * wt + s + left) << 2), load<f32>(from + (<usize>ci << 2)));
      }
    }
    for (let i = 0; i < oh; i++) {
      const p0 = max(0, top - i);
      const p1 = min(kh, h + top - i);
      for (let oi = 0; oi < o; oi += 2) {
        // An odd last channel repeats its weight in the second slot and stores only the first.
        const pair = oi + 1 < o;
        const o1: usize = pair ? 4 : 0;
        const b0: f32 = bias != 0 ? load<f32>(bias + (<usize>oi << 2)) : 0;
        const b1: f32 = bias != 0 ? load<f32>(bias + (<usize>oi << 2) + o1) : 0;
        for (let j = 0; j < owp; j += 8) {
          let a00 = f32x4.splat(b0);
          let a01 = a00;
          let a10 = f32x4.splat(b1);
          let a11 = a10;
          for (let p = p0; p < p1; p++) {
            const xRow = xT + <usize>(i + p - top) * xRowBytes + (<usize>j << 2);
            for (let ci = 0; ci < c; ci++) {
              const xc = xRow + (<usize>(ci * wt) << 2);
              let wp = filter + (<usize>((p * kw * c + ci) * o + oi) << 2);
              for (let q = 0; q < kw; q++) {
                const xq = xc + (<usize>q << 2);
                const x0 = v128.load(xq);
                const x1 = v128.load(xq, 16);
                const w0 = v128.load32_splat(wp);
                const w1 = v128.load32_splat(wp + o1);
                a00 = f32x4.add(a00, f32x4.mul(x0, w0));
                a01 = f32x4.add(a01, f32x4.mul(x1, w0));
                a10 = f32x4.add(a10, f32x4.mul(x0, w1));
                a11 = f32x4.add(a11, f32x4.mul(x1, w1));
                wp += qStep;
              }
            }
          }
          // Columns j..j+7 of channels oi (and oi + 1) into y's [.., OW, O] rows, as far as the row goes.
          const yRow = y + (<usize>((b * oh + i) * ow * o + oi) << 2);
          const count = min(8, ow - j);
          for (let t = 0; t < count; t++) {
            const at = yRow + (<usize>((j + t) * o) << 2);
            store<f32>(at, lane(t < 4 ? a00 : a01, t & 3));
            if (pair) store<f32>(at + 4, lane(t < 4 ? a10 : a11, t & 3));
          }
        }
      }
    }
  }
}

/** Lane t of a vector (extract_lane needs a constant index). */
// @ts-ignore: decorator
@inline function lane(v: v128, t: i32): f32 {
  if (t == 0) return f32x4.extract_lane(v, 0);
  if (t == 1) return f32x4.extract_lane(v, 1);
  if (t == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}
