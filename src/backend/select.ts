import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { NetcError } from '../diagnostics/NetcError.js';
import { registerNetcKernels, type RegisteredKernels } from './kernels/index.js';

/** How to prepare the chosen backend. */
export interface SelectOptions {
  /** netc's fast path: its SIMD and fused kernels (the CLI turns it off for NETC_FAST_PATH=0, for comparisons). */
  readonly fastPath: boolean;
}

/** What `--backend` accepts. */
export type BackendRequest = 'auto' | 'gpu' | 'node' | 'wasm' | 'cpu';

/** The backends netc can train on: tfjs-node-gpu on a GPU, libtensorflow on the CPU, wasm, plain JavaScript. */
export type BackendName = 'gpu' | 'node' | 'wasm' | 'cpu';

/** The backend netc chose, ready to train on. */
export interface BackendChoice {
  readonly name: BackendName;
  /** tfjs's name for it: 'tensorflow' (both node packages), 'wasm' or 'cpu'. */
  readonly tfBackend: string;
  /** What actually computes, e.g. "wasm (SIMD) on the CPU (AMD EPYC, 2 cores)". */
  readonly device: string;
  /** The one line the CLI prints: what was chosen and why. */
  readonly reason: string;
  /** netc's kernels and gradient functions now registered on it. */
  readonly kernels: RegisteredKernels;
}

/**
 * Everything selection touches outside itself, injectable so that every branch can be tested without the
 * optional packages or a GPU. The imports reject when a package is missing or fails to load.
 */
export interface BackendLoaders {
  /** Imports @tensorflow/tfjs-node-gpu, which registers tfjs's 'tensorflow' backend. */
  importNodeGpu(): Promise<unknown>;
  /** Imports @tensorflow/tfjs-node, which registers tfjs's 'tensorflow' backend. */
  importNode(): Promise<unknown>;
  /** Imports @tensorflow/tfjs-backend-wasm, which registers the 'wasm' backend. */
  importWasm(): Promise<unknown>;
  /** Makes a registered backend current and waits for it; false when it cannot start. */
  setBackend(tfBackend: string): Promise<boolean>;
  /** Whether the current backend computes on a GPU (tfjs-node's `isUsingGpuDevice`). */
  usingGpu(): boolean;
  /** The GPU's name (from nvidia-smi), when it can be found. */
  gpuName(): string | undefined;
  /** Whether the wasm backend runs its SIMD build, and on how many threads. */
  wasmFlavour(): Promise<{ simd: boolean; threads: number }>;
  /** Registers netc's kernels on the chosen backend, the fast path's among them when `fast`. */
  registerKernels(tfBackend: string, fast: boolean): RegisteredKernels;
}

// A variable, not a literal: TypeScript must not try to resolve packages that are optional and usually absent.
const importOptional = (name: string): Promise<unknown> => import(name);

/** The real loaders: dynamic imports, tfjs's own state, nvidia-smi. */
export const defaultLoaders: BackendLoaders = {
  importNodeGpu: () => {
    // Without it TensorFlow reserves nearly all GPU memory at start-up.
    process.env['TF_FORCE_GPU_ALLOW_GROWTH'] ??= 'true';
    return importOptional('@tensorflow/tfjs-node-gpu');
  },
  importNode: () => importOptional('@tensorflow/tfjs-node'),
  importWasm: () => import('@tensorflow/tfjs-backend-wasm'),
  setBackend: async (name) => {
    try {
      if (!(await tf.setBackend(name))) return false;
      await tf.ready();
      return true;
    } catch {
      return false;
    }
  },
  usingGpu: () => (tf.backend() as { isUsingGpuDevice?: unknown }).isUsingGpuDevice === true,
  gpuName: () => {
    try {
      const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
      return out.split('\n')[0]?.trim() || undefined;
    } catch {
      return undefined;
    }
  },
  wasmFlavour: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    return { simd, threads: wasm.getThreadsCount() };
  },
  registerKernels: (name, fast) => registerNetcKernels(name, { fast }),
};

