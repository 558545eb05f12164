import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerNetcKernels } from '../../src/backend/kernels/index.js';
import { bnGradKernel, bnInferKernel, bnTrainKernel } from '../../src/backend/simd/kernels.js';
import { simdModulePath, simdUnavailableReason, type FusedActivation } from '../../src/backend/simd/module.js';
import { geometry, randomArr, relativeError, type Arr, type Pad } from './reference.js';

// netc's SIMD kernels against float64 references written from the definitions, on odd shapes: batch 1, 7x7
// maps, 3, 5, 6 and 13 channels (every remainder of C mod 4), strides, padding, flat inputs.

const tensor = (a: Arr): tf.Tensor => tf.tensor(Float32Array.from(a.data), [...a.shape]);
const activations: readonly FusedActivation[] = ['linear', 'relu', 'sigmoid', 'tanh'];

const act = (z: number, a: FusedActivation): number =>
  a === 'relu' ? Math.max(z, 0) : a === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : a === 'tanh' ? Math.tanh(z) : z;
/** d act / dz expressed through the output y, as the kernels (and tfjs) compute it. */
const actGrad = (y: number, a: FusedActivation): number =>
  a === 'relu' ? (y > 0 ? 1 : 0) : a === 'sigmoid' ? y * (1 - y) : a === 'tanh' ? 1 - y * y : 1;

/** Per-channel mean and biased variance over every axis but the last, in float64. */
function moments(x: Arr): { mean: Float64Array; variance: Float64Array; rows: number; c: number } {
  const c = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.data.length; i++) mean[i % c]! += x.data[i]! / rows;
  for (let i = 0; i < x.data.length; i++) variance[i % c]! += (x.data[i]! - mean[i % c]!) ** 2 / rows;
  return { mean, variance, rows, c };
}

/** y = act(gamma * (x - mean) / sqrt(var + eps) + beta) with the given statistics. */
function normalise(x: Arr, mean: Float64Array, variance: Float64Array, gamma: Arr, beta: Arr, eps: number, a: FusedActivation): Float64Array {
  const c = mean.length;
  return x.data.map((v, i) => act(gamma.data[i % c]! * (v - mean[i % c]!) / Math.sqrt(variance[i % c]! + eps) + beta.data[i % c]!, a));
}

/** dx, dgamma, dbeta of sum(dy * y) by the chain rule, statistics from the batch (training) or fixed. */
function bnGradRef(x: Arr, dy: Arr, gamma: Arr, mean: Float64Array, variance: Float64Array, y: Float64Array, eps: number, a: FusedActivation, training: boolean) {
  const c = mean.length;
  const rows = x.data.length / c;
  const dz = dy.data.map((g, i) => g * actGrad(y[i]!, a));
  const r = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = x.data.map((v, i) => (v - mean[i % c]!) * r[i % c]!);
  const dbeta = new Float64Array(c);
  const dgamma = new Float64Array(c);
  for (let i = 0; i < dz.length; i++) {
    dbeta[i % c]! += dz[i]!;
    dgamma[i % c]! += dz[i]! * xhat[i]!;
  }
  const dx = dz.map((g, i) => {
    const ch = i % c;
    const k = gamma.data[ch]! * r[ch]!;
    return training ? k * (g - (dbeta[ch]! + xhat[i]! * dgamma[ch]!) / rows) : k * g;
  });
  return { dx, dgamma, dbeta };
}

// Channel counts of every kind: below, at and past a vector of 8, tails after the last whole chunk, 120 and 84 (LeNet's
// dense layers), and an odd count past 512 (whose chunk lcm(C, 8) is too long: the native kernels go row by row).
const bnShapes: readonly number[][] = [
  [1, 7, 7, 3], [2, 5, 5, 6], [3, 4, 4, 5], [7, 13], [1, 1, 1, 4], [2, 24, 24, 6], [5, 16], [9, 120], [11, 84], [3, 2, 2, 33], [6, 601],
];

/** Average pooling over the positions inside the input (tfjs's forward rule), float64. */
function avgPoolRef(x: Arr, kh: number, kw: number, s: [number, number], pad: Pad, max: boolean): Float64Array {
  const { n, h, w, c, oh, ow, top, left } = geometry(x.shape, kh, kw, s, pad);
  const out = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let ch = 0; ch < c; ch++) {
    let acc = max ? -Infinity : 0;
    let count = 0;
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const r = i * s[0] + p - top;
      const t = j * s[1] + q - left;
      if (r < 0 || r >= h || t < 0 || t >= w) continue;
      const v = x.data[((b * h + r) * w + t) * c + ch]!;
      acc = max ? Math.max(acc, v) : acc + v;
      count++;
    }
    out[((b * oh + i) * ow + j) * c + ch] = max ? acc : acc / count;
  }
  return out;
}

