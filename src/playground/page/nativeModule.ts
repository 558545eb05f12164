// The browser build of src/backend/native/native.ts (esbuild puts this file in its place): Node's version loads
// netc's native convolutions (a Node addon) from dist/. A page cannot load an addon, so its convolutions are the
// wasm backend's.

export type { NativeKernels } from '../../backend/native/native.js';

/** No addon file in the browser. */
export const nativeModulePath = '';

/** Always none in the page. */
export function nativeKernels(): null {
  return null;
}

/** Why the page has none. */
export function nativeUnavailableReason(): string {
  return 'a browser page cannot load a Node addon; the playground uses the wasm kernels';
}

/** No native kernels in the page: runs `f`. */
export function withNativeThreads<T>(_n: number, f: () => T): T {
  return f();
}
