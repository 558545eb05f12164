import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { nativeKernels, nativeModulePath, nativeUnavailableReason } from '../../src/backend/native/native.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs a snippet in a fresh Node process (the module caches its choice per process) and returns its stdout. */
function fresh(code: string, env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

describe('native convolution kernels', () => {
  test('are built by `npm run build` and load here', () => {
    expect(nativeUnavailableReason()).toBeNull();
    const k = nativeKernels()!;
    for (const f of [k.conv2dForward, k.conv2dInputGrad, k.conv2dFilterGrad, k.maxPool, k.maxPoolGrad, k.setThreads]) expect(typeof f).toBe('function');
  });

  test('NETC_NATIVE=0 turns them off and says so', () => {
    const out = fresh(
      "import { nativeUnavailableReason } from './src/backend/native/native.ts'; console.log(nativeUnavailableReason());",
      { NETC_NATIVE: '0' },
    );
    expect(out).toBe('turned off by NETC_NATIVE=0');
  });

  test('the training backend line names them, and not when they are off', () => {
    const code = "import { selectBackend } from './src/backend/select.ts'; const c = await selectBackend('wasm', { fastPath: true }); console.log(c.reason);";
    expect(fresh(code)).toContain('netc fast path on (SIMD kernels, native convolutions, fused batch norm)');
    expect(fresh(code, { NETC_NATIVE: '0' })).toContain('netc fast path on (SIMD kernels, fused batch norm)');
  });

  test('refuse operands outside the heap and nonsense geometry with an error, not a crash', () => {
    const k = nativeKernels()!;
    const heap = new ArrayBuffer(1024);
    // A 1x4x4x1 image with a 3x3 filter: fits; the same at an offset past the end does not.
    expect(() => k.conv2dForward(heap, 0, 64, -1, 128, 1, 4, 4, 1, 2, 2, 1, 3, 3, 1, 1, 0, 0, 0)).not.toThrow();
    expect(() => k.conv2dForward(heap, 1000, 64, -1, 128, 1, 4, 4, 1, 2, 2, 1, 3, 3, 1, 1, 0, 0, 0)).toThrow(RangeError);
    expect(() => k.conv2dFilterGrad(heap, 0, 64, 128, 0, 4, 4, 1, 2, 2, 1, 3, 3, 1, 1, 0, 0)).toThrow(/geometry/);
    expect(() => k.conv2dInputGrad(heap, 0, 64, 128, 1, 4, 4, 1, 2, 2, 1, 3, 3, 1, 1, 0, 2 ** 40)).toThrow(/geometry/);
    expect(() => (k.conv2dInputGrad as unknown as (...a: unknown[]) => void)(new Float32Array(4), 0)).toThrow(TypeError);
    // The optimizer updates: seven operands of 8 values fit at 32-byte steps; one past the end, or a length that is
    // not a whole number, does not.
    const adam = (last: number, n: number): void => k.adamUpdate(heap, 0, 32, 64, 96, 128, 160, last, n, -0.1, 0.9, 0.999, 0.1, 0.001, 0.1, 0.001, 1e-7);
    expect(() => adam(192, 8)).not.toThrow();
    expect(() => adam(1020, 8)).toThrow(/outside the heap/);
    expect(() => adam(192, 2.5)).toThrow(/bad length/);
    expect(() => k.sgdUpdate(heap, 0, 32, 2000, 8, -0.1)).toThrow(/outside the heap/);
    expect(() => k.momentumUpdate(heap, 0, 32, 64, 96, 128, -1, -0.1, 0.9, 0)).toThrow(/bad length/);
    expect(nativeModulePath.endsWith(join('dist', 'netc-native.node'))).toBe(true);
  });

  test.each([
    { name: 'direct (24 channels, stride 2)', g: [6, 9, 9, 16, 5, 5, 24, 3, 3, 2, 2, 1, 1] },
    { name: 'narrow (6 channels, stride 1; the filter gradient in chunks of images)', g: [9, 12, 12, 3, 12, 12, 6, 3, 3, 1, 1, 1, 1] },
  ])('give the same bits on one core as on all of them (work is split by images and filter rows, not within a sum): $name', ({ g: geometry }) => {
    const k = nativeKernels()!;
    const heap = new ArrayBuffer(8 << 20);
    const f32 = new Float32Array(heap);
    let seed = 5;
    for (let i = 0; i < f32.length; i++) f32[i] = ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    // x at 0, filter at 2 MB, bias at 3 MB, outputs at 4 MB and 6 MB.
    const g = geometry as [number, number, number, number, number, number, number, number, number, number, number, number, number];
    const [n, h, w, c, oh, ow, o, kh, kw] = g;
    const run = (threads: number): number[][] => {
      const previous = k.setThreads(threads);
      try {
        const out: number[][] = [];
        k.conv2dForward(heap, 0, 2 << 20, 3 << 20, 4 << 20, ...g, 1);
        out.push(Array.from(new Float32Array(heap, 4 << 20, n * oh * ow * o)));
        k.conv2dFilterGrad(heap, 0, 4 << 20, 6 << 20, ...g);
        out.push(Array.from(new Float32Array(heap, 6 << 20, kh * kw * c * o)));
        k.conv2dInputGrad(heap, 4 << 20, 2 << 20, 6 << 20, ...g);
        out.push(Array.from(new Float32Array(heap, 6 << 20, n * h * w * c)));
        return out;
      } finally {
        k.setThreads(previous);
      }
    };
    expect(run(0)).toEqual(run(1));
  });

  test.each([
    { name: 'chunks of lcm(C, 8) values', rows: 20_000, c: 16 },
    { name: 'row by row (lcm(C, 8) too long for chunks)', rows: 300, c: 4100 },
  ])('batch norm gives the same bits on one core as on all of them: $name', ({ rows, c }) => {
    const k = nativeKernels()!;
    const heap = new ArrayBuffer(32 << 20);
    const f32 = new Float32Array(heap);
    let seed = 7;
    for (let i = 0; i < f32.length; i++) f32[i] = ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const size = rows * c * 4;
    // x, dy, y, dx, then the per-channel operands (gamma, beta, mean, variance, dgamma, dbeta).
    const [x, dy, y, dx] = [0, 1, 2, 3].map((i) => i * size);
    const channel = (i: number): number => 4 * size + i * c * 4;
    const run = (threads: number): number[][] => {
      const previous = k.setThreads(threads);
      try {
        k.bnTrain(heap, x, y, rows, c, channel(0), channel(1), channel(2), channel(3), 1e-5, 1, 0);
        const out = [Array.from(new Float32Array(heap, y, rows * c)), Array.from(new Float32Array(heap, channel(2), 2 * c))];
        k.bnGrad(heap, dy, y, x, rows, c, channel(0), channel(2), channel(3), 1e-5, 1, 1, dx, channel(4), channel(5), 0);
        out.push(Array.from(new Float32Array(heap, dx, rows * c)), Array.from(new Float32Array(heap, channel(4), 2 * c)));
        return out;
      } finally {
        k.setThreads(previous);
      }
    };
    const all = run(0);
    expect(all).toEqual(run(1));
    expect(all[0]!.some((v) => v > 0) && all[0]!.some((v) => v === 0)).toBe(true); // the relu after it ran
  });

  test.each([
    { name: 'direct (24 channels, stride 2)', g: [6, 9, 9, 16, 5, 5, 24, 3, 3, 2, 2, 1, 1] },
    { name: 'narrow (6 channels, stride 1)', g: [3, 10, 10, 2, 8, 8, 6, 3, 3, 1, 1, 0, 0] },
  ])('a $name convolution also gives its output\'s per-channel sums and sums of squares (for the batch norm after it)', ({ g }) => {
    const k = nativeKernels()!;
    const heap = new ArrayBuffer(8 << 20);
    const f32 = new Float32Array(heap);
    let seed = 9;
    for (let i = 0; i < f32.length; i++) f32[i] = ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const [n, , , , oh, ow, o] = g as [number, number, number, number, number, number, number];
    const sums = new Float64Array(2 * o);
    k.conv2dForward(heap, 0, 2 << 20, 3 << 20, 4 << 20, ...(g as [number, number, number, number, number, number, number, number, number, number, number, number, number]), 1, sums.buffer);
    const y = new Float32Array(heap, 4 << 20, n * oh * ow * o);
    const want = new Float64Array(2 * o);
    y.forEach((v, i) => {
      want[i % o] += v;
      want[o + (i % o)] += v * v;
    });
    // Each tile's (at most 12 pixels') sums are made in float32 before the float64 totals take them: within float32's
    // precision of the total, far closer than the float32 batch norm that reads them can tell.
    sums.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-7 * Math.max(1, Math.abs(want[i]!))));
    expect(() => k.conv2dForward(heap, 0, 2 << 20, 3 << 20, 4 << 20, ...(g as [number, number, number, number, number, number, number, number, number, number, number, number, number]), 1, new ArrayBuffer(8))).toThrow(/too small/);
  });
});
