import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerNetcLayers } from '../../src/compile/netcLayers.js';
import { ScratchBatchNorm, scratchBatchNormClassName } from '../../src/compile/ScratchBatchNorm.js';

// PROD silences tfjs's console hints; IS_TEST would also turn on a leak check that tfjs's own custom-gradient ops
// (softmaxCrossEntropy, for one) fail, because they save intermediate tensors for the backward pass.
tf.env().set('PROD', true);

/** A seeded generator (mulberry32) so every run feeds the same numbers to tfjs and to the float64 reference. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(n: number, seed: number, scale = 1, offset = 0): number[] {
  const next = rng(seed);
  return Array.from({ length: n }, () => offset + scale * (2 * next() - 1));
}

/** Values a float32 computation must match: within 1e-5, relative to the size of sums larger than 1. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

// ---- The seed's batch_norm in float64, on a flat array whose last axis holds the features. ----

interface Reference {
  y: number[];
  mean: number[];
  variance: number[];
}

function referenceForward(
  x: readonly number[],
  features: number,
  gamma: readonly number[],
  beta: readonly number[],
  stats: { mean: readonly number[]; variance: readonly number[] } | null,
  eps: number,
): Reference {
  const count = x.length / features;
  let mean: number[];
  let variance: number[];
  if (stats === null) {
    mean = new Array<number>(features).fill(0);
    variance = new Array<number>(features).fill(0);
    x.forEach((v, i) => (mean[i % features]! += v / count));
    x.forEach((v, i) => (variance[i % features]! += (v - mean[i % features]!) ** 2 / count));
  } else {
    mean = [...stats.mean];
    variance = [...stats.variance];
  }
  const y = x.map((v, i) => {
    const f = i % features;
    return (gamma[f]! * (v - mean[f]!)) / Math.sqrt(variance[f]! + eps) + beta[f]!;
  });
  return { y, mean, variance };
}

/** d(sum(y * w))/d(param) by central differences in float64: independent of any hand-derived gradient. */
function numericGradient(loss: (p: number[]) => number, at: readonly number[]): number[] {
  const h = 1e-6;
  return at.map((_, i) => {
    const plus = [...at];
    const minus = [...at];
    plus[i]! += h;
    minus[i]! -= h;
    return (loss(plus) - loss(minus)) / (2 * h);
  });
}

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

// ---- The layers under test ----

const momentum = 0.9;
const epsilon = 1e-5;

interface Pair {
  scratch: tf.layers.Layer;
  builtin: tf.layers.Layer;
}

function makePair(shape: number[], gamma: number[], beta: number[]): Pair {
  const scratch = new ScratchBatchNorm({ momentum, epsilon });
  const builtin = tf.layers.batchNormalization({ axis: -1, momentum, epsilon });
  const features = shape[shape.length - 1]!;
  for (const layer of [scratch, builtin]) {
    layer.build([null, ...shape.slice(1)]);
    layer.setWeights([
      tf.tensor1d(gamma),
      tf.tensor1d(beta),
      tf.zeros([features]),
      tf.ones([features]),
    ]);
  }
  return { scratch, builtin };
}

/** Output and gradients of sum(y * w) with respect to x, gamma and beta. */
function run(layer: tf.layers.Layer, x: tf.Tensor, w: tf.Tensor, training: boolean) {
  const xVar = tf.variable(x);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  let y: number[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const out = layer.apply(xVar, { training }) as tf.Tensor;
    y = Array.from(out.dataSync());
    return tf.sum(tf.mul(out, w)) as tf.Scalar;
  }, [xVar, gamma!, beta!]);
  const result = {
    y,
    dx: Array.from(grads[xVar.name]!.dataSync()),
    dgamma: Array.from(grads[gamma!.name]!.dataSync()),
    dbeta: Array.from(grads[beta!.name]!.dataSync()),
  };
  tf.dispose([xVar, value, ...Object.values(grads)]);
  return result;
}

function movingStats(layer: tf.layers.Layer): { mean: number[]; variance: number[] } {
  const weights = layer.getWeights();
  return { mean: Array.from(weights[2]!.dataSync()), variance: Array.from(weights[3]!.dataSync()) };
}

const cases = [
  { label: '2-D [N, F] (BatchNorm1d)', shape: [8, 5] },
  { label: '4-D [N, H, W, C] (BatchNorm2d)', shape: [4, 3, 3, 6] },
];

