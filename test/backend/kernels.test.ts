import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  netcKernelConfigs, registerNetcKernels, unregisterNetcKernels, withoutInputGradient,
} from '../../src/backend/kernels/index.js';
import { netcGradients } from '../../src/backend/kernels/gradients.js';
import {
  avgPoolGrad, conv2d, conv2dFilterGrad, maxPool, conv2dInputGrad, geometry, maxPoolGrad, randomArr, relativeError, valuesOf, type Arr, type Pad, type ValueKind,
} from './reference.js';

const tensor = (a: Arr): tf.Tensor => tf.tensor(Float32Array.from(a.data), [...a.shape]);

/** Convolution shapes the language allows: odd sizes, batch 1, 3 channels, non-square kernels, strides, every padding. */
const convCases: { name: string; x: number[]; k: [number, number]; o: number; s: [number, number]; pad: Pad }[] = [
  { name: 'LeNet conv1 shape, small batch', x: [2, 28, 28, 1], k: [5, 5], o: 6, s: [1, 1], pad: 'valid' },
  { name: 'batch 1, 3 channels, 7x7, k3x5, stride 2, same', x: [1, 7, 7, 3], k: [3, 5], o: 4, s: [2, 2], pad: 'same' },
  { name: '7x7, k3x5, stride 1, same', x: [2, 7, 7, 3], k: [3, 5], o: 2, s: [1, 1], pad: 'same' },
  { name: '7x7, k3, stride 2, valid', x: [3, 7, 7, 2], k: [3, 3], o: 5, s: [2, 2], pad: 'valid' },
  { name: '8x9, k3, stride 2, pad 2', x: [2, 8, 9, 3], k: [3, 3], o: 3, s: [2, 2], pad: 2 },
  // tfjs sizes a numeric padding from the kernel's height and stride alone: uneven ones take explicit padding.
  { name: '8x9, k5x3, stride 3x2, explicit pad 2', x: [2, 8, 9, 3], k: [5, 3], o: 3, s: [3, 2], pad: [[0, 0], [2, 2], [2, 2], [0, 0]] },
  { name: '6x6, k2, stride 2, same (no padding needed)', x: [1, 6, 6, 4], k: [2, 2], o: 3, s: [2, 2], pad: 'same' },
  { name: '7x5, k3x2, explicit uneven pad, stride 2x1', x: [2, 7, 5, 3], k: [3, 2], o: 2, s: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { name: '1x1 kernel, stride 2', x: [2, 5, 5, 3], k: [1, 1], o: 4, s: [2, 2], pad: 'valid' },
  // Wide kernels: taps in blocks of four, columns some taps of a block do not read, output channels past 8s.
  { name: '9x11, k3x6, 10 outputs, stride 2, same', x: [2, 9, 11, 3], k: [3, 6], o: 10, s: [2, 2], pad: 'same' },
  { name: '7x9, k2x5, 4 outputs, stride 1x3, explicit pad', x: [1, 7, 9, 2], k: [2, 5], o: 4, s: [1, 3], pad: [[0, 0], [1, 0], [2, 3], [0, 0]] },
  { name: '6x8, k4x4, 20 outputs, stride 1, valid', x: [2, 6, 8, 1], k: [4, 4], o: 20, s: [1, 1], pad: 'valid' },
  { name: '6x11, k3x7, stride 1, explicit uneven pad', x: [2, 6, 11, 5], k: [3, 7], o: 3, s: [1, 1], pad: [[0, 0], [2, 1], [3, 2], [0, 0]] },
  { name: '12x12x6 to 16 outputs, k5 (LeNet conv2), batch 3', x: [3, 12, 12, 6], k: [5, 5], o: 16, s: [1, 1], pad: 'valid' },
  // Rows of 16 or more outputs with few output channels: the filter gradient's lanes run along the columns.
  { name: '20x21x2 to 5 outputs, k3x6, stride 1, same', x: [2, 20, 21, 2], k: [3, 6], o: 5, s: [1, 1], pad: 'same' },
  { name: '9x19x1 to 3 outputs, k4x5, stride 1, explicit uneven pad', x: [1, 9, 19, 1], k: [4, 5], o: 3, s: [1, 1], pad: [[0, 0], [1, 2], [3, 1], [0, 0]] },
  // Strides above 1 run one convolution per phase of the stride on wasm: every phase shape, taps and windows.
  { name: 'resnet-mini down block: 14x14x5, k3, stride 2, pad 1, 7 outputs', x: [2, 14, 14, 5], k: [3, 3], o: 7, s: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { name: 'resnet-mini projection: 14x14, k1, stride 2', x: [2, 14, 14, 3], k: [1, 1], o: 6, s: [2, 2], pad: 'valid' },
  { name: 'odd 15x13, k3, stride 2, pad 1', x: [1, 15, 13, 3], k: [3, 3], o: 4, s: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { name: '11x10, k2x3, stride 3 (a window smaller than the stride on rows)', x: [2, 11, 10, 2], k: [2, 3], o: 3, s: [3, 3], pad: 'valid' },
  { name: '9x9, k5, stride 2x3, pad 2x1', x: [1, 9, 9, 2], k: [5, 5], o: 3, s: [2, 3], pad: [[0, 0], [2, 2], [1, 1], [0, 0]] },
  { name: '4x4 to 2x2, k3, stride 2, same', x: [3, 4, 4, 2], k: [3, 3], o: 5, s: [2, 2], pad: 'same' },
  // Stride 1 with at most 8 outputs (the native narrow kernel) for each size of its output groups.
  { name: '9x10x3 to 8 outputs, k3, stride 1, same', x: [2, 9, 10, 3], k: [3, 3], o: 8, s: [1, 1], pad: 'same' },
  { name: '6x7x2 to 7 outputs, k2x3, stride 1, valid', x: [1, 6, 7, 2], k: [2, 3], o: 7, s: [1, 1], pad: 'valid' },
  { name: '5x9x4 to 1 output, k3x2, stride 1, explicit pad', x: [3, 5, 9, 4], k: [3, 2], o: 1, s: [1, 1], pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
];

/** Max-pool windows the language allows: overlapping (stride < window), gapped (stride > window), non-square, same. */
const maxPoolCases: { x: number[]; k: [number, number]; s: [number, number]; pad: Pad }[] = [
  { x: [1, 7, 7, 3], k: [3, 3], s: [2, 2], pad: 'valid' },
  { x: [1, 7, 7, 3], k: [3, 3], s: [2, 2], pad: 'same' },
  { x: [2, 7, 7, 3], k: [3, 3], s: [1, 1], pad: 'same' },
  { x: [2, 8, 9, 2], k: [2, 3], s: [1, 2], pad: 'valid' },
  { x: [1, 5, 6, 2], k: [3, 2], s: [2, 1], pad: 'same' },
  { x: [1, 7, 7, 3], k: [2, 2], s: [3, 3], pad: 'valid' },
  { x: [1, 6, 6, 1], k: [2, 2], s: [2, 2], pad: 'same' },
  { x: [2, 24, 24, 6], k: [2, 2], s: [2, 2], pad: 'valid' },
  // Eight channels and more: whole vectors of channels, and a remainder past them.
  { x: [2, 6, 6, 8], k: [2, 2], s: [2, 2], pad: 'valid' },
  { x: [1, 7, 7, 11], k: [3, 3], s: [2, 2], pad: 'same' },
  { x: [2, 9, 8, 16], k: [3, 2], s: [2, 1], pad: 'valid' },
];

/** Inputs that once broke wasm's MaxPoolGrad: every value negative, and few distinct values (ties in most windows). */
const valueKinds: readonly ValueKind[] = ['random', 'negative', 'tied'];

// Every kernel test runs with the fast path off (netc's JavaScript kernels) and on (its SIMD kernels); on wasm the
// fast path runs once with netc's native convolutions and once without them (the AssemblyScript and XNNPACK ones).
const variants = [['wasm', false, false], ['wasm', true, false], ['wasm', true, true], ['cpu', false, false], ['cpu', true, false]] as const;
for (const [backend, fast, native] of variants) {
  describe(`netc kernels on ${backend}, fast path ${fast ? 'on' : 'off'}${native ? ', native convolutions' : ''}`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      await tf.ready();
      const registered = registerNetcKernels(backend, { fast, native });
      expect(registered.fast).toBe(fast);
      // The native module is part of `npm run build` (it needs a C++ compiler): a missing one fails here, by name.
      expect(registered.nativeUnavailable).toBeUndefined();
      expect(registered.native).toBe(native);
    });

    test('netc\'s kernels are the ones registered (so the tests below exercise them)', () => {
      const mine = netcKernelConfigs(backend, fast, native);
      expect(mine.length).toBeGreaterThanOrEqual(backend === 'wasm' ? 14 : 8);
      expect(mine.map((k) => k.kernelName)).toContain('MaxPoolGrad');
      for (const k of mine) expect(tf.getKernel(k.kernelName, backend)?.kernelFunc).toBe(k.kernelFunc);
      for (const g of netcGradients) expect(tf.getGradient(g.kernelName)).toBe(g);
    });

    test.each(convCases)('Conv2DBackpropFilter: $name', ({ x, k, o, s, pad }) => {
      const xa = randomArr(x, 11);
      const g = geometry(x, k[0], k[1], s, pad);
      const dya = randomArr([g.n, g.oh, g.ow, o], 12);
      const want = conv2dFilterGrad(xa, dya, [k[0], k[1], x[3]!, o], s, pad);
      const got = tf.tidy(() =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tensor(xa), dy: tensor(dya) }, {
          strides: s, pad, dataFormat: 'NHWC', filterShape: [k[0], k[1], x[3]!, o],
        }) as tf.Tensor,
      );
      expect(got.shape).toEqual([...want.shape]);
      expect(relativeError(got.dataSync(), want.data)).toBeLessThan(1e-5);
      got.dispose();
    });

    test.each(convCases)('Conv2DBackpropInput: $name', ({ x, k, o, s, pad }) => {
      const g = geometry(x, k[0], k[1], s, pad);
      const dya = randomArr([g.n, g.oh, g.ow, o], 13);
      const fa = randomArr([k[0], k[1], x[3]!, o], 14);
      const want = conv2dInputGrad(x, dya, fa, s, pad);
      const got = tf.tidy(() =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: tensor(dya), filter: tensor(fa) }, {
          strides: s, pad, dataFormat: 'NHWC', inputShape: x,
        }) as tf.Tensor,
      );
      expect(got.shape).toEqual(x);
      expect(relativeError(got.dataSync(), want.data)).toBeLessThan(1e-5);
      got.dispose();
    });

    test.each(convCases)('FusedConv2D with bias and relu, and Conv2D: $name', ({ x, k, o, s, pad }) => {
      const xa = randomArr(x, 15);
      const fa = randomArr([k[0], k[1], x[3]!, o], 16);
      const ba = randomArr([o], 17);
      for (const activation of ['linear', 'relu'] as const) {
        const want = conv2d(xa, fa, s, pad, ba, activation === 'relu');
        const got = tf.tidy(() =>
          tf.engine().runKernel('FusedConv2D', { x: tensor(xa), filter: tensor(fa), bias: tensor(ba) }, {
            strides: s, pad, dataFormat: 'NHWC', dilations: [1, 1], activation,
          }) as tf.Tensor,
        );
        expect(got.shape).toEqual([...want.shape]);
        expect(relativeError(got.dataSync(), want.data)).toBeLessThan(1e-5);
        got.dispose();
      }
      const plain = tf.tidy(() => tf.conv2d(tensor(xa) as tf.Tensor4D, tensor(fa) as tf.Tensor4D, s, pad));
      expect(relativeError(plain.dataSync(), conv2d(xa, fa, s, pad).data)).toBeLessThan(1e-5);
      plain.dispose();
    });

    test('the gradients of a fused convolution with bias (the layer path) match the reference', () => {
      const xa = randomArr([2, 7, 7, 3], 21);
      const fa = randomArr([3, 5, 3, 4], 22);
      const g = geometry(xa.shape, 3, 5, [2, 2], 'same');
      const dya = randomArr([2, g.oh, g.ow, 4], 23);
      const [dx, dw] = tf.tidy(() => {
        const grads = tf.grads((xv: tf.Tensor, wv: tf.Tensor) =>
          tf.sum(tf.mul(tf.fused.conv2d({ x: xv as tf.Tensor4D, filter: wv as tf.Tensor4D, strides: 2, pad: 'same', bias: tf.zeros([4]) }), tensor(dya))),
        );
        return grads([tensor(xa), tensor(fa)]);
      });
      expect(relativeError(dw!.dataSync(), conv2dFilterGrad(xa, dya, fa.shape, [2, 2], 'same').data)).toBeLessThan(1e-5);
      expect(relativeError(dx!.dataSync(), conv2dInputGrad(xa.shape, dya, fa, [2, 2], 'same').data)).toBeLessThan(1e-5);
      tf.dispose([dx!, dw!]);
    });

    test('withoutInputGradient zeroes exactly the named weights\' input gradients, only inside the call', () => {
      const w1 = tf.variable(tensor(randomArr([3, 3, 1, 2], 31)));
      const w2 = tf.variable(tensor(randomArr([3, 3, 2, 2], 32)));
      const x = tensor(randomArr([1, 6, 6, 1], 33)) as tf.Tensor4D;
      const gradX = () => tf.grad((xv: tf.Tensor) => tf.sum(tf.conv2d(tf.conv2d(xv as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'), w2 as tf.Tensor4D, 1, 'same')))(x);
      const normal = gradX();
      const skipped = withoutInputGradient([w1], gradX);
      expect(Math.max(...Array.from(normal.dataSync()).map(Math.abs))).toBeGreaterThan(0);
      expect(Array.from(skipped.dataSync()).every((v) => v === 0)).toBe(true);
      // w2's input gradient still flows (it feeds w1's filter gradient): the filter gradients agree.
      const fg = () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(tf.conv2d(x, a as tf.Tensor4D, 1, 'same'), b as tf.Tensor4D, 1, 'same')))([w1, w2]);
      const [a1, b1] = fg();
      const [a2, b2] = withoutInputGradient([w1], fg);
      expect(relativeError(a2!.dataSync(), a1!.dataSync())).toBe(0);
      expect(relativeError(b2!.dataSync(), b1!.dataSync())).toBe(0);
      expect(gradX().dataSync()).toEqual(normal.dataSync());
      tf.dispose([w1, w2, x, normal, skipped, a1!, b1!, a2!, b2!]);
    });

    test('withoutInputGradient zeroes a first dense layer\'s input gradient (dy x W^T) and nothing else', () => {
      const w = tf.variable(tensor(randomArr([5, 3], 41)));
      const x = tensor(randomArr([4, 5], 42));
      const f = () => tf.grads((xv: tf.Tensor, wv: tf.Tensor) => tf.sum(tf.square(tf.matMul(xv, wv))))([x, w]);
      const [dx1, dw1] = f();
      const [dx2, dw2] = withoutInputGradient([w], f);
      expect(Array.from(dx2!.dataSync()).every((v) => v === 0)).toBe(true);
      expect(Array.from(dx1!.dataSync()).some((v) => v !== 0)).toBe(true);
      expect(dw2!.dataSync()).toEqual(dw1!.dataSync());
      tf.dispose([w, x, dx1!, dw1!, dx2!, dw2!]);
    });

    test.each([
      { shape: [4, 14, 14, 3], paddings: [[0, 0], [1, 1], [1, 1], [0, 0]], value: 0 },
      { shape: [3, 5, 7, 2], paddings: [[0, 0], [2, 0], [1, 3], [0, 0]], value: 0.5 },
      { shape: [2, 5, 6, 4], paddings: [[1, 0], [0, 2], [3, 1], [0, 1]], value: -1.5 },
      { shape: [3, 7], paddings: [[0, 0], [2, 0]], value: 0 },
      { shape: [9], paddings: [[3, 4]], value: 2 },
      { shape: [2, 2, 2], paddings: [[0, 0], [0, 0], [0, 0]], value: 0 },
      { shape: [2, 3, 4, 5, 6], paddings: [[0, 1], [1, 0], [0, 0], [2, 2], [0, 0]], value: 0.25 },
    ] as { shape: number[]; paddings: [number, number][]; value: number }[])('PadV2 $shape by $paddings with $value', ({ shape, paddings, value }) => {
      const xa = randomArr(shape, 63);
      const got = tf.tidy(() => tf.pad(tensor(xa), paddings, value));
      const outShape = shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
      expect(got.shape).toEqual(outShape);
      const want: number[] = [];
      const walk = (d: number, offset: number, inside: boolean): void => {
        if (d === shape.length) return void want.push(inside ? xa.data[offset]! : value);
        for (let i = 0; i < outShape[d]!; i++) {
          const j = i - paddings[d]![0];
          const ok = j >= 0 && j < shape[d]!;
          walk(d + 1, offset * shape[d]! + (ok ? j : 0), inside && ok);
        }
      };
      walk(0, 0, true);
      expect(Array.from(got.dataSync())).toEqual(want.map(Math.fround));
      got.dispose();
    });

    test.each([
      { shape: [4, 16, 16, 3], begin: [0, 1, 1, 0], size: [4, 14, 14, 3] },
      { shape: [2, 9, 8, 5], begin: [0, 2, 1, 0], size: [2, 4, 6, 5] },
      { shape: [2, 5, 6, 4], begin: [1, 0, 2, 1], size: [1, 5, 3, 2] },
      { shape: [3, 7], begin: [1, 0], size: [2, 7] },
      { shape: [3, 7], begin: [0, 2], size: [-1, 4] },
      { shape: [9], begin: [3], size: [5] },
      { shape: [2, 3, 4, 5, 6], begin: [0, 1, 0, 2, 0], size: [2, 2, 4, 3, 6] },
      { shape: [2, 2, 2], begin: [0, 0, 0], size: [2, 2, 2] },
    ])('Slice $shape from $begin, size $size', ({ shape, begin, size }) => {
      const xa = randomArr(shape, 61);
      const got = tf.tidy(() => tf.slice(tensor(xa), begin, size));
      const sizes = size.map((n, d) => (n === -1 ? shape[d]! - begin[d]! : n));
      expect(got.shape).toEqual(sizes);
      const want: number[] = [];
      const walk = (d: number, offset: number): void => {
        if (d === shape.length) return void want.push(xa.data[offset]!);
        for (let i = 0; i < sizes[d]!; i++) walk(d + 1, offset * shape[d]! + begin[d]! + i);
      };
      // offset * shape[d] + index: the row-major position, built one axis at a time.
      walk(0, 0);
      expect(Array.from(got.dataSync())).toEqual(want.map(Math.fround));
      got.dispose();
    });

    test.each([
      { shape: [1, 1, 1, 6], reps: [4, 3, 3, 1] },
      { shape: [2, 3], reps: [2, 1] },
      { shape: [2, 1, 3], reps: [1, 4, 2] },
      { shape: [3], reps: [5] },
      { shape: [2, 2, 2], reps: [1, 1, 1] },
      { shape: [1, 3, 1, 2], reps: [2, 1, 3, 2] },
    ])('Tile $shape by $reps', ({ shape, reps }) => {
      const xa = randomArr(shape, 51);
      const outShape = shape.map((d, i) => d * reps[i]!);
      const want = new Float64Array(outShape.reduce((p, d) => p * d, 1));
      for (let i = 0; i < want.length; i++) {
        // Decompose the output index, wrap each coordinate into the input, recompose.
        let rest = i;
        let src = 0;
        let stride = 1;
        for (let d = outShape.length - 1; d >= 0; d--) {
          const coord = rest % outShape[d]!;
          rest = Math.floor(rest / outShape[d]!);
          src += (coord % shape[d]!) * stride;
          stride *= shape[d]!;
        }
        want[i] = xa.data[src]!;
      }
      const got = tf.tidy(() => tf.tile(tensor(xa), reps));
      expect(got.shape).toEqual(outShape);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want));
      got.dispose();
      const ints = tf.tidy(() => tf.tile(tf.range(0, shape.reduce((p, d) => p * d, 1), 1, 'int32').reshape(shape), reps));
      expect(ints.dtype).toBe('int32');
      ints.dispose();
    });

    test.each([
      { a: [2, 3, 4], b: [2, 5, 4], ta: false, tb: true },
      { a: [1, 4, 3], b: [1, 4, 5], ta: true, tb: false },
      { a: [2, 4, 3], b: [2, 5, 4], ta: true, tb: true },
      { a: [3, 2, 4], b: [3, 4, 5], ta: false, tb: false },
      // Several row tiles (96 rows), column panels (16) with a remainder, and depths past one panel's.
      { a: [1, 203, 70], b: [1, 70, 37], ta: false, tb: false },
      { a: [2, 70, 101], b: [2, 37, 70], ta: true, tb: true },
      { a: [1, 130, 9], b: [1, 33, 9], ta: false, tb: true },
    ])('BatchMatMul $a x $b (transposeA $ta, transposeB $tb)', ({ a, b, ta, tb }) => {
      const aa = randomArr(a, 61);
      const ba = randomArr(b, 62);
      const [batch, m, k] = ta ? [a[0]!, a[2]!, a[1]!] : (a as [number, number, number]);
      const n = tb ? b[1]! : b[2]!;
      const want = new Float64Array(batch * m * n);
      for (let q = 0; q < batch; q++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          const av = ta ? aa.data[(q * k + t) * m + i]! : aa.data[(q * m + i) * k + t]!;
          const bv = tb ? ba.data[(q * n + j) * k + t]! : ba.data[(q * k + t) * n + j]!;
          s += av * bv;
        }
        want[(q * m + i) * n + j] = s;
      }
      const got = tf.tidy(() => tf.matMul(tensor(aa), tensor(ba), ta, tb));
      expect(got.shape).toEqual([batch, m, n]);
      expect(relativeError(got.dataSync(), want)).toBeLessThan(1e-6);
      got.dispose();
    });

    test.each([
      { m: 7, k: 5, n: 3, activation: 'linear' as const },
      { m: 150, k: 84, n: 10, activation: 'relu' as const },
      { m: 97, k: 120, n: 84, activation: 'relu' as const },
    ])('a fused matrix product with bias and $activation: $m x $k times $k x $n', ({ m, k, n, activation }) => {
      const aa = randomArr([m, k], 71);
      const ba = randomArr([k, n], 72);
      const bias = randomArr([n], 73);
      const want = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = bias.data[j]!;
        for (let t = 0; t < k; t++) s += aa.data[i * k + t]! * ba.data[t * n + j]!;
        want[i * n + j] = activation === 'relu' ? Math.max(0, s) : s;
      }
      const got = tf.tidy(() => tf.fused.matMul({ a: tensor(aa), b: tensor(ba), bias: tensor(bias), activation }));
      expect(got.shape).toEqual([m, n]);
      expect(relativeError(got.dataSync(), want)).toBeLessThan(1e-6);
      got.dispose();
    });

    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, (a: number, b: number) => number][] = [
      ['add', tf.add, (a, b) => a + b],
      ['sub', tf.sub, (a, b) => a - b],
      ['mul', tf.mul, (a, b) => a * b],
      ['div', tf.div, (a, b) => a / b],
      ['squaredDifference', tf.squaredDifference, (a, b) => (a - b) * (a - b)],
    ];
    test.each(ops.flatMap(([name, op, ref]) =>
      [[[2, 3, 3, 4], [4]], [[4], [2, 3, 3, 4]], [[2, 3, 3, 4], [1, 1, 1, 4]], [[3, 1], [1, 4]], [[2, 3, 3, 4], [3, 1, 4]], [[2, 3], []], [[2, 40, 30, 7], [2, 40, 30, 7]]]
        .map(([sa, sb]) => ({ name, op, ref, sa: sa!, sb: sb! }))))('$name of $sa and $sb broadcasts like the definition', ({ op, ref, sa, sb }) => {
      const aa = randomArr(sa, 71);
      const ba = randomArr(sb, 72);
      const out = tf.backend_util.assertAndGetBroadcastShape(sa, sb);
      const idx = (shape: number[], coords: number[]): number => {
        let o = 0;
        const lead = coords.length - shape.length;
        for (let d = 0; d < shape.length; d++) o = o * shape[d]! + (shape[d] === 1 ? 0 : coords[lead + d]!);
        return o;
      };
      const want = new Float64Array(out.reduce((p, d) => p * d, 1));
      for (let i = 0; i < want.length; i++) {
        const coords: number[] = [];
        let rest = i;
        for (let d = out.length - 1; d >= 0; d--) {
          coords.unshift(rest % out[d]!);
          rest = Math.floor(rest / out[d]!);
        }
        want[i] = ref(aa.data[idx(sa, coords)]!, ba.data[idx(sb, coords)]!);
      }
      const got = tf.tidy(() => op(tensor(aa), tensor(ba)));
      expect(got.shape).toEqual(out);
      expect(relativeError(got.dataSync(), want)).toBeLessThan(1e-6);
      got.dispose();
    });

    test.each([
      { shape: [4, 5, 5, 6], axis: [0, 1, 2], keepDims: false },
      { shape: [4, 5, 5, 6], axis: [2, 0, 1], keepDims: true },
      { shape: [7, 120], axis: [0], keepDims: false },
      { shape: [3, 4, 5], axis: [1, 2], keepDims: false },
      { shape: [3, 4], axis: [0, 1], keepDims: false },
    ])('Sum and Mean of $shape over $axis', ({ shape, axis, keepDims }) => {
      const xa = randomArr(shape, 81);
      const kept = shape.map((d, i) => (axis.includes(i) ? 1 : d));
      const count = axis.reduce((p, i) => p * shape[i]!, 1);
      const want = new Float64Array(kept.reduce((p, d) => p * d, 1));
      for (let i = 0; i < xa.data.length; i++) {
        let rest = i;
        let o = 0;
        let stride = 1;
        for (let d = shape.length - 1; d >= 0; d--) {
          const coord = rest % shape[d]!;
          rest = Math.floor(rest / shape[d]!);
          if (!axis.includes(d)) {
            o += coord * stride;
            stride *= shape[d]!;
          }
        }
        want[o]! += xa.data[i]!;
      }
      const sum = tf.tidy(() => tf.sum(tensor(xa), axis, keepDims));
      const mean = tf.tidy(() => tf.mean(tensor(xa), axis, keepDims));
      expect(sum.shape).toEqual(keepDims ? kept : shape.filter((_, i) => !axis.includes(i)));
      expect(relativeError(sum.dataSync(), want)).toBeLessThan(1e-6);
      expect(relativeError(mean.dataSync(), want.map((v) => v / count))).toBeLessThan(1e-6);
      tf.dispose([sum, mean]);
    });

    test.each([
      { x: [2, 24, 24, 6], k: [2, 2], s: [2, 2], pad: 'valid' as Pad },
      { x: [1, 7, 7, 3], k: [3, 3], s: [1, 1], pad: 'same' as Pad },
      { x: [2, 7, 7, 3], k: [3, 2], s: [2, 2], pad: 'same' as Pad },
      { x: [1, 5, 6, 2], k: [2, 3], s: [1, 2], pad: 'valid' as Pad },
      // Eight-channel groups: tiling windows whose last group overlaps the one before, and overlapping windows that
      // add up (groups of eight, then one channel at a time).
      { x: [2, 8, 8, 12], k: [2, 2], s: [2, 2], pad: 'valid' as Pad },
      { x: [1, 7, 7, 13], k: [3, 3], s: [2, 2], pad: 'same' as Pad },
      { x: [1, 6, 6, 16], k: [3, 3], s: [1, 1], pad: 'same' as Pad },
    ])('AvgPoolGrad: $x, window $k, stride $s, $pad', ({ x, k, s, pad }) => {
      const g = geometry(x, k[0]!, k[1]!, s as [number, number], pad);
      const dya = randomArr([g.n, g.oh, g.ow, g.c], 91);
      const want = avgPoolGrad(x, dya, k[0]!, k[1]!, s as [number, number], pad);
      const got = tf.tidy(() => tf.engine().runKernel('AvgPoolGrad', { dy: tensor(dya), input: tf.zeros(x) }, {
        filterSize: k, strides: s, pad,
      }) as tf.Tensor);
      expect(relativeError(got.dataSync(), want.data)).toBeLessThan(1e-6);
      got.dispose();
    });

    test.each(maxPoolCases.flatMap((c) => valueKinds.map((values) => ({ ...c, values }))))(
      'MaxPool: $x, window $k, stride $s, $pad, $values values',
      ({ x, k, s, pad, values }) => {
        const xa = valuesOf(values, randomArr(x, 123));
        const want = maxPool(xa, k[0], k[1], s, pad);
        const got = tf.tidy(() => tf.maxPool(tensor(xa) as tf.Tensor4D, k, s, pad));
        expect(got.shape).toEqual([...want.shape]);
        expect(relativeError(got.dataSync(), want.data)).toBe(0);
        got.dispose();
      },
    );

    test.each(maxPoolCases.flatMap((c) => valueKinds.map((values) => ({ ...c, values }))))(
      'MaxPoolGrad: $x, window $k, stride $s, $pad, $values values',
      ({ x, k, s, pad, values }) => {
        const xa = valuesOf(values, randomArr(x, 121));
        const g = geometry(x, k[0], k[1], s, pad);
        const dya = randomArr([g.n, g.oh, g.ow, g.c], 122);
        const want = maxPoolGrad(xa, dya, k[0], k[1], s, pad);
        const got = tf.tidy(() => {
          const input = tensor(xa);
          const output = tf.maxPool(input as tf.Tensor4D, k, s, pad);
          return tf.engine().runKernel('MaxPoolGrad', { dy: tensor(dya), input, output }, { filterSize: k, strides: s, pad }) as tf.Tensor;
        });
        expect(got.shape).toEqual(x);
        expect(relativeError(got.dataSync(), want.data)).toBeLessThan(1e-6);
        got.dispose();
      },
    );

    test('MaxPoolGrad of 2x2 windows: an all-negative map sends each window\'s gradient to its largest value, ties to the first', () => {
      const grad = (values: number[]) => tf.tidy(() =>
        Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(tf.tensor(values, [1, 4, 4, 1])).dataSync()));
      // -16 .. -1 row by row: every window's largest value is its bottom-right one.
      expect(grad(Array.from({ length: 16 }, (_, i) => i - 16))).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]);
      expect(grad(new Array<number>(16).fill(-3))).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    });

    test('the gradient through a -Infinity padding and a valid max pool (maxpool 3 s2 p1) matches PyTorch\'s padded windows', () => {
      const xa = valuesOf('negative', randomArr([1, 7, 7, 3], 131));
      const pad: Pad = [[0, 0], [1, 1], [1, 1], [0, 0]];
      const g = geometry(xa.shape, 3, 3, [2, 2], pad);
      const dya = randomArr([1, g.oh, g.ow, 3], 132);
      const dx = tf.tidy(() => tf.grad((v: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(tf.pad(v, pad, -Infinity) as tf.Tensor4D, 3, 2, 'valid'), tensor(dya))))(tensor(xa)));
      expect(relativeError(dx.dataSync(), maxPoolGrad(xa, dya, 3, 3, [2, 2], pad).data)).toBeLessThan(1e-6);
      dx.dispose();
    });

    test('Identity (clone) gives a tensor that outlives its source', () => {
      const a = tf.tensor([1, 2, 3]);
      const b = tf.clone(a);
      a.dispose();
      expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
      b.dispose();
    });

    test('the batch-norm gradient (moments, then batchNorm: the built-in layer\'s path) matches the closed form', () => {
      // y = gamma * (x - mean) / sqrt(var + eps) + beta over [N, H, W] per channel; L = sum(y * w).
      // Closed form: dx = gamma * r / m * (m * g - sum(g) - xhat * sum(g * xhat)), g = dL/dy = w.
      const shape = [3, 4, 5, 2];
      const eps = 1e-5;
      const xa = randomArr(shape, 101);
      const wa = randomArr(shape, 102);
      const ga = randomArr([2], 103);
      const ba = randomArr([2], 104);
      const c = 2;
      const m = xa.data.length / c;
      const want = new Float64Array(xa.data.length);
      const dgamma = [0, 0];
      const dbeta = [0, 0];
      for (let ch = 0; ch < c; ch++) {
        let mean = 0;
        for (let i = ch; i < xa.data.length; i += c) mean += xa.data[i]!;
        mean /= m;
        let v = 0;
        for (let i = ch; i < xa.data.length; i += c) v += (xa.data[i]! - mean) ** 2;
        v /= m;
        const r = 1 / Math.sqrt(v + eps);
        let sg = 0;
        let sgx = 0;
        for (let i = ch; i < xa.data.length; i += c) {
          sg += wa.data[i]!;
          sgx += wa.data[i]! * (xa.data[i]! - mean) * r;
        }
        dgamma[ch] = sgx;
        dbeta[ch] = sg;
        for (let i = ch; i < xa.data.length; i += c) {
          const xhat = (xa.data[i]! - mean) * r;
          want[i] = ((ga.data[ch]! * r) / m) * (m * wa.data[i]! - sg - xhat * sgx);
        }
      }
      const [dx, dg, db] = tf.tidy(() =>
        tf.grads((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          return tf.sum(tf.mul(tf.batchNorm(x, mean, variance, beta, gamma, eps), tensor(wa)));
        })([tensor(xa), tensor(ga), tensor(ba)]),
      );
      expect(relativeError(dx!.dataSync(), want)).toBeLessThan(1e-4);
      expect(relativeError(dg!.dataSync(), dgamma)).toBeLessThan(1e-5);
      expect(relativeError(db!.dataSync(), dbeta)).toBeLessThan(1e-5);
      tf.dispose([dx!, dg!, db!]);
    });

    test('registering is idempotent and no kernel leaks tensors', () => {
      registerNetcKernels(backend, { fast });
      const before = tf.memory().numTensors;
      const xa = randomArr([2, 7, 7, 3], 111);
      tf.tidy(() => {
        const x = tensor(xa) as tf.Tensor4D;
        const w = tensor(randomArr([3, 5, 3, 4], 112)) as tf.Tensor4D;
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.avgPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), 2, 1, 'valid')))([x, w]);
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('unregistering', () => {
  afterAll(async () => {
    await tf.setBackend('wasm');
    registerNetcKernels('wasm', { fast: true });
  });

  test('puts wasm\'s own kernels back: Conv2DBackpropFilter is missing again', async () => {
    await tf.setBackend('wasm');
    registerNetcKernels('wasm', { fast: true });
    unregisterNetcKernels('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('Tile', 'wasm')).toBeDefined();
    const t = tf.tile(tf.tensor([1, 2]), [2]);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 1, 2]);
    t.dispose();
  });

  test('a subset swaps the set: only the named kernels, tfjs\'s own gradients; all of them again after', async () => {
    await tf.setBackend('wasm');
    const tileOfNetc = netcKernelConfigs('wasm').find((k) => k.kernelName === 'Tile')!;
    const filterOfNetc = netcKernelConfigs('wasm').find((k) => k.kernelName === 'Conv2DBackpropFilter')!;
    registerNetcKernels('wasm', { fast: false });
    expect(registerNetcKernels('wasm', { kernels: ['Conv2DBackpropFilter'], gradients: false, fast: false }))
      .toEqual({ kernels: ['Conv2DBackpropFilter'], gradients: [], fast: false, native: false });
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(filterOfNetc.kernelFunc);
    expect(tf.getKernel('Tile', 'wasm')?.kernelFunc).not.toBe(tileOfNetc.kernelFunc);
    for (const g of netcGradients) expect(tf.getGradient(g.kernelName)).not.toBe(g);
    registerNetcKernels('wasm', { fast: false });
    expect(tf.getKernel('Tile', 'wasm')?.kernelFunc).toBe(tileOfNetc.kernelFunc);
    for (const g of netcGradients) expect(tf.getGradient(g.kernelName)).toBe(g);
  });
});
