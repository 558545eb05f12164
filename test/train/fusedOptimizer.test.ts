import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, test } from 'vitest';
import { adamUpdateKernel, momentumUpdateKernel, registerNetcKernels, sgdUpdateKernel } from '../../src/backend/kernels/index.js';
import { recipeDefaults, resolveHyperparameters, type Hyperparameters } from '../../src/train/hyperparameters.js';
import { createOptimizer } from '../../src/train/optimizer.js';

// netc's SGD, momentum and Adam update every weight in one kernel call; the weights and the optimizer state must be
// tfjs's own, bit for bit, step after step (and a weight without a gradient in a step keeps its value and its state,
// which is made all the same where the weight is first seen without one).

function recipe(optimizer: 'sgd' | 'momentum' | 'adam', nesterov = false): Hyperparameters {
  return { ...resolveHyperparameters({}, {}), ...recipeDefaults, optimizer, lr: 0.37, momentum: 0.87, nesterov, epochs: 1 };
}

let counter = 0;

/**
 * Five steps of a small least-squares problem (the first with a null gradient for b, the third without b); the
 * weights and the state.
 */
async function run(make: () => tf.Optimizer): Promise<{ weights: number[][]; state: { name: string; values: number[] }[] }> {
  const id = counter++;
  // A 6x9 kernel (54 values: whole vectors of 8 and a remainder) and a 9-value bias, from a fixed sequence.
  let s = 12345;
  const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const W = tf.variable(tf.tensor2d(Array.from({ length: 54 }, next), [6, 9]), true, `fused_${id}/kernel`);
  const b = tf.variable(tf.tensor1d(Array.from({ length: 9 }, next)), true, `fused_${id}/bias`);
  const xs = tf.tensor2d(Array.from({ length: 24 }, next), [4, 6]);
  const ts = tf.tensor2d(Array.from({ length: 36 }, next), [4, 9]);
  const optimizer = make();
  for (let i = 0; i < 5; i++) {
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(tf.add(tf.matMul(xs, W), b), ts))) as tf.Scalar, [W, b]);
    if (i === 0) optimizer.applyGradients([{ name: W.name, tensor: grads[W.name]! }, { name: b.name, tensor: null as unknown as tf.Tensor }]);
    else optimizer.applyGradients(i === 2 ? { [W.name]: grads[W.name]! } : grads);
    tf.dispose(Object.values(grads));
  }
  const weights = [Array.from(W.dataSync()), Array.from(b.dataSync())];
  const state = (await optimizer.getWeights()).map((w) => ({ name: w.name.replace(/fused_\d+/, 'fused'), values: Array.from(w.tensor.dataSync()) }));
  tf.dispose([W, b, xs, ts]);
  optimizer.dispose();
  return { weights, state };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`the fused optimizer update on ${backend}`, () => {
    test.each([
      { name: 'sgd', h: recipe('sgd'), tfjs: () => tf.train.sgd(0.37) },
      { name: 'momentum', h: recipe('momentum'), tfjs: () => tf.train.momentum(0.37, 0.87) },
      { name: 'momentum with Nesterov', h: recipe('momentum', true), tfjs: () => tf.train.momentum(0.37, 0.87, true) },
      { name: 'adam', h: recipe('adam'), tfjs: () => tf.train.adam(0.37) },
    ])('$name: the weights and the state are tfjs\'s, bit for bit', async ({ h, tfjs }) => {
      await tf.setBackend(backend);
      await tf.ready();
      registerNetcKernels(backend, { fast: true });
      expect(tf.getKernel(sgdUpdateKernel, backend)).toBeDefined();
      expect(tf.getKernel(momentumUpdateKernel, backend)).toBeDefined();
      const calls: string[] = [];
      const fused = await (async () => {
        const profile = await tf.profile(() => run(() => createOptimizer(h)));
        calls.push(...profile.kernels.map((k) => k.name));
        return profile.result as Awaited<ReturnType<typeof run>>;
      })();
      const kernel = { sgd: sgdUpdateKernel, momentum: momentumUpdateKernel, adam: adamUpdateKernel }[h.optimizer as 'sgd' | 'momentum' | 'adam'];
      expect(calls).toContain(kernel);
      // One update call a step, and none of tfjs's per-weight arithmetic.
      expect(calls.filter((name) => name === kernel)).toHaveLength(5);
      expect(calls).not.toContain('Sqrt');
      const own = await run(tfjs);
      expect(fused.weights).toEqual(own.weights);
      expect(fused.state).toEqual(own.state);
      expect(fused.state.map((s) => s.name)).toEqual(
        {
          sgd: ['iter'],
          momentum: ['iter', 'fused/kernel/momentum', 'fused/bias/momentum'],
          adam: ['iter', 'fused/kernel/m', 'fused/bias/m', 'fused/kernel/v', 'fused/bias/v'],
        }[h.optimizer as 'sgd' | 'momentum' | 'adam'],
      );
    });
  });
}
