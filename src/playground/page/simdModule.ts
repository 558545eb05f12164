import type { SimdExports, WasmMemory } from '../../backend/simd/module.js';

// The browser build of src/backend/simd/module.ts (esbuild puts this file in its place): Node's version reads
// netc's SIMD WebAssembly module from dist/ with node:fs. The page does not ship it, so the training step takes
// TensorFlow.js's own kernels (what `netc train` does where the module is missing), and fusion is never planned.

export type { FusedActivation, PoolGeometryArgs, SimdExports, WasmMemory } from '../../backend/simd/module.js';

/** The WebAssembly API, as in Node's version. */
export const wasmApi = (globalThis as unknown as { WebAssembly: unknown }).WebAssembly;

/** The fused activations' codes, as in Node's version. */
export const activationCodes = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;

/** No module file in the browser. */
export const simdModulePath = '';

const reason = 'netc\'s SIMD module is loaded from disk by Node only; the playground uses TensorFlow.js\'s kernels';

/** Always unavailable in the page. */
export function simdUnavailableReason(): string | null {
  return reason;
}

/** Never called in the page (the kernels that would call it are not registered); throws if it is. */
export function simdOn(_memory: WasmMemory): SimdExports {
  throw new Error(`netc SIMD kernels: ${reason}`);
}
