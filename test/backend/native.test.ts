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
    for (const f of [k.conv2dForward, k.conv2dInputGrad, k.conv2dFilterGrad, k.maxPool, k.maxPoolGrad]) expect(typeof f).toBe('function');
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
    expect(nativeModulePath.endsWith(join('dist', 'netc-native.node'))).toBe(true);
  });
});
