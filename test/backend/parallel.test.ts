import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerNetcKernels } from '../../src/backend/kernels/index.js';
import { chooseTrainStep } from '../../src/train/parallel/chooseThreads.js';
import { createParallelTrainStep, type ParallelTrainStep } from '../../src/train/parallel/parallelStep.js';
import { createSyncGroupInit, SyncGroup } from '../../src/backend/SyncGroup.js';
import { analyze } from '../../src/frontend/index.js';
import { compileModel } from '../../src/compile/compile.js';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { recipeDefaults, type Hyperparameters } from '../../src/train/hyperparameters.js';
import { createOptimizer } from '../../src/train/optimizer.js';
import { createTrainStep } from '../../src/train/step.js';
import { randomArr } from './reference.js';

// Data-parallel training on worker threads with synchronised batch norm equals one process training on the
// whole batch: the same losses and hits, the same weights and moving statistics after every step.

const modelsDir = join(import.meta.dirname, '..', '..', 'models');

function checked(file: string) {
  const result = analyze(readFileSync(join(modelsDir, file), 'utf8'), file);
  if (result.model === null) throw new Error(`${file} does not check`);
  return result.model;
}

/** Images [B, 28, 28, 1] in [0, 1) and labels 0-9 from a seed. */
function batchOf(size: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const pixels = randomArr([size, 28, 28, 1], seed).data.map((v) => (v + 1) / 2);
  const labels = Int32Array.from(randomArr([size], seed + 1).data, (v) => Math.floor((v + 1) * 5) % 10);
  return { x: tf.tensor(Float32Array.from(pixels), [size, 28, 28, 1]), y: tf.tensor1d(labels, 'int32') };
}

describe('SyncGroup', () => {
  test('all-reduce in one thread of a group of one returns the vector; a vector over the capacity is refused', () => {
    const group = new SyncGroup(createSyncGroupInit(1, 3), 0);
    expect(Array.from(group.allReduce(Float64Array.from([1, 2, 3])))).toEqual([1, 2, 3]);
    expect(() => group.allReduce(new Float64Array(4))).toThrow(/exceeds/);
  });
});

describe('data-parallel training on wasm with 2 threads', () => {
  const h: Hyperparameters = { epochs: 1, batch: 64, lr: 0.2, optimizer: 'momentum', momentum: 0.9, seed: 5, bn: null, subset: null, ...recipeDefaults };
  const steps: ParallelTrainStep[] = [];

  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    registerNetcKernels('wasm', { fast: true });
  });
  afterAll(async () => {
    await Promise.all(steps.map((s) => s.close()));
  });

  test.each(['lenet-bn.net', 'mlp-bn.net'])('%s: the same losses, hits, weights and moving statistics as one process', async (file) => {
    const model = checked(file);
    const compile = { seed: 5, fuse: true };
    const single = compileModel(model, compile);
    const replica = compileModel(model, compile);
    const one = createTrainStep(single, createOptimizer(h));
    const two = await createParallelTrainStep({ model: replica, optimizer: createOptimizer(h), checked: model, compile, hyperparameters: h, threads: 2 });
    steps.push(two);
    // Even and odd batches, and one smaller than the group (every member then takes it whole).
    for (const [size, seed] of [[64, 1], [63, 2], [1, 3], [64, 4]] as const) {
      const { x, y } = batchOf(size, seed);
      const a = one(x, y);
      const b = two(x, y);
      expect(Math.abs(b.loss - a.loss) / a.loss, `loss of a batch of ${size}`).toBeLessThan(1e-5);
      expect(b.correct).toBe(a.correct);
      tf.dispose([x, y]);
    }
    const wa = single.getWeights();
    const wb = replica.getWeights();
    // Relative to each weight's largest value, floored at 0.01: a bias before a batch norm has a gradient that is
    // zero in exact arithmetic, so its values are rounding noise near 0 in both runs.
    wa.forEach((w, i) => {
      const want = w.dataSync() as Float32Array;
      const got = wb[i]!.dataSync() as Float32Array;
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0.01);
      const diff = want.reduce((m, v, k) => Math.max(m, Math.abs(v - got[k]!)), 0);
      expect(diff / scale, single.weights[i]!.name).toBeLessThan(1e-4);
    });
    single.dispose();
  });
});

describe('a failing training thread', () => {
  test('makes the step throw NN4004 with the thread\'s reason instead of hanging', async () => {
    await tf.setBackend('wasm');
    registerNetcKernels('wasm', { fast: true });
    const h: Hyperparameters = { epochs: 1, batch: 8, lr: 0.5, optimizer: 'sgd', momentum: 0.9, seed: 1, bn: null, subset: null, ...recipeDefaults };
    const model = checked('mlp-bn.net');
    const compile = { seed: 1, fuse: true };
    const step = await createParallelTrainStep({ model: compileModel(model, compile), optimizer: createOptimizer(h), checked: model, compile, hyperparameters: h, threads: 2 });
    // The worker's half of the batch holds a label that is no class: its loss kernel throws there.
    const x = tf.zeros([8, 28, 28, 1]);
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 12], 'int32');
    let thrown: unknown;
    try {
      step(x, y);
    } catch (error) {
      thrown = error;
    }
    await step.close();
    expect(thrown).toBeInstanceOf(NetcError);
    expect((thrown as NetcError).code).toBe('NN4004');
    expect((thrown as Error).message).toMatch(/a training thread failed \(thread 1: netc softmax cross-entropy: label 12 of row 3 is not a class of 10\)/);
  });
});

describe('--threads auto', () => {
  const h: Hyperparameters = { epochs: 1, batch: 32, lr: 0.5, optimizer: 'sgd', momentum: 0.9, seed: 1, bn: null, subset: null, ...recipeDefaults };

  test('takes all cores (up to 4) only when they measure at least 10% faster than one thread', async () => {
    await tf.setBackend('wasm');
    registerNetcKernels('wasm', { fast: true });
    const model = checked('mlp-bn.net');
    const compile = { seed: 1, fuse: true };
    const setup = { model: compileModel(model, compile), optimizer: createOptimizer(h), checked: model, compile, hyperparameters: h };
    const cores = Math.min(4, availableParallelism());
    const faster = await chooseTrainStep(setup, 'auto', () => [10, 5]);
    const slower = await chooseTrainStep(setup, 'auto', () => [10, 9.5]);
    await Promise.all([faster.close(), slower.close()]);
    if (cores < 2) {
      expect([faster.threads, slower.threads]).toEqual([1, 1]);
      return;
    }
    expect(faster.threads).toBe(cores);
    expect(faster.reason).toBe(`trains on ${cores} threads (2.00x one thread's speed, measured)`);
    expect(slower.threads).toBe(1);
    expect(slower.reason).toBe(`trains on 1 thread (${cores} threads measured 1.05x its speed)`);
    const one = await chooseTrainStep(setup, 1);
    expect([one.threads, one.reason]).toEqual([1, 'trains on 1 thread']);
  });
});
