import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimdExports } from './bindings.js';

/*
 * netc's SIMD kernels are AssemblyScript (src/backend/simd/assembly/: kernels.ts, the entry, re-exports one file per kind of kernel) built by `npm run build` into
 * dist/netc-simd.wasm. The module imports its memory and owns none, so the same compiled code runs directly
 * on tfjs's wasm heap (tensors are pointers there) and on a private memory for the cpu backend.
 */

/** A WebAssembly memory (typed here: Node 20's type definitions leave the WebAssembly namespace out). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The parts of the WebAssembly API used here. */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

/** The runtime's WebAssembly object. */
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Activation codes the kernels understand (the constants at the top of the AssemblyScript source). */
export const activationCodes = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;

/** An activation a fused batch norm can apply. */
export type FusedActivation = keyof typeof activationCodes;

/** The module's exports: generated from the AssemblyScript sources (src/backend/simd/bindings.ts). */
export type { SimdExports };

/** n, h, w, c, oh, ow, kh, kw, sh, sw, top, left: a pooling window's geometry as the kernels take it. */
export type PoolGeometryArgs = [number, number, number, number, number, number, number, number, number, number, number, number];

/** Where the build puts the module: dist/ under the package root, which is three levels up from src/ and dist/ alike. */
export const simdModulePath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'netc-simd.wasm');

let compiled: object | null | undefined;
let failure = '';

/** The compiled module, or null (with `simdUnavailableReason()` saying why) when it is not built or not valid. */
function compiledModule(): object | null {
  if (compiled !== undefined) return compiled;
  if (!existsSync(simdModulePath)) {
    failure = `${simdModulePath} is missing (run \`npm run build\`)`;
    compiled = null;
    return null;
  }
  try {
    compiled = new wasmApi.Module(readFileSync(simdModulePath));
  } catch (error) {
    failure = `${simdModulePath} does not load (${(error as Error).message})`;
    compiled = null;
  }
  return compiled;
}

/** Why the SIMD kernels cannot run here, or null when they can. */
export function simdUnavailableReason(): string | null {
  return compiledModule() === null ? failure : null;
}

const instances = new WeakMap<WasmMemory, SimdExports>();

/** The kernels running on `memory` (one instance per memory, made on first use); throws when the module is unavailable. */
export function simdOn(memory: WasmMemory): SimdExports {
  const known = instances.get(memory);
  if (known !== undefined) return known;
  const module = compiledModule();
  if (module === null) throw new Error(`netc SIMD kernels: ${failure}`);
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as SimdExports;
  instances.set(memory, exports);
  return exports;
}
