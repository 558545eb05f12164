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
export const CONST_BYTES: usize = 352;

/** Writes the activations' constant table at cp (16-byte aligned). */
export function storeConstants(cp: usize): void {
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
@inline export function vact(z: v128, act: i32, cp: usize): v128 {
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
@inline export function vactGrad(dy: v128, y: v128, act: i32): v128 {
  if (act == ACT_RELU) return v128.and(dy, f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(f32x4.splat(1.0), y)));
  if (act == ACT_TANH) return f32x4.mul(dy, f32x4.sub(f32x4.splat(1.0), f32x4.mul(y, y)));
  return dy;
}

// @ts-ignore: decorator
@inline export function sact(z: f32, act: i32, cp: usize): f32 {
  return f32x4.extract_lane(vact(f32x4.splat(z), act, cp), 0);
}

// @ts-ignore: decorator
@inline export function sactGrad(dy: f32, y: f32, act: i32): f32 {
  return f32x4.extract_lane(vactGrad(f32x4.splat(dy), f32x4.splat(y), act), 0);
}

/** y = act(x) for n values (the model's other activations stay tfjs's; this is for tests). Scratch: 512 bytes. */
export function activate(x: usize, y: usize, n: i32, act: i32, scratch: usize): void {
  storeConstants(scratch);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), vact(v128.load(x + (<usize>i << 2)), act, scratch));
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), sact(load<f32>(x + (<usize>i << 2)), act, scratch));
}
