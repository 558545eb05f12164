import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { selectBackend, type BackendLoaders, type BackendRequest } from '../../src/backend/select.js';

/** How a fake machine behaves: which packages import, which backends start, whether libtensorflow sees a GPU. */
interface Machine {
  nodeGpu?: 'missing' | 'broken' | 'loads';
  node?: 'missing' | 'loads';
  wasm?: 'missing' | 'loads';
  starts?: Partial<Record<'tensorflow' | 'wasm' | 'cpu', boolean>>;
  gpu?: boolean;
}

const missing = (pkg: string): Error => Object.assign(new Error(`Cannot find package '${pkg}' imported from select.ts`), { code: 'ERR_MODULE_NOT_FOUND' });

/** Fake loaders for a machine, recording what selection did. */
function fake(m: Machine) {
  const log: string[] = [];
  let current = '';
  const loaders: BackendLoaders = {
    importNodeGpu: async () => {
      log.push('import tfjs-node-gpu');
      if (m.nodeGpu === 'broken') throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions');
      if (m.nodeGpu !== 'loads') throw missing('@tensorflow/tfjs-node-gpu');
    },
    importNode: async () => {
      log.push('import tfjs-node');
      if (m.node !== 'loads') throw missing('@tensorflow/tfjs-node');
    },
    importWasm: async () => {
      log.push('import wasm');
      if (m.wasm === 'missing') throw missing('@tensorflow/tfjs-backend-wasm');
    },
    setBackend: async (name) => {
      log.push(`set ${name}`);
      const ok = m.starts?.[name as 'tensorflow' | 'wasm' | 'cpu'] ?? true;
      if (ok) current = name;
      return ok;
    },
    usingGpu: () => current === 'tensorflow' && m.gpu === true,
    gpuName: () => 'NVIDIA H100 80GB HBM3',
    wasmFlavour: async () => ({ simd: true, threads: 1 }),
    registerKernels: (name) => {
      log.push(`register ${name}`);
      return { kernels: name === 'tensorflow' ? [] : ['Conv2DBackpropFilter'], gradients: [], fast: false, native: false };
    },
  };
  return { loaders, log };
}

