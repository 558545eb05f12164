import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerNetcKernels } from '../../src/backend/kernels/index.js';
import { softmaxCrossEntropyKernel } from '../../src/backend/kernels/softmaxCrossEntropy.js';
import { compileModel } from '../../src/compile/compile.js';
import { analyze } from '../../src/frontend/index.js';
import { createTrainStep, evaluate, inputLayerKernels, logitsModel } from '../../src/train/step.js';
import { randomArr, relativeError } from '../backend/reference.js';

/** Sets every weight of a model from a seeded generator, so that runs and copies agree. */
function seedWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(Float32Array.from(randomArr(w.shape, seed + i).data), w.shape)));
}

/** conv 2 k3 | flatten | dense 3 on a 5x5x1 input: no batch norm, so training and inference agree. */
function convNet(): tf.LayersModel {
  const input = tf.input({ shape: [5, 5, 1] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(input) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(conv) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3 }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  seedWeights(model, 100);
  return model;
}

/** bn (momentum 0.9, eps 1e-5) | flatten | dense 3 on a 2x2x2 input: the batch norm reads the images themselves. */
function bnNet(): tf.LayersModel {
  const input = tf.input({ shape: [2, 2, 2] });
  const bn = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(input) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(bn) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3 }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  // getWeights() hands out the variables themselves: writing one back into itself would free it, so clone.
  model.setWeights(model.weights.map((w) => {
    const t = w.read();
    return /kernel$/.test(w.name) ? tf.tensor(Float32Array.from(randomArr(t.shape, 7).data), t.shape) : t.clone();
  }));
  return model;
}

/** A weight's current values by the end of its name (tfjs lists trainable weights first). */
function weight(model: tf.LayersModel, suffix: string): Float32Array {
  const found = model.weights.find((w) => w.name.endsWith(suffix));
  if (found === undefined) throw new Error(`no weight ${suffix}`);
  return found.read().dataSync() as Float32Array;
}

/** Summed softmax cross-entropy and hit count of logits [B, K] against labels, in float64. */
function crossEntropy(logits: Float64Array | Float32Array, labels: readonly number[], k: number): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  labels.forEach((label, b) => {
    const row = Array.from(logits.subarray(b * k, (b + 1) * k));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
    loss += lse - row[label]!;
    if (row.indexOf(max) === label) correct += 1;
  });
  return { loss, correct };
}

const labels = [0, 2, 1, 2, 0, 1];

/** A model compiled from .net source by netc's front end and compiler, initialised from a seed. */
function compileSource(source: string, seed: number): tf.LayersModel {
  const checked = analyze(source, 'step.net');
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return compileModel(checked.model!, { seed });
}