// The layer picks its elementwise kernels by backend (see `affine`): both paths are checked.
describe.each(['cpu', 'wasm'])('on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  describe.each(cases)('ScratchBatchNorm on $label', ({ shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const features = shape[shape.length - 1]!;
    const gamma = randomArray(features, 11, 0.5, 1);
    const beta = randomArray(features, 12, 0.5);
    const w = randomArray(size, 13);
    const batches = [1, 2, 3].map((s) => randomArray(size, 100 + s, 2, 0.5 * s));

    test('training mode: outputs, input/gamma/beta gradients equal the built-in layer and the float64 formulas', () => {
      const { scratch, builtin } = makePair(shape, gamma, beta);
      const x = batches[0]!;
      const a = run(scratch, tf.tensor(x, shape), tf.tensor(w, shape), true);
      const b = run(builtin, tf.tensor(x, shape), tf.tensor(w, shape), true);
      const ref = referenceForward(x, features, gamma, beta, null, epsilon);

      expectClose(a.y, b.y);
      expectClose(a.y, ref.y);
      for (const key of ['dx', 'dgamma', 'dbeta'] as const) expectClose(a[key], b[key]);

      const loss = (xs: number[], g: number[], bt: number[]): number =>
        dot(referenceForward(xs, features, g, bt, null, epsilon).y, w);
      expectClose(a.dx, numericGradient((p) => loss(p, gamma, beta), x));
      expectClose(a.dgamma, numericGradient((p) => loss(x, p, beta), gamma));
      expectClose(a.dbeta, numericGradient((p) => loss(x, gamma, p), beta));
      // A gradient of zero everywhere would pass the comparisons only if the references were broken too.
      expect(Math.max(...a.dx.map(Math.abs))).toBeGreaterThan(1e-3);
    });

    test('inference mode: moving statistics normalise, and gradients match', () => {
      const { scratch, builtin } = makePair(shape, gamma, beta);
      const stats = { mean: randomArray(features, 21), variance: randomArray(features, 22, 0.5, 1) };
      for (const layer of [scratch, builtin]) {
        layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), tf.tensor1d(stats.mean), tf.tensor1d(stats.variance)]);
      }
      const x = batches[1]!;
      const a = run(scratch, tf.tensor(x, shape), tf.tensor(w, shape), false);
      const b = run(builtin, tf.tensor(x, shape), tf.tensor(w, shape), false);
      const ref = referenceForward(x, features, gamma, beta, stats, epsilon);

      expectClose(a.y, b.y);
      expectClose(a.y, ref.y);
      for (const key of ['dx', 'dgamma', 'dbeta'] as const) expectClose(a[key], b[key]);
      const loss = (xs: number[], g: number[], bt: number[]): number =>
        dot(referenceForward(xs, features, g, bt, stats, epsilon).y, w);
      expectClose(a.dx, numericGradient((p) => loss(p, gamma, beta), x));
      expectClose(a.dgamma, numericGradient((p) => loss(x, p, beta), gamma));
      expectClose(a.dbeta, numericGradient((p) => loss(x, gamma, p), beta));
      // Inference never touches the moving statistics.
      expectClose(movingStats(scratch).mean, stats.mean.map((v) => Math.fround(v)), 0);
      expectClose(movingStats(scratch).variance, stats.variance.map((v) => Math.fround(v)), 0);
    });

    test('moving statistics after three training steps equal the built-in layer and the seed formula', () => {
      const { scratch, builtin } = makePair(shape, gamma, beta);
      let expected = { mean: new Array<number>(features).fill(0), variance: new Array<number>(features).fill(1) };
      for (const x of batches) {
        run(scratch, tf.tensor(x, shape), tf.tensor(w, shape), true);
        run(builtin, tf.tensor(x, shape), tf.tensor(w, shape), true);
        const batch = referenceForward(x, features, gamma, beta, null, epsilon);
        expected = {
          mean: expected.mean.map((m, i) => momentum * m + (1 - momentum) * batch.mean[i]!),
          variance: expected.variance.map((v, i) => momentum * v + (1 - momentum) * batch.variance[i]!),
        };
      }
      expectClose(movingStats(scratch).mean, movingStats(builtin).mean);
      expectClose(movingStats(scratch).variance, movingStats(builtin).variance);
      expectClose(movingStats(scratch).mean, expected.mean);
      expectClose(movingStats(scratch).variance, expected.variance);
      // The statistics really moved: the batches have means of 0.5 to 1.5 and variances above 1.
      expect(Math.min(...movingStats(scratch).mean)).toBeGreaterThan(0.05);
    });

    test('a training step leaks no tensors', () => {
      const { scratch } = makePair(shape, gamma, beta);
      const x = tf.tensor(batches[0]!, shape);
      const wt = tf.tensor(w, shape);
      run(scratch, x, wt, true);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) run(scratch, x, wt, true);
      tf.dispose(scratch.apply(x, { training: false }) as tf.Tensor);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, wt]);
    });
  });
});