/** How to get each package, for the NN4001 message. */
const howToGet = {
  gpu: 'install it with `npm install @tensorflow/tfjs-node-gpu` (needs CUDA 11.2 and cuDNN 8.1; it downloads libtensorflow while installing)',
  node: 'install it with `npm install @tensorflow/tfjs-node` (it downloads libtensorflow while installing)',
  wasm: 'reinstall netc\'s dependencies (`npm ci`) to restore @tensorflow/tfjs-backend-wasm',
} as const;

const noGpu = 'tfjs-node-gpu found no usable GPU (CUDA 11.2 runtime and cuDNN 8.1 not found): libtensorflow runs on the CPU';

/** Why an import failed, in a few words: "not installed" or the loader's first line. */
function importFailure(pkg: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(message)) {
    return `${pkg} not installed`;
  }
  return `${pkg} failed to load (${message.split('\n')[0]!.trim()})`;
}

/** The CPU netc runs on, for device lines: "AMD EPYC, 2 cores". */
export function cpuDescription(): string {
  const list = cpus();
  const model = list[0]?.model.trim().replace(/\s+/g, ' ') || 'unknown CPU';
  return `${model}, ${list.length} core${list.length === 1 ? '' : 's'}`;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; why: string };

/**
 * Chooses, starts and prepares a backend. `auto` takes tfjs-node-gpu when it loads and computes on a GPU,
 * else libtensorflow on the CPU (tfjs-node, or tfjs-node-gpu without a GPU), else wasm, else cpu.
 * A named backend that is not available throws NN4001 saying how to get it.
 * netc's kernels are registered on the chosen backend and tfjs is ready when this resolves.
 */