// Every step test runs with the fast path off (tfjs's loss ops) and on (netc's loss kernel and SIMD kernels).
for (const [backend, fast] of [['wasm', false], ['wasm', true], ['cpu', false], ['cpu', true]] as const) {
  describe(`training step on ${backend}, fast path ${fast ? 'on' : 'off'}`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      await tf.ready();
      registerNetcKernels(backend, { fast });
      expect(tf.getKernel(softmaxCrossEntropyKernel, backend) !== undefined).toBe(fast);
    });

    test('loss is the summed cross-entropy and correct the hit count of this batch\'s forward pass', () => {
      const model = convNet();
      const xa = randomArr([6, 5, 5, 1], 1);
      const x = tf.tensor(Float32Array.from(xa.data), [6, 5, 5, 1]);
      const y = tf.tensor1d(labels, 'int32');
      const logits = model.predict(x) as tf.Tensor;
      const want = crossEntropy(logits.dataSync() as Float32Array, labels, 3);
      const got = createTrainStep(model, tf.train.sgd(0.5))(x, y);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-4 * want.loss);
      expect(got.correct).toBe(want.correct);
      tf.dispose([x, y, logits]);
    });

    test('the weights move like plain SGD on the batch-mean loss (first-layer shortcut included)', () => {
      const model = convNet();
      const twin = convNet();
      const x = tf.tensor(Float32Array.from(randomArr([6, 5, 5, 1], 2).data), [6, 5, 5, 1]);
      const y = tf.tensor1d(labels, 'int32');
      const step = createTrainStep(model, tf.train.sgd(0.5));
      step(x, y);
      step(x, y);
      const sgd = tf.train.sgd(0.5);
      for (let i = 0; i < 2; i++) {
        sgd.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), twin.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      }
      const a = model.getWeights();
      const b = twin.getWeights();
      a.forEach((w, i) => expect(relativeError(w.dataSync(), b[i]!.dataSync())).toBeLessThan(1e-6));
      // And they did move.
      expect(relativeError(convNet().getWeights()[0]!.dataSync(), a[0]!.dataSync())).toBeGreaterThan(1e-3);
      tf.dispose([x, y]);
    });

    test('training mode: batch statistics in the loss, moving statistics updated exactly once per step', () => {
      const model = bnNet();
      const xa = randomArr([6, 2, 2, 2], 3);
      const x = tf.tensor(Float32Array.from(xa.data), [6, 2, 2, 2]);
      const y = tf.tensor1d(labels, 'int32');
      // Reference forward pass with the batch's mean and biased variance per channel (gamma 1, beta 0).
      const mean = [0, 1].map((c) => xa.data.filter((_, i) => i % 2 === c).reduce((s, v) => s + v, 0) / 24);
      const variance = [0, 1].map((c) => xa.data.filter((_, i) => i % 2 === c).reduce((s, v) => s + (v - mean[c]!) ** 2, 0) / 24);
      const normed = xa.data.map((v, i) => (v - mean[i % 2]!) / Math.sqrt(variance[i % 2]! + 1e-5));
      const kernel = weight(model, 'kernel');
      const logits = new Float64Array(6 * 3);
      for (let b = 0; b < 6; b++) for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let f = 0; f < 8; f++) s += normed[b * 8 + f]! * kernel[f * 3 + k]!;
        logits[b * 3 + k] = s;
      }
      const want = crossEntropy(logits, labels, 3);
      const step = createTrainStep(model, tf.train.sgd(0.1));
      const got = step(x, y);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-4 * want.loss);
      expect(got.correct).toBe(want.correct);
      const moving = () => [weight(model, 'moving_mean'), weight(model, 'moving_variance')];
      let [mm, mv] = moving();
      expect(relativeError(mm!, mean.map((m) => 0.1 * m))).toBeLessThan(1e-5);
      expect(relativeError(mv!, variance.map((v) => 0.9 + 0.1 * v))).toBeLessThan(1e-5);
      step(x, y);
      [mm, mv] = moving();
      expect(relativeError(mm!, mean.map((m) => 0.19 * m))).toBeLessThan(1e-5);
      expect(relativeError(mv!, variance.map((v) => 0.9 * (0.9 + 0.1 * v) + 0.1 * v))).toBeLessThan(1e-5);
      tf.dispose([x, y]);
    });

    test('no tensor survives a step: the count is flat across steps', () => {
      const model = bnNet();
      const step = createTrainStep(model, tf.train.sgd(0.1));
      const x = tf.tensor(Float32Array.from(randomArr([6, 2, 2, 2], 4).data), [6, 2, 2, 2]);
      const y = tf.tensor1d(labels, 'int32');
      step(x, y);
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step(x, y);
      expect(tf.memory().numTensors).toBe(after1);
      tf.dispose([x, y]);
    });

    test('a final softmax: the step trains on its input logits, to the same losses, weights and accuracy as the model without it', () => {
      const body = 'input 1x6x6\nconv 2 k3 | bn | relu | flatten\ndense 3';
      const plain = compileSource(`${body}\n`, 5);
      const ending = compileSource(`${body} | softmax\n`, 5);
      expect(logitsModel(plain)).toBe(plain);
      expect(logitsModel(ending)).not.toBe(ending);
      expect(logitsModel(ending).trainableWeights.map((w) => w.read())).toEqual(ending.trainableWeights.map((w) => w.read()));
      const x = tf.tensor(Float32Array.from(randomArr([6, 6, 6, 1], 6).data), [6, 6, 6, 1]);
      const y = tf.tensor1d(labels, 'int32');
      // The summed loss on the logits, and with softmax applied twice (the probabilities taken as logits): what
      // the step would report without leaving the softmax out. One training pass each moves both models' moving
      // statistics alike.
      const loss = (m: tf.LayersModel) => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), m.apply(x, { training: true }) as tf.Tensor).dataSync()[0]! * 6);
      const once = loss(plain);
      const twice = loss(ending);
      expect(Math.abs(twice - once)).toBeGreaterThan(0.01);
      const a = createTrainStep(plain, tf.train.sgd(0.5));
      const b = createTrainStep(ending, tf.train.sgd(0.5));
      const losses: [number, number][] = [];
      for (let i = 0; i < 4; i++) {
        const p = a(x, y);
        const q = b(x, y);
        expect(q.correct).toBe(p.correct);
        losses.push([p.loss, q.loss]);
      }
      for (const [p, q] of losses) expect(Math.abs(q - p)).toBeLessThan(1e-5 * p);
      expect(Math.abs(losses[0]![1] - once)).toBeLessThan(1e-5 * once);
      // It learns: the batch's loss falls.
      expect(losses[3]![1]).toBeLessThan(losses[0]![1]);
      const pw = plain.getWeights();
      ending.getWeights().forEach((w, i) => expect(relativeError(w.dataSync(), pw[i]!.dataSync())).toBeLessThan(1e-5));
      // The softmax model still outputs probabilities, and evaluate (inference mode) agrees with the plain model.
      const probabilities = ending.predict(x) as tf.Tensor;
      const rows = tf.sum(probabilities, 1);
      expect(relativeError(rows.dataSync(), [1, 1, 1, 1, 1, 1])).toBeLessThan(1e-5);
      const images = Float32Array.from(randomArr([20, 6, 6, 1], 8).data);
      const ys = Int32Array.from({ length: 20 }, (_, i) => (i * 7) % 3);
      expect(evaluate(ending, images, ys, [6, 6, 1], 8)).toEqual(evaluate(plain, images, ys, [6, 6, 1], 8));
      tf.dispose([x, y, probabilities, rows]);
    });

    test('evaluate: inference-mode accuracy over uneven batches, without leaks', () => {
      const model = bnNet();
      // Moving statistics that differ from any batch's: evaluation must use them.
      model.setWeights(model.weights.map((w) => {
        const t = w.read();
        return w.name.endsWith('moving_mean') ? tf.fill(t.shape, 0.3) : w.name.endsWith('moving_variance') ? tf.fill(t.shape, 2) : t.clone();
      }));
      const n = 10;
      const xa = randomArr([n, 2, 2, 2], 5);
      const ys = Int32Array.from({ length: n }, (_, i) => i % 3);
      const kernel = weight(model, 'kernel');
      let hits = 0;
      for (let b = 0; b < n; b++) {
        const logits = [0, 1, 2].map((k) => {
          let s = 0;
          for (let f = 0; f < 8; f++) s += ((xa.data[b * 8 + f]! - 0.3) / Math.sqrt(2 + 1e-5)) * kernel[f * 3 + k]!;
          return s;
        });
        if (logits.indexOf(Math.max(...logits)) === ys[b]) hits += 1;
      }
      const before = tf.memory().numTensors;
      const { accuracy } = evaluate(model, Float32Array.from(xa.data), ys, [2, 2, 2], 4);
      expect(accuracy).toBe(hits / n);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

describe('which layers skip their input gradient', () => {
  test('the first convolution (behind a padding layer) and no later one; a first dense layer behind flatten', () => {
    const input = tf.input({ shape: [6, 6, 1] });
    let t = tf.layers.zeroPadding2d({ padding: 1 }).apply(input) as tf.SymbolicTensor;
    const first = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'first' });
    t = first.apply(t) as tf.SymbolicTensor;
    t = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'second' }).apply(t) as tf.SymbolicTensor;
    t = tf.layers.flatten().apply(t) as tf.SymbolicTensor;
    t = tf.layers.dense({ units: 3, name: 'third' }).apply(t) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: t });
    expect(inputLayerKernels(model).map((k) => k.name)).toEqual(['first/kernel']);

    const mlp = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 5, name: 'd1' }), tf.layers.dense({ units: 3, name: 'd2' })] });
    expect(inputLayerKernels(mlp).map((k) => k.name)).toEqual(['d1/kernel']);
  });
});