async function nn4001(request: BackendRequest, m: Machine): Promise<string> {
  try {
    await selectBackend(request, { fastPath: true }, fake(m).loaders);
  } catch (error) {
    expect(error).toBeInstanceOf(NetcError);
    expect((error as NetcError).code).toBe('NN4001');
    const message = (error as NetcError).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error(`selectBackend('${request}') did not fail`);
}

describe('auto', () => {
  test('tfjs-node-gpu that loads and computes on a GPU wins', async () => {
    const { loaders, log } = fake({ nodeGpu: 'loads', gpu: true });
    const choice = await selectBackend('auto', { fastPath: true }, loaders);
    expect(choice).toMatchObject({ name: 'gpu', tfBackend: 'tensorflow' });
    expect(choice.device).toContain('NVIDIA H100');
    expect(choice.reason).toBe('backend auto -> gpu: trains on tfjs-node-gpu (libtensorflow, CUDA) on NVIDIA H100 80GB HBM3');
    expect(log).toEqual(['import tfjs-node-gpu', 'set tensorflow', 'register tensorflow']);
  });

  test('tfjs-node-gpu without a GPU is libtensorflow on the CPU, and says so', async () => {
    const { loaders, log } = fake({ nodeGpu: 'loads', node: 'loads', gpu: false });
    const choice = await selectBackend('auto', { fastPath: true }, loaders);
    expect(choice).toMatchObject({ name: 'node', tfBackend: 'tensorflow' });
    expect(choice.reason).toContain('CUDA 11.2 runtime and cuDNN 8.1 not found): libtensorflow runs on the CPU');
    expect(choice.device).toMatch(/^tfjs-node-gpu \(libtensorflow\) on the CPU/);
    // Both packages register the same 'tensorflow' backend: the second is never imported.
    expect(log).not.toContain('import tfjs-node');
  });

  test('without tfjs-node-gpu, tfjs-node', async () => {
    const choice = await selectBackend('auto', { fastPath: true }, fake({ node: 'loads' }).loaders);
    expect(choice).toMatchObject({ name: 'node', tfBackend: 'tensorflow' });
    expect(choice.reason).toMatch(/^backend auto -> node: tfjs-node-gpu not installed; trains on tfjs-node \(libtensorflow\) on the CPU/);
  });

  test('a tfjs-node-gpu that fails to load is reported with the loader\'s first line', async () => {
    const choice = await selectBackend('auto', { fastPath: true }, fake({ nodeGpu: 'broken', node: 'loads' }).loaders);
    expect(choice.name).toBe('node');
    expect(choice.reason).toContain('tfjs-node-gpu failed to load (libcudart.so.11.0: cannot open shared object file: No such file or directory)');
    expect(choice.reason).not.toContain('Module._extensions');
  });

  test('a tfjs-node whose backend does not start falls through to wasm', async () => {
    const choice = await selectBackend('auto', { fastPath: true }, fake({ node: 'loads', starts: { tensorflow: false } }).loaders);
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toContain('tfjs-node loaded but its backend did not start');
  });

  test('without either node package, wasm, with both reasons', async () => {
    const { loaders, log } = fake({});
    const choice = await selectBackend('auto', { fastPath: true }, loaders);
    expect(choice).toMatchObject({ name: 'wasm', tfBackend: 'wasm' });
    expect(choice.reason).toMatch(/^backend auto -> wasm: tfjs-node-gpu not installed, tfjs-node not installed; trains on wasm \(SIMD\) on the CPU \(.+, \d+ cores?\)$/);
    expect(log.at(-1)).toBe('register wasm');
  });

  test('wasm that cannot start leaves cpu', async () => {
    const choice = await selectBackend('auto', { fastPath: true }, fake({ starts: { wasm: false } }).loaders);
    expect(choice).toMatchObject({ name: 'cpu', tfBackend: 'cpu' });
    expect(choice.reason).toContain('the wasm backend did not start');
    expect(choice.reason).toContain('--backend wasm is many times faster');
  });

  test('wasm missing leaves cpu', async () => {
    const choice = await selectBackend('auto', { fastPath: true }, fake({ wasm: 'missing' }).loaders);
    expect(choice.name).toBe('cpu');
    expect(choice.reason).toContain('@tensorflow/tfjs-backend-wasm not installed');
  });

  test('nothing at all starts: NN4001', async () => {
    const message = await nn4001('auto', { wasm: 'missing', starts: { cpu: false } });
    expect(message).toContain('tfjs-node-gpu not installed, tfjs-node not installed, @tensorflow/tfjs-backend-wasm not installed');
  });
});

describe('a named backend', () => {
  test('gpu works where tfjs-node-gpu finds a GPU', async () => {
    const choice = await selectBackend('gpu', { fastPath: true }, fake({ nodeGpu: 'loads', gpu: true }).loaders);
    expect(choice.name).toBe('gpu');
    expect(choice.reason).toBe('backend gpu: trains on tfjs-node-gpu (libtensorflow, CUDA) on NVIDIA H100 80GB HBM3');
  });

  test('gpu not installed: NN4001 saying how to install it', async () => {
    expect(await nn4001('gpu', {})).toBe(
      "backend 'gpu' is not available: tfjs-node-gpu not installed; install it with `npm install @tensorflow/tfjs-node-gpu` (needs CUDA 11.2 and cuDNN 8.1; it downloads libtensorflow while installing).",
    );
  });

  test('gpu installed but no GPU: NN4001 pointing at CUDA and at --backend node', async () => {
    const message = await nn4001('gpu', { nodeGpu: 'loads', gpu: false });
    expect(message).toContain('found no usable GPU (it needs the CUDA 11.2 runtime and cuDNN 8.1');
    expect(message).toContain('use --backend node');
  });

  test('node with tfjs-node', async () => {
    const choice = await selectBackend('node', { fastPath: true }, fake({ node: 'loads' }).loaders);
    expect(choice).toMatchObject({ name: 'node', tfBackend: 'tensorflow' });
    expect(choice.reason).toMatch(/^backend node: trains on tfjs-node \(libtensorflow\) on the CPU/);
  });

  test('node served by tfjs-node-gpu on the CPU when only that is installed', async () => {
    const choice = await selectBackend('node', { fastPath: true }, fake({ nodeGpu: 'loads', gpu: false }).loaders);
    expect(choice.name).toBe('node');
    expect(choice.reason).toMatch(/^backend node: tfjs-node not installed; trains on tfjs-node-gpu \(libtensorflow\) on the CPU/);
  });

  test('node served by tfjs-node-gpu on a GPU reports the GPU', async () => {
    const choice = await selectBackend('node', { fastPath: true }, fake({ nodeGpu: 'loads', gpu: true }).loaders);
    expect(choice.name).toBe('gpu');
    expect(choice.reason).toMatch(/^backend node -> gpu: tfjs-node not installed, tfjs-node-gpu found a GPU; trains on/);
  });

  test('node with neither package: NN4001 saying how to install tfjs-node', async () => {
    expect(await nn4001('node', {})).toContain("backend 'node' is not available: tfjs-node not installed; install it with `npm install @tensorflow/tfjs-node`");
  });

  test('wasm', async () => {
    const choice = await selectBackend('wasm', { fastPath: true }, fake({ nodeGpu: 'loads', gpu: true }).loaders);
    expect(choice).toMatchObject({ name: 'wasm', tfBackend: 'wasm' });
    expect(choice.reason).toMatch(/^backend wasm: trains on wasm \(SIMD\) on the CPU/);
  });

  test('wasm that is missing or cannot start: NN4001', async () => {
    expect(await nn4001('wasm', { wasm: 'missing' })).toContain('npm ci');
    expect(await nn4001('wasm', { starts: { wasm: false } })).toContain('the wasm backend did not start');
  });

  test('cpu, and cpu that cannot start', async () => {
    const choice = await selectBackend('cpu', { fastPath: true }, fake({}).loaders);
    expect(choice).toMatchObject({ name: 'cpu', tfBackend: 'cpu' });
    expect(await nn4001('cpu', { starts: { cpu: false } })).toContain("backend 'cpu' is not available");
  });
});

describe('on this machine, with the real loaders', () => {
  test('wasm starts, is current, and runs netc\'s kernels', async () => {
    const choice = await selectBackend('wasm', { fastPath: true });
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.kernels.kernels).toContain('Conv2DBackpropFilter');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  test('auto picks a backend that is then current, and says why in one line', async () => {
    const choice = await selectBackend('auto', { fastPath: true });
    expect(tf.getBackend()).toBe(choice.tfBackend);
    expect(choice.reason).toMatch(/^backend auto -> (gpu|node|wasm|cpu): /);
    expect(choice.reason).not.toContain('\n');
  });
});