describe('ScratchBatchNorm in a model', () => {
  const features = 3;
  const x = randomArray(8 * features, 31, 1.5, 0.7);
  const target = randomArray(8 * features, 32);

  function modelWith(layer: tf.layers.Layer): tf.LayersModel {
    const input = tf.input({ shape: [features] });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    return model;
  }

  test('model.fit moves the statistics exactly once per batch, like the built-in layer', async () => {
    const scratch = new ScratchBatchNorm({ momentum, epsilon });
    const builtin = tf.layers.batchNormalization({ axis: -1, momentum, epsilon });
    const models = [modelWith(scratch), modelWith(builtin)];
    for (const model of models) {
      await model.fit(tf.tensor2d(x, [8, features]), tf.tensor2d(target, [8, features]), {
        batchSize: 4,
        epochs: 1,
        shuffle: false,
        verbose: 0,
      });
    }
    // Two steps on rows 0-3 then 4-7.
    let expected = { mean: [0, 0, 0], variance: [1, 1, 1] };
    for (const rows of [x.slice(0, 4 * features), x.slice(4 * features)]) {
      const batch = referenceForward(rows, features, [1, 1, 1], [0, 0, 0], null, epsilon);
      expected = {
        mean: expected.mean.map((m, i) => momentum * m + (1 - momentum) * batch.mean[i]!),
        variance: expected.variance.map((v, i) => momentum * v + (1 - momentum) * batch.variance[i]!),
      };
    }
    expectClose(movingStats(scratch).mean, expected.mean);
    expectClose(movingStats(scratch).variance, expected.variance);
    expectClose(movingStats(builtin).mean, expected.mean);
    // And the learned gamma/beta after those steps agree too.
    expectClose(scratch.getWeights()[0]!.dataSync(), builtin.getWeights()[0]!.dataSync());
    expectClose(scratch.getWeights()[1]!.dataSync(), builtin.getWeights()[1]!.dataSync());
  });

  test('optimizer.minimize moves the statistics once per step; predict never does', () => {
    const scratch = new ScratchBatchNorm({ momentum, epsilon });
    const model = modelWith(scratch);
    const xs = tf.tensor2d(x, [8, features]);
    const optimizer = tf.train.sgd(0.1);
    optimizer.minimize(() => tf.mean(tf.square(model.apply(xs, { training: true }) as tf.Tensor)) as tf.Scalar);
    tf.dispose(model.predict(xs));
    const batch = referenceForward(x, features, [1, 1, 1], [0, 0, 0], null, epsilon);
    expectClose(movingStats(scratch).mean, batch.mean.map((m) => (1 - momentum) * m));
    expectClose(
      movingStats(scratch).variance,
      batch.variance.map((v) => momentum + (1 - momentum) * v),
    );
  });

  test('getConfig returns exactly the constructor arguments', () => {
    const layer = new ScratchBatchNorm({ momentum: 0.8, epsilon: 1e-3, name: 'bn_7' });
    const config = layer.getConfig();
    expect(config).toEqual({ name: 'bn_7', trainable: true, momentum: 0.8, epsilon: 1e-3 });
    expect(new ScratchBatchNorm(config as never).getConfig()).toEqual(config);
    expect(ScratchBatchNorm.className).toBe(scratchBatchNormClassName);
  });

  test('a saved model loads back with its class, weights and statistics', async () => {
    const scratch = new ScratchBatchNorm({ momentum, epsilon, name: 'bn_0' });
    const model = modelWith(scratch);
    const xs = tf.tensor2d(x, [8, features]);
    model.apply(xs, { training: true }); // moves the statistics away from 0/1
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(JSON.stringify(saved!.modelTopology)).toContain(scratchBatchNormClassName);
    registerNetcLayers();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const layer = loaded.getLayer('bn_0');
    expect(layer).toBeInstanceOf(ScratchBatchNorm);
    expect((layer as ScratchBatchNorm).momentum).toBe(momentum);
    expect((layer as ScratchBatchNorm).epsilon).toBe(epsilon);
    expectClose((loaded.predict(xs) as tf.Tensor).dataSync(), (model.predict(xs) as tf.Tensor).dataSync(), 0);
  });

  test('rejects a momentum outside [0, 1) and a non-positive epsilon', () => {
    expect(() => new ScratchBatchNorm({ momentum: 1, epsilon })).toThrow(/momentum/);
    expect(() => new ScratchBatchNorm({ momentum, epsilon: 0 })).toThrow(/epsilon/);
  });
});