const poolCases: { x: number[]; k: [number, number]; s: [number, number]; pad: Pad }[] = [
  { x: [2, 24, 24, 6], k: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [1, 7, 7, 3], k: [3, 3], s: [2, 2], pad: 'same' },
  { x: [2, 7, 7, 5], k: [3, 2], s: [1, 2], pad: 'same' },
  { x: [1, 7, 7, 13], k: [2, 3], s: [2, 1], pad: 'valid' },
  { x: [1, 8, 9, 4], k: [3, 3], s: [3, 3], pad: 2 },
  { x: [2, 6, 6, 16], k: [2, 2], s: [2, 2], pad: 'valid' },
];

/** The ids of a wasm binary's sections, in order (each: id byte, LEB128 size, contents). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++]!;
    let size = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++]!;
      size |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    ids.push(id);
    at += size;
  }
  return ids;
}

/** y[n, i, j, o] = bias[o] + sum over p, q, c of x[n, i + p - top, j + q - left, c] * W[p, q, c, o], in float64. */
function conv2dRef(x: Arr, f: Arr, bias: Arr, s: [number, number], pad: Pad): Float64Array {
  const [kh, kw, , o] = f.shape as [number, number, number, number];
  const g = geometry(x.shape, kh, kw, s, pad);
  const out = new Float64Array(g.n * g.oh * g.ow * o);
  for (let b = 0; b < g.n; b++) for (let i = 0; i < g.oh; i++) for (let j = 0; j < g.ow; j++) for (let oi = 0; oi < o; oi++) {
    let acc = bias.data[oi]!;
    for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) for (let c = 0; c < g.c; c++) {
      const r = i * s[0] + p - g.top;
      const t = j * s[1] + q - g.left;
      if (r < 0 || r >= g.h || t < 0 || t >= g.w) continue;
      acc += x.data[((b * g.h + r) * g.w + t) * g.c + c]! * f.data[((p * kw + q) * g.c + c) * o + oi]!;
    }
    out[((b * g.oh + i) * g.ow + j) * o + oi] = acc;
  }
  return out;
}

