import * as tf from '@tensorflow/tfjs';
import { batchMatMulKernels } from './batchMatMul.js';
import { broadcastKernels } from './broadcast.js';
import { conv2dBackpropFilterKernels } from './conv2dBackpropFilter.js';
import { conv2dBackpropInputKernels } from './conv2dBackpropInput.js';
import { rememberOriginal, originalKernel } from './flat.js';
import { netcGradients } from './gradients.js';
import { castKernels, identityKernels } from './identity.js';
import { reduceKernels } from './reduce.js';
import { avgPoolGradKernels } from './avgPoolGrad.js';
import { maxPoolGradKernels } from './maxPoolGrad.js';
import { softmaxCrossEntropyGrad, softmaxCrossEntropyKernels } from './softmaxCrossEntropy.js';
import { optimizerUpdateKernels } from './optimizerUpdate.js';
import { padKernels } from './pad.js';
import { sliceKernels } from './slice.js';
import { tileKernels } from './tile.js';
import { simdGradients } from '../simd/gradients.js';
import { simdKernels } from '../simd/kernels.js';
import { simdUnavailableReason } from '../simd/module.js';
import { nativeWasmKernels } from '../native/kernels.js';
import { nativeUnavailableReason } from '../native/native.js';
import { addActivationGrad } from '../native/addActivation.js';

export { withoutInputGradient } from './unusedGradient.js';
export { adamUpdateKernel, momentumUpdateKernel, sgdUpdateKernel, type UpdateAttrs } from './optimizerUpdate.js';

/** Every kernel netc brings, for every backend it brings kernels to. */
const allKernels: readonly tf.KernelConfig[] = [
  ...conv2dBackpropFilterKernels,
  ...conv2dBackpropInputKernels,
  ...tileKernels,
  ...sliceKernels,
  ...padKernels,
  ...optimizerUpdateKernels,
  ...batchMatMulKernels,
  ...broadcastKernels,
  ...identityKernels,
  ...reduceKernels,
  ...avgPoolGradKernels,
  ...maxPoolGradKernels,
];

/** netc's JavaScript kernel configurations for one backend (the path with the fast path off). */
function baseConfigs(backendName: string): readonly tf.KernelConfig[] {
  return allKernels.filter((k) => k.backendName === backendName);
}

/**
 * netc's kernel configurations for one backend (what registering installs there): with `fast` (netc's fast
 * path, when its SIMD module is built) the SIMD kernels replace the JavaScript ones of the same name and add the
 * fused batch-norm kernels.
 */
export function netcKernelConfigs(backendName: string, fast = false, native = true): readonly tf.KernelConfig[] {
  const base = baseConfigs(backendName);
  if (!fast || simdUnavailableReason() !== null) return base;
  const simd = [...simdKernels, ...softmaxCrossEntropyKernels, ...castKernels].filter((k) => k.backendName === backendName);
  const replaced = new Set(simd.map((k) => k.kernelName));
  const fastSet = [...base.filter((k) => !replaced.has(k.kernelName)), ...simd];
  if (backendName !== 'wasm' || !native || nativeUnavailableReason() !== null) return fastSet;
  // On wasm, netc's native kernels (where they are built) take the place of the kernels above or the backend's.
  nativeWasm ??= nativeWasmKernels((kernelName) => {
    const config = fastSet.find((k) => k.kernelName === kernelName);
    return config !== undefined ? config.kernelFunc : (args) => {
      const original = originalKernel(kernelName, 'wasm');
      if (original === undefined) throw new Error(`netc kernels: the wasm backend has no '${kernelName}' kernel`);
      return original.kernelFunc(args);
    };
  });
  const nativeNames = new Set(nativeWasm.map((k) => k.kernelName));
  return [...fastSet.filter((k) => !nativeNames.has(k.kernelName)), ...nativeWasm];
}

/** The native kernels on wasm, made once (so that registering twice installs the same functions). */
let nativeWasm: tf.KernelConfig[] | undefined;

/** The tfjs gradient functions netc replaced, to put back on unregistering. */
const originalGradients = new Map<string, tf.GradConfig>();

/** Backends currently running netc's kernels, with the configurations registered there. */
const active = new Map<string, { readonly signature: string; readonly configs: readonly tf.KernelConfig[] }>();

