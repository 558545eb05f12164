import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PoolGeometryArgs, SimdExports } from '../simd/module.js';

/*
 * netc's native kernels (convolutions, matrix products, max pooling and batch norm in C++: the .cc files here, built by `npm run build` into
 * dist/netc-native.node when the machine has a C++ compiler). Like the AssemblyScript kernels they work on tfjs's wasm heap in place: pointers
 * are byte offsets into the heap's ArrayBuffer. NETC_NATIVE=0 turns them off (the wasm kernels run instead).
 */

/** The module's functions; the first argument of each is the wasm heap's ArrayBuffer. */
export interface NativeKernels {
  /** Y = X (*) W (+ bias; bias -1 for none), then relu when `relu` is 1. */
  conv2dForward(
    heap: ArrayBuffer, x: number, filter: number, bias: number, y: number,
    n: number, h: number, w: number, c: number, oh: number, ow: number, o: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number, relu: number,
    /** Where to put the output's per-channel sums, then sums of squares (2*O float64s), for a batch norm after. */
    stats?: ArrayBuffer,
  ): void;
  /** dX of a convolution from dY and W. */
  conv2dInputGrad(
    heap: ArrayBuffer, dy: number, filter: number, dx: number,
    n: number, h: number, w: number, c: number, oh: number, ow: number, o: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number,
  ): void;
  /** dW of a convolution from X and dY. */
  conv2dFilterGrad(
    heap: ArrayBuffer, x: number, dy: number, dw: number,
    n: number, h: number, w: number, c: number, oh: number, ow: number, o: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number,
  ): void;
  /** Max pooling of x into y (windows clipped to the image). */
  maxPool(heap: ArrayBuffer, x: number, y: number, ...geometry: PoolGeometryArgs): void;
  /** Its gradient: each window's dy to the first of its largest values. */
  maxPoolGrad(heap: ArrayBuffer, dy: number, x: number, dx: number, ...geometry: PoolGeometryArgs): void;
  /** Average pooling (each window's mean over its positions in the image) and its gradient (dY / (KH * KW) to each). */
  avgPool(heap: ArrayBuffer, x: number, y: number, ...geometry: PoolGeometryArgs): void;
  avgPoolGrad(heap: ArrayBuffer, dy: number, dx: number, ...geometry: PoolGeometryArgs): void;
  /** C = A B (+ bias; -1 for none), then relu when `relu` is 1, for `batch` pairs; A [M, K] or [K, M], B [K, N] or [N, K]. */
  matmul(
    heap: ArrayBuffer, a: number, b: number, bias: number, c: number,
    batch: number, m: number, n: number, k: number, transA: number, transB: number, relu: number,
  ): void;
  /** y = a + b, then relu when `relu` is 1: n floats each. */
  addActivation(heap: ArrayBuffer, a: number, b: number, y: number, n: number, relu: number): void;
  /** dz = dy * act'(y) (relu when `relu` is 1, else dz = dy): n floats each. */
  activationGrad(heap: ArrayBuffer, dy: number, y: number, dz: number, n: number, relu: number): void;
  /** out = c g + w (n floats), each product and sum rounded to float32 apart, as tfjs's kernels round them. */
  sgdUpdate(heap: ArrayBuffer, w: number, g: number, out: number, n: number, c: number): void;
  /** a' = m a + g; w' = c a' + w (or c (g + a' m) + w with Nesterov), rounded as sgdUpdate. */
  momentumUpdate(heap: ArrayBuffer, w: number, g: number, a: number, outW: number, outA: number, n: number, c: number, m: number, nesterov: number): void;
  /** m' = b1 m + o1 g; v' = b2 v + o2 g^2; w' = (m'/d1) / (sqrt(v'/d2) + eps) * c + w, rounded as sgdUpdate. */
  adamUpdate(
    heap: ArrayBuffer, w: number, g: number, m: number, v: number, outW: number, outM: number, outV: number, n: number,
    c: number, b1: number, b2: number, o1: number, o2: number, d1: number, d2: number, eps: number,
  ): void;
  /** x [N, H, W, C] padded along H and W with `value` into out; cropImages cuts the rows and columns back out. */
  padImages(heap: ArrayBuffer, x: number, out: number, n: number, h: number, w: number, c: number, top: number, bottom: number, left: number, right: number, value: number): void;
  cropImages(heap: ArrayBuffer, x: number, out: number, n: number, h: number, w: number, c: number, top: number, left: number, oh: number, ow: number): void;
  /** How many cores this thread's calls may use (0: all of the pool's); returns the previous number. */
  setThreads(n: number): number;
  /** The batch-norm functions of the SIMD module (same arguments after the heap; the scratch pointer is unused). */
  bnStats(heap: ArrayBuffer, ...args: Parameters<SimdExports['bnStats']>): void;
  bnTrain(heap: ArrayBuffer, ...args: Parameters<SimdExports['bnTrain']>): void;
  bnInfer(heap: ArrayBuffer, ...args: Parameters<SimdExports['bnInfer']>): void;
  bnGradSums(heap: ArrayBuffer, ...args: Parameters<SimdExports['bnGradSums']>): void;
  bnGradApply(heap: ArrayBuffer, ...args: Parameters<SimdExports['bnGradApply']>): void;
  bnGrad(heap: ArrayBuffer, ...args: Parameters<SimdExports['bnGrad']>): void;
  /** bnTrain with the statistics from x's per-channel sums and sums of squares (`sums`, 2*C float64s). */
  bnTrainFromSums(heap: ArrayBuffer, ...args: [...Parameters<SimdExports['bnTrain']>, ArrayBuffer]): void;
  /** bnStats from x's per-channel sums and sums of squares, without reading x. */
  bnStatsFromSums(heap: ArrayBuffer, ...args: [...Parameters<SimdExports['bnStats']>, ArrayBuffer]): void;
}

