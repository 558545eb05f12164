import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { SeededDropout } from '../../src/compile/SeededDropout.js';
import { analyze } from '../../src/frontend/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ones = (n: number): tf.Tensor => tf.ones([4, n]);
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('SeededDropout (dropout under --seed)', () => {
  test('while training: zeroes about a rate of the values and scales the rest by 1 / (1 - rate), like nn.Dropout', () => {
    const layer = new SeededDropout({ rate: 0.3, seed: 11 });
    const out = values(layer.apply(ones(2500), { training: true }) as tf.Tensor);
    const zeros = out.filter((v) => v === 0).length;
    expect(zeros / out.length).toBeGreaterThan(0.27);
    expect(zeros / out.length).toBeLessThan(0.33);
    for (const v of out.filter((v) => v !== 0)) expect(v).toBeCloseTo(1 / 0.7, 6);
  });

  test('the same seed gives the same masks in the same order; each step draws a new one', () => {
    const a = new SeededDropout({ rate: 0.5, seed: 5 });
    const b = new SeededDropout({ rate: 0.5, seed: 5 });
    const a1 = values(a.apply(ones(64), { training: true }) as tf.Tensor);
    const a2 = values(a.apply(ones(64), { training: true }) as tf.Tensor);
    expect(values(b.apply(ones(64), { training: true }) as tf.Tensor)).toEqual(a1);
    expect(values(b.apply(ones(64), { training: true }) as tf.Tensor)).toEqual(a2);
    expect(a2).not.toEqual(a1);
  });

  test('inference is the identity and draws no mask', () => {
    const layer = new SeededDropout({ rate: 0.5, seed: 5 });
    const x = tf.randomNormal([3, 7], 0, 1, 'float32', 2);
    expect(values(layer.apply(x, { training: false }) as tf.Tensor)).toEqual(values(x));
    const fresh = new SeededDropout({ rate: 0.5, seed: 5 });
    // Inference calls did not advance the mask sequence.
    expect(values(layer.apply(ones(64), { training: true }) as tf.Tensor)).toEqual(values(fresh.apply(ones(64), { training: true }) as tf.Tensor));
  });

  test('the gradient is the mask scaled by 1 / (1 - rate)', () => {
    const layer = new SeededDropout({ rate: 0.25, seed: 9 });
    const twin = new SeededDropout({ rate: 0.25, seed: 9 });
    const x = tf.randomNormal([5, 40], 0, 1, 'float32', 3);
    const g = values(tf.grad((v: tf.Tensor) => tf.sum(layer.apply(v, { training: true }) as tf.Tensor))(x));
    const mask = values(twin.apply(tf.onesLike(x), { training: true }) as tf.Tensor);
    g.forEach((v, i) => expect(v).toBeCloseTo(mask[i]!, 6));
  });

  test('its configuration rebuilds it', () => {
    const layer = new SeededDropout({ rate: 0.2, seed: 4, name: 'd' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ rate: 0.2, seed: 4, name: 'd' });
    const again = new SeededDropout(config as unknown as { rate: number; seed: number });
    expect(values(again.apply(ones(32), { training: true }) as tf.Tensor)).toEqual(values(layer.apply(ones(32), { training: true }) as tf.Tensor));
  });
});

describe('compiling dropout', () => {
  const source = 'model m\ninput 8\ndense 16 | relu | dropout 0.5\ndense 10\n';
  const checked = analyze(source, 'm.net').model!;
  const dropoutClass = (seed: number | undefined): string =>
    compileModel(checked, seed === undefined ? {} : { seed }).layers.find((l) => /dropout/.test(l.name))!.getClassName();

  test('with a seed: netc\'s seeded dropout; without one: tfjs\'s', () => {
    expect(dropoutClass(1)).toBe('NetcSeededDropout');
    expect(dropoutClass(undefined)).toBe('Dropout');
  });

  test('two compilations with the same seed train through the same masks', () => {
    const run = (): number[] => {
      const model = compileModel(checked, { seed: 3 });
      const x = tf.randomNormal([6, 8], 0, 1, 'float32', 1);
      return [0, 1].flatMap(() => values(model.apply(x, { training: true }) as tf.Tensor));
    };
    expect(run()).toEqual(run());
  });
});