/** Convolutions with bias: few input channels at stride 1 take netc's kernel; the others the backend's. */
const fusedConvCases: { x: number[]; k: [number, number]; o: number; s: [number, number]; pad: Pad; relu?: boolean }[] = [
  { x: [2, 28, 28, 1], k: [5, 5], o: 6, s: [1, 1], pad: 'valid' },
  { x: [1, 7, 7, 3], k: [3, 5], o: 5, s: [1, 1], pad: 'same' },
  { x: [2, 9, 13, 4], k: [4, 2], o: 7, s: [1, 1], pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  { x: [1, 6, 5, 2], k: [1, 1], o: 1, s: [1, 1], pad: 'valid' },
  { x: [1, 7, 7, 5], k: [3, 3], o: 4, s: [1, 1], pad: 'same' },
  { x: [1, 7, 7, 3], k: [3, 3], o: 4, s: [2, 2], pad: 'same' },
  { x: [1, 7, 7, 1], k: [3, 3], o: 4, s: [1, 1], pad: 'valid', relu: true },
];

describe('the SIMD module', () => {
  test('is built (npm run build) and loads', () => {
    expect(simdUnavailableReason()).toBeNull();
  });

  test('owns no memory: no data segments, no globals (an allocator\'s), so it may run on tfjs\'s heap', () => {
    const ids = sectionIds(readFileSync(simdModulePath));
    // 11 data, 12 data count, 6 globals, 5 own memory; 2 imports (the memory only).
    expect(ids.filter((id) => [5, 6, 11, 12].includes(id))).toEqual([]);
    expect(ids).toContain(2);
  });
});

// On wasm the batch-norm arithmetic is netc's native code where it is built, else the SIMD module's: both are run.
for (const [backend, native] of [['wasm', true], ['wasm', false], ['cpu', false]] as const) {
  describe(`netc SIMD kernels on ${backend}${native ? ' (batch norm and pooling in native code)' : ''}`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      await tf.ready();
      const registered = registerNetcKernels(backend, { fast: true, native });
      expect(registered.fast).toBe(true);
      expect(registered.native).toBe(native);
    });

    test.each(bnShapes.flatMap((shape) => activations.map((activation) => ({ shape, activation }))))(
      'batch norm + $activation, training: y, batch mean and variance on $shape',
      ({ shape, activation }) => {
        const c = shape[shape.length - 1]!;
        const xa = randomArr(shape, 7);
        const gamma = randomArr([c], 8);
        const beta = randomArr([c], 9);
        const { mean, variance } = moments(xa);
        const want = normalise(xa, mean, variance, gamma, beta, 1e-5, activation);
        const [y, m, v] = tf.engine().runKernel(bnTrainKernel, { x: tensor(xa), gamma: tensor(gamma), beta: tensor(beta) }, { epsilon: 1e-5, activation }) as tf.Tensor[];
        expect(y!.shape).toEqual(shape);
        expect(relativeError(y!.dataSync(), want)).toBeLessThan(1e-5);
        expect(relativeError(m!.dataSync(), mean)).toBeLessThan(1e-5);
        expect(relativeError(v!.dataSync(), variance)).toBeLessThan(1e-5);
        tf.dispose([y!, m!, v!]);
      },
    );

    test.each(activations)('batch norm + %s, inference: y from given statistics', (activation) => {
      const xa = randomArr([2, 7, 7, 3], 17);
      const [gamma, beta] = [randomArr([3], 18), randomArr([3], 19)];
      const mean = Float64Array.from([0.1, -0.2, 0.3]);
      const variance = Float64Array.from([0.5, 1.5, 0.25]);
      const want = normalise(xa, mean, variance, gamma, beta, 1e-3, activation);
      const y = tf.engine().runKernel(bnInferKernel, {
        x: tensor(xa), gamma: tensor(gamma), beta: tensor(beta), mean: tf.tensor(Float32Array.from(mean), [3]), variance: tf.tensor(Float32Array.from(variance), [3]),
      }, { epsilon: 1e-3, activation }) as tf.Tensor;
      expect(relativeError(y.dataSync(), want)).toBeLessThan(1e-5);
      y.dispose();
    });

    test.each(bnShapes.flatMap((shape) => activations.flatMap((activation) => [true, false].map((training) => ({ shape, activation, training })))))(
      'batch norm + $activation gradient (training $training): dx, dgamma, dbeta on $shape',
      ({ shape, activation, training }) => {
        const c = shape[shape.length - 1]!;
        const xa = randomArr(shape, 27);
        const dya = randomArr(shape, 28);
        const gamma = randomArr([c], 29);
        const beta = randomArr([c], 30);
        const { mean, variance } = moments(xa);
        // The kernel reads y back for act'(y): give it the float32 forward output, and the reference the same values.
        const y64 = normalise(xa, mean, variance, gamma, beta, 1e-5, activation).map(Math.fround);
        const want = bnGradRef(xa, dya, gamma, mean, variance, y64, 1e-5, activation, training);
        const [dx, dgamma, dbeta] = tf.engine().runKernel(bnGradKernel, {
          dy: tensor(dya), y: tf.tensor(Float32Array.from(y64), [...shape]), x: tensor(xa), gamma: tensor(gamma),
          mean: tf.tensor(Float32Array.from(mean), [c]), variance: tf.tensor(Float32Array.from(variance), [c]),
        }, { epsilon: 1e-5, activation, training }) as tf.Tensor[];
        expect(relativeError(dx!.dataSync(), want.dx)).toBeLessThan(1e-5);
        expect(relativeError(dgamma!.dataSync(), want.dgamma)).toBeLessThan(1e-5);
        expect(relativeError(dbeta!.dataSync(), want.dbeta)).toBeLessThan(1e-5);
        tf.dispose([dx!, dgamma!, dbeta!]);
      },
    );

    test('the fused kernels\' gradients through tfjs autodiff equal the reference (training and inference)', () => {
      const shape = [2, 7, 7, 3];
      const xa = randomArr(shape, 37);
      const dya = randomArr(shape, 38);
      const gamma = randomArr([3], 39);
      const beta = randomArr([3], 40);
      const { mean, variance } = moments(xa);
      const y64 = normalise(xa, mean, variance, gamma, beta, 1e-5, 'sigmoid');
      const want = bnGradRef(xa, dya, gamma, mean, variance, y64, 1e-5, 'sigmoid', true);
      const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const [y] = tf.engine().runKernel(bnTrainKernel, { x, gamma: g, beta: b }, { epsilon: 1e-5, activation: 'sigmoid' }) as tf.Tensor[];
        return tf.sum(tf.mul(y!, tensor(dya)));
      })([tensor(xa), tensor(gamma), tensor(beta)]);
      expect(relativeError(grads[0]!.dataSync(), want.dx)).toBeLessThan(1e-5);
      expect(relativeError(grads[1]!.dataSync(), want.dgamma)).toBeLessThan(1e-5);
      expect(relativeError(grads[2]!.dataSync(), want.dbeta)).toBeLessThan(1e-5);
      // Inference mode: statistics are inputs too; their gradients follow from dbeta and dgamma.
      const m = tf.tensor(Float32Array.from(mean), [3]);
      const v = tf.tensor(Float32Array.from(variance), [3]);
      const fixed = bnGradRef(xa, dya, gamma, mean, variance, y64, 1e-5, 'sigmoid', false);
      const [dx, , , dm, dv] = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, mt: tf.Tensor, vt: tf.Tensor) =>
        tf.sum(tf.mul(tf.engine().runKernel(bnInferKernel, { x, gamma: g, beta: b, mean: mt, variance: vt }, { epsilon: 1e-5, activation: 'sigmoid' }) as tf.Tensor, tensor(dya))),
      )([tensor(xa), tensor(gamma), tensor(beta), m, v]);
      expect(relativeError(dx!.dataSync(), fixed.dx)).toBeLessThan(1e-5);
      const r = variance.map((s) => 1 / Math.sqrt(s + 1e-5));
      expect(relativeError(dm!.dataSync(), fixed.dbeta.map((s, c) => -gamma.data[c]! * r[c]! * s))).toBeLessThan(1e-5);
      expect(relativeError(dv!.dataSync(), fixed.dgamma.map((s, c) => -0.5 * gamma.data[c]! * r[c]! ** 2 * s))).toBeLessThan(1e-5);
    });

    test.each(fusedConvCases)('convolution with bias: $x, kernel $k, $o outputs, stride $s, $pad', ({ x, k, o, s, pad, relu }) => {
      const xa = randomArr(x, 61);
      const fa = randomArr([k[0], k[1], x[3]!, o], 62);
      const ba = randomArr([o], 63);
      const raw = conv2dRef(xa, fa, ba, s, pad);
      const want = relu ? raw.map((v) => Math.max(v, 0)) : raw;
      const got = tf.tidy(() => tf.fused.conv2d({
        x: tensor(xa) as tf.Tensor4D, filter: tensor(fa) as tf.Tensor4D, bias: tensor(ba), strides: s, pad, ...(relu ? { activation: 'relu' as const } : {}),
      }));
      expect(relativeError(got.dataSync(), want)).toBeLessThan(1e-5);
      got.dispose();
    });

    test.each(poolCases.flatMap((c) => [false, true].map((max) => ({ ...c, max }))))(
      'pooling forward (max $max): $x, window $k, stride $s, $pad',
      ({ x, k, s, pad, max }) => {
        const xa = randomArr(x, 51);
        const want = avgPoolRef(xa, k[0], k[1], s, pad, max);
        const got = tf.tidy(() => (max ? tf.maxPool(tensor(xa) as tf.Tensor4D, k, s, pad) : tf.avgPool(tensor(xa) as tf.Tensor4D, k, s, pad)));
        expect(relativeError(got.dataSync(), want)).toBeLessThan(1e-6);
        got.dispose();
      },
    );
  });
}

describe('fast-path Cast on wasm', () => {
  test('a cast to the same dtype shares storage and outlives its source; other casts convert', async () => {
    await tf.setBackend('wasm');
    registerNetcKernels('wasm', { fast: true });
    const a = tf.tensor([1.5, -2, 3]);
    const b = tf.cast(a, 'float32');
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1.5, -2, 3]);
    const i = tf.cast(b, 'int32');
    expect(i.dtype).toBe('int32');
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    const f = tf.cast(tf.tensor1d([4, 5], 'int32'), 'float32');
    expect(Array.from(f.dataSync())).toEqual([4, 5]);
    tf.dispose([b, i, f]);
  });
});