/** Where the build puts the module: dist/ under the package root (three levels up from src/ and dist/ alike). */
export const nativeModulePath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'netc-native.node');

let loaded: NativeKernels | null | undefined;
let failure = '';

/** Whether this x86-64 CPU has the AVX2 and FMA instructions the module is built with (Linux reads /proc/cpuinfo). */
function cpuRunsModule(): boolean {
  if (arch() !== 'x64') return true;
  if (platform() !== 'linux') return false;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
    return flags.includes('avx2') && flags.includes('fma');
  } catch {
    return false;
  }
}

/** The native kernels, or null (with `nativeUnavailableReason()` saying why). */
export function nativeKernels(): NativeKernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.NETC_NATIVE === '0') failure = 'turned off by NETC_NATIVE=0';
  else if (!existsSync(nativeModulePath)) failure = `${nativeModulePath} is not built (no C++ compiler when \`npm run build\` ran?)`;
  else if (!cpuRunsModule()) failure = 'this CPU lacks AVX2 with FMA';
  else {
    try {
      loaded = createRequire(import.meta.url)(nativeModulePath) as NativeKernels;
    } catch (error) {
      failure = `${nativeModulePath} does not load (${(error as Error).message})`;
    }
  }
  return loaded;
}

/** Why the native kernels do not run here, or null when they do. */
export function nativeUnavailableReason(): string | null {
  return nativeKernels() === null ? failure : null;
}

/**
 * Runs `f` with this thread's native kernel calls on `n` cores at most (netc's data-parallel training threads each
 * use one: the cores are theirs already). Where the native kernels do not run, just runs `f`.
 */
export function withNativeThreads<T>(n: number, f: () => T): T {
  const native = nativeKernels();
  if (native === null) return f();
  const previous = native.setThreads(n);
  try {
    return f();
  } finally {
    native.setThreads(previous);
  }
}