export async function selectBackend(
  request: BackendRequest,
  options: SelectOptions,
  loaders: Partial<BackendLoaders> = {},
): Promise<BackendChoice> {
  const l: BackendLoaders = { ...defaultLoaders, ...loaders };
  const cpu = cpuDescription();

  const tensorflow = async (pkg: 'tfjs-node-gpu' | 'tfjs-node'): Promise<Attempt<{ gpu: boolean }>> => {
    try {
      await (pkg === 'tfjs-node-gpu' ? l.importNodeGpu() : l.importNode());
    } catch (error) {
      return { ok: false, why: importFailure(pkg, error) };
    }
    if (!(await l.setBackend('tensorflow'))) return { ok: false, why: `${pkg} loaded but its backend did not start` };
    return { ok: true, value: { gpu: l.usingGpu() } };
  };
  const wasm = async (): Promise<Attempt<string>> => {
    try {
      await l.importWasm();
    } catch (error) {
      return { ok: false, why: importFailure('@tensorflow/tfjs-backend-wasm', error) };
    }
    if (!(await l.setBackend('wasm'))) return { ok: false, why: 'the wasm backend did not start (its .wasm file is missing or unreadable)' };
    const { simd, threads } = await l.wasmFlavour();
    // A single-threaded wasm build says nothing about threads here: netc's own training threads (--threads) are
    // separate wasm instances, and the run reports how many it used once they are chosen.
    const own = threads === 1 ? '' : `, ${threads} threads`;
    return { ok: true, value: `wasm (${simd ? 'SIMD' : 'no SIMD'}${own}) on the CPU (${cpu})` };
  };
  const gpuDevice = (): string => `tfjs-node-gpu (libtensorflow, CUDA) on ${l.gpuName() ?? 'the GPU'}`;
  const finish = (name: BackendName, tfBackend: string, device: string, reason: string): BackendChoice => {
    const kernels = l.registerKernels(tfBackend, options.fastPath);
    // The fast path is said only where it changes something: on the backends netc has kernels for.
    const fast = kernels.fast ? `; netc fast path on (SIMD kernels, ${kernels.native ? 'native convolutions, ' : ''}fused batch norm)` : kernels.fastUnavailable !== undefined && kernels.kernels.length > 0
      ? `; netc fast path off: ${kernels.fastUnavailable}` : '';
    return { name, tfBackend, device, reason: `${reason}${fast}`, kernels };
  };
  const unavailable = (what: BackendName, why: string, fix: string): NetcError =>
    new NetcError('NN4001', `backend '${what}' is not available: ${why}; ${fix}.`);

  /** "backend auto -> wasm: tfjs-node-gpu not installed, tfjs-node not installed; trains on wasm (SIMD, ...) ..." */
  const line = (name: BackendName, whys: readonly string[], device: string, note?: string): string =>
    `backend ${request}${request === 'auto' || request !== name ? ` -> ${name}` : ''}: ` +
    `${whys.length > 0 ? `${whys.join(', ')}; ` : ''}trains on ${device}${note === undefined ? '' : `; ${note}`}`;
  const slowCpu = '--backend wasm is many times faster';

  switch (request) {
    case 'gpu': {
      const got = await tensorflow('tfjs-node-gpu');
      if (!got.ok) throw unavailable('gpu', got.why, howToGet.gpu);
      if (!got.value.gpu) {
        throw unavailable('gpu', 'tfjs-node-gpu loaded but found no usable GPU (it needs the CUDA 11.2 runtime and cuDNN 8.1; check CUDA_VISIBLE_DEVICES)', 'use --backend node to train with libtensorflow on the CPU');
      }
      return finish('gpu', 'tensorflow', gpuDevice(), line('gpu', [], gpuDevice()));
    }
    case 'node': {
      const got = await tensorflow('tfjs-node');
      if (got.ok) {
        const device = `tfjs-node (libtensorflow) on the CPU (${cpu})`;
        return finish('node', 'tensorflow', device, line('node', [], device));
      }
      // tfjs-node-gpu carries the same libtensorflow and runs on the CPU when it has no GPU.
      const gpu = await tensorflow('tfjs-node-gpu');
      if (!gpu.ok) throw unavailable('node', got.why, howToGet.node);
      if (gpu.value.gpu) return finish('gpu', 'tensorflow', gpuDevice(), line('gpu', [got.why, 'tfjs-node-gpu found a GPU'], gpuDevice()));
      const device = `tfjs-node-gpu (libtensorflow) on the CPU (${cpu})`;
      return finish('node', 'tensorflow', device, line('node', [got.why], device));
    }
    case 'wasm': {
      const got = await wasm();
      if (!got.ok) throw unavailable('wasm', got.why, howToGet.wasm);
      return finish('wasm', 'wasm', got.value, line('wasm', [], got.value));
    }
    case 'cpu': {
      if (!(await l.setBackend('cpu'))) throw unavailable('cpu', 'tfjs\'s cpu backend did not start', howToGet.wasm);
      const device = `cpu (plain JavaScript) on the CPU (${cpu})`;
      return finish('cpu', 'cpu', device, line('cpu', [], device, slowCpu));
    }
    case 'auto': {
      const whys: string[] = [];
      const gpu = await tensorflow('tfjs-node-gpu');
      if (gpu.ok && gpu.value.gpu) return finish('gpu', 'tensorflow', gpuDevice(), line('gpu', [], gpuDevice()));
      if (gpu.ok) {
        // tfjs-node-gpu is loaded and owns the 'tensorflow' backend: it is libtensorflow on the CPU now.
        const device = `tfjs-node-gpu (libtensorflow) on the CPU (${cpu})`;
        return finish('node', 'tensorflow', device, line('node', [noGpu], device));
      }
      whys.push(gpu.why);
      const node = await tensorflow('tfjs-node');
      if (node.ok) {
        const device = `tfjs-node (libtensorflow) on the CPU (${cpu})`;
        return finish('node', 'tensorflow', device, line('node', whys, device));
      }
      whys.push(node.why);
      const w = await wasm();
      if (w.ok) return finish('wasm', 'wasm', w.value, line('wasm', whys, w.value));
      whys.push(w.why);
      if (!(await l.setBackend('cpu'))) throw unavailable('cpu', `${whys.join(', ')}; tfjs's cpu backend did not start`, howToGet.wasm);
      const device = `cpu (plain JavaScript) on the CPU (${cpu})`;
      return finish('cpu', 'cpu', device, line('cpu', whys, device, slowCpu));
    }
  }
}