/** What registering put in place, for the CLI and the benchmark to show. */
export interface RegisteredKernels {
  /** Kernel names now served by netc on this backend. */
  readonly kernels: readonly string[];
  /** Kernel names whose gradient function is netc's. */
  readonly gradients: readonly string[];
  /** Whether the fast path's SIMD kernels are among them. */
  readonly fast: boolean;
  /** Why the fast path was asked for but is off (its module is not built), else absent. */
  readonly fastUnavailable?: string;
  /** Whether netc's native convolutions are among them (the fast path on wasm, where the module is built). */
  readonly native: boolean;
  /** Why the native convolutions are not used where the fast path is on on wasm, else absent. */
  readonly nativeUnavailable?: string;
}

/** Which of netc's kernels to install (all of them unless a comparison asks for fewer). */
export interface RegisterOptions {
  /** Only these kernel names (those netc has for the backend); absent means all. */
  readonly kernels?: readonly string[];
  /** Whether to install netc's gradient functions too (default true). */
  readonly gradients?: boolean;
  /** The fast path's SIMD and fused kernels (the caller decides: the CLI from NETC_FAST_PATH, tests explicitly). */
  readonly fast: boolean;
  /** With the fast path on wasm, netc's native convolutions where they are built (default true). */
  readonly native?: boolean;
}

/**
 * Registers netc's kernels on a tfjs backend ('wasm' or 'cpu'; other backends get none) and, with them, its
 * gradient functions (which serve every backend). Calling it again with the same options does nothing; with
 * other options it swaps the set. A replaced kernel keeps its original's setup function, so the backend can
 * still be initialised after this call.
 */
export function registerNetcKernels(backendName: string, options: RegisterOptions): RegisteredKernels {
  const wantFast = options.fast;
  const unavailable = wantFast ? simdUnavailableReason() : null;
  const fast = wantFast && unavailable === null && baseConfigs(backendName).length > 0;
  const wantNative = fast && backendName === 'wasm' && options.native !== false;
  const nativeUnavailable = wantNative ? nativeUnavailableReason() : null;
  const native = wantNative && nativeUnavailable === null;
  const mine = netcKernelConfigs(backendName, fast, native).filter((k) => options.kernels === undefined || options.kernels.includes(k.kernelName));
  const names = mine.map((k) => k.kernelName);
  const signature = `${fast ? 'fast' : 'base'}${native ? '+native' : ''}:${names.join()}`;
  const current = active.get(backendName);
  if (current !== undefined && current.signature !== signature) unregisterNetcKernels(backendName);
  if (!active.has(backendName)) {
    for (const k of mine) {
      const original = rememberOriginal(k.kernelName, backendName);
      if (original !== undefined) tf.unregisterKernel(k.kernelName, backendName);
      const config: tf.KernelConfig = { ...k };
      if (original?.setupFunc !== undefined) config.setupFunc = original.setupFunc;
      if (original?.disposeFunc !== undefined) config.disposeFunc = original.disposeFunc;
      tf.registerKernel(config);
    }
    active.set(backendName, { signature, configs: mine });
  }
  const gradients: string[] = [];
  if (baseConfigs(backendName).length > 0 && options.gradients !== false) {
    for (const g of netcGradients) {
      if (!originalGradients.has(g.kernelName)) {
        const original = tf.getGradient(g.kernelName);
        if (original !== undefined) originalGradients.set(g.kernelName, original);
        tf.registerGradient(g);
      }
      gradients.push(g.kernelName);
    }
  } else if (options.gradients === false) {
    restoreGradients();
  }
  if (fast) {
    // The fused kernels' own gradients: those names are netc's, so nothing of tfjs's is displaced.
    for (const g of [...simdGradients, softmaxCrossEntropyGrad, addActivationGrad]) {
      if (tf.getGradient(g.kernelName) !== g) tf.registerGradient(g);
    }
  }
  return {
    kernels: names, gradients, fast, native,
    ...(unavailable !== null ? { fastUnavailable: unavailable } : {}),
    ...(nativeUnavailable !== null ? { nativeUnavailable } : {}),
  };
}

/** Puts tfjs's own gradient functions back. */
function restoreGradients(): void {
  for (const [name, g] of originalGradients) {
    tf.unregisterGradient(name);
    tf.registerGradient(g);
  }
  originalGradients.clear();
}

/** Puts the backend's own kernels back (and tfjs's gradients when no backend runs netc's): for comparisons. */
export function unregisterNetcKernels(backendName: string): void {
  const current = active.get(backendName);
  if (current === undefined) return;
  for (const k of current.configs) {
    tf.unregisterKernel(k.kernelName, backendName);
    const original = originalKernel(k.kernelName, backendName);
    if (original !== undefined && original.kernelFunc !== k.kernelFunc) tf.registerKernel(original);
  }
  active.delete(backendName);
  if (active.size === 0) restoreGradients();
}
