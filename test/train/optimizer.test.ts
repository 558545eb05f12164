import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { recipeDefaults, resolveHyperparameters, type Hyperparameters } from '../../src/train/hyperparameters.js';
import { clipGlobalNorm, createOptimizer } from '../../src/train/optimizer.js';

/**
 * PyTorch 1.13's weights after three steps at rates lr, lr/2, lr/4 (lr 0.1 unless named): output of
 * `/usr/bin/python3 test/train/pytorch_optimizers.py` (float64; W decays, the bias b does not).
 */
const pytorch: Record<string, { W: number[]; b: number[] }> = {
  "sgd wd=0.1": { W: [0.3239255616, -0.3015978198, 0.5982771016, -0.1579915226, 0.2965868153, 0.6266876624], b: [0.238021468, 0.232418796, -0.031114332] },
  "momentum nesterov wd=0.05": { W: [0.5727599871, -0.3870339313, 0.2245728333, -0.2876202526, 0.218894055, 0.5948647471], b: [0.6030832955, 0.5580534513, -0.7815159654] },
  "adam wd=0.01": { W: [0.1363789044, -0.3596384036, 0.4735618959, 0.2261797387, 0.3367164355, -0.4255817406], b: [0.2246854189, 0.1250962741, 0.2673668434] },
  "adamw wd=0.1": { W: [0.1335065262, -0.3548321776, 0.4674498348, 0.2201806007, 0.3299845669, -0.4160304554], b: [0.224385045, 0.1251024838, 0.2672246921] },
  "rmsprop wd=0.01 lr=0.01 nobias": { W: [0.1990054117, -0.2936039999, 0.4450042474, 0.25810915, 0.3868222621, -0.4529950761], b: [0.05, -0.05, 0.1] },
  "sgd clip=1": { W: [0.290308703, -0.2091117333, 0.3568883607, 0.339657511, 0.4803861188, -0.4506254284], b: [0.053219555, -0.0326182046, 0.1235198188] },
};

const x = [[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8]];
const t = [[1.0, 0.0, -1.0], [0.5, 0.25, 2.0], [0.0, 1.0, 0.0]];
const W0 = [[0.3, -0.2, 0.3], [0.4, 0.5, -0.6]];
const b0 = [0.05, -0.05, 0.1];

/** The test's recipe: `name` is `optimizer [nesterov] [wd=N] [clip=N] [lr=N] [nobias]`, rates from `schedule=step step=1 gamma=0.5`. */
function recipe(name: string): Hyperparameters {
  const words = name.split(' ');
  const value = (key: string): number | undefined => {
    const found = words.find((w) => w.startsWith(`${key}=`));
    return found === undefined ? undefined : Number(found.slice(key.length + 1));
  };
  return {
    ...resolveHyperparameters({}, {}),
    ...recipeDefaults,
    optimizer: words[0] as Hyperparameters['optimizer'],
    lr: value('lr') ?? 0.1,
    epochs: 3,
    momentum: 0.9,
    nesterov: words.includes('nesterov'),
    wd: value('wd') ?? 0,
    clip: value('clip') ?? null,
    schedule: 'step',
    step: 1,
    gamma: 0.5,
  };
}

let counter = 0;

/** Three steps of the recipe on the test's least-squares problem; returns W and b. */
function train(h: Hyperparameters, bias = true): { W: number[]; b: number[] } {
  const optimizer = createOptimizer(h, 1);
  const id = counter++;
  const W = tf.variable(tf.tensor2d(W0), true, `opt_test_${id}/kernel`);
  const b = tf.variable(tf.tensor1d(b0), true, `opt_test_${id}/bias`);
  const xs = tf.tensor2d(x);
  const ts = tf.tensor2d(t);
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    rates.push(optimizer.learningRate());
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(tf.add(tf.matMul(xs, W), b), ts))) as tf.Scalar, bias ? [W, b] : [W]);
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  expect(rates).toEqual([h.lr, h.lr / 2, h.lr / 4]);
  const result = { W: Array.from(W.dataSync()), b: Array.from(b.dataSync()) };
  tf.dispose([W, b, xs, ts]);
  optimizer.dispose();
  return result;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('RecipeOptimizer against PyTorch', () => {
  test.each(Object.keys(pytorch))('%s', (name) => {
    const ours = train(recipe(name), !name.includes('nobias'));
    // RMSprop: tfjs adds eps inside the square root, PyTorch outside (see the script).
    const digits = name.startsWith('rmsprop') ? 3 : 5;
    ours.W.forEach((v, i) => expect(v, `W[${i}]`).toBeCloseTo(pytorch[name]!.W[i]!, digits));
    ours.b.forEach((v, i) => expect(v, `b[${i}]`).toBeCloseTo(pytorch[name]!.b[i]!, digits));
  });

  test('wd_all decays the bias too, so it ends elsewhere than without', () => {
    const some = train(recipe('sgd wd=0.1'));
    const all = train({ ...recipe('sgd wd=0.1'), wdAll: true });
    expect(all.W).not.toEqual(some.W);
    expect(all.b[0]).not.toBeCloseTo(some.b[0]!, 6);
  });

  test('the step count, and with it the schedule, survives getWeights/setWeights (a resumed run)', async () => {
    const h = { ...recipe('momentum'), schedule: 'cosine' as const, epochs: 10 };
    const first = createOptimizer(h, 4);
    const v = tf.variable(tf.tensor1d([1, 2]), true, `opt_test_resume`);
    for (let i = 0; i < 7; i++) first.applyGradients({ [v.name]: tf.tensor1d([0.1, 0.1]) });
    const saved = await first.getWeights();
    const second = createOptimizer(h, 4);
    await second.setWeights(saved);
    expect(second.steps).toBe(7);
    expect(second.learningRate()).toBe(first.learningRate());
    tf.dispose([v]);
  });

  test('clipGlobalNorm scales to the norm and leaves smaller gradients alone', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    const clipped = clipGlobalNorm(grads, 1);
    expect(Array.from(clipped.a!.dataSync())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(clipped.b!.dataSync())[1]).toBeCloseTo(0.8, 5);
    const kept = clipGlobalNorm(grads, 10);
    expect(Array.from(kept.b!.dataSync())[1]).toBeCloseTo(4, 5);
  });
});
