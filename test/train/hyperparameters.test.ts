import { describe, expect, test } from 'vitest';
import { optimizers } from '../../src/ir/catalogue.js';
import { isHyperparameters, recipeDefaults, resolveHyperparameters } from '../../src/train/hyperparameters.js';

describe('resolveHyperparameters', () => {
  test("with nothing written, the seed's recipe: sgd, lr 1.0, 10 epochs, batch 256", () => {
    expect(resolveHyperparameters({}, {})).toEqual({
      epochs: 10,
      batch: 256,
      lr: 1.0,
      optimizer: 'sgd',
      momentum: 0.9,
      seed: null,
      bn: null,
      subset: null,
      ...recipeDefaults,
    });
  });

  test('recipe options: file over defaults, flags over the file; adamw decays by 0.01 unless told', () => {
    const file = { optimizer: 'adamw', schedule: 'cosine', warmup: 1, label_smoothing: 0.1, wd_all: true, keep: 'best' };
    const h = resolveHyperparameters(file, { warmup: 2, clip: 1 });
    expect(h).toMatchObject({ optimizer: 'adamw', schedule: 'cosine', warmup: 2, wd: 0.01, wdAll: true, labelSmoothing: 0.1, clip: 1, keep: 'best' });
    expect(resolveHyperparameters({ optimizer: 'adamw', wd: 5e-4 }, {}).wd).toBe(5e-4);
    expect(resolveHyperparameters({ optimizer: 'sgd' }, {}).wd).toBe(0);
  });

  test("the file's train line over the defaults, flags over the file", () => {
    const file = { epochs: 5, batch: 128, lr: 0.5, optimizer: 'sgd', seed: 3 };
    const h = resolveHyperparameters(file, { epochs: 2, lr: 0.1, subset: 500, bn: 'scratch' });
    expect(h).toMatchObject({ epochs: 2, batch: 128, lr: 0.1, optimizer: 'sgd', seed: 3, subset: 500, bn: 'scratch' });
  });

  test("switching optimizer by flag drops the file's lr for the new optimizer's default", () => {
    expect(resolveHyperparameters({ lr: 1.0, optimizer: 'sgd' }, { optimizer: 'adam' }).lr).toBe(optimizers.adam.defaultLr);
    expect(resolveHyperparameters({ lr: 0.05, optimizer: 'momentum' }, { optimizer: 'momentum' }).lr).toBe(0.05);
    expect(resolveHyperparameters({ lr: 1.0 }, { optimizer: 'adam', lr: 0.01 }).lr).toBe(0.01);
  });

  test('isHyperparameters rejects what a damaged checkpoint could hold', () => {
    const good = resolveHyperparameters({}, {});
    expect(isHyperparameters(good)).toBe(true);
    expect(isHyperparameters({ ...good, optimizer: 'lion' })).toBe(false);
    expect(isHyperparameters({ ...good, schedule: 'linear' })).toBe(false);
    expect(isHyperparameters({ ...good, batch: 0 })).toBe(false);
    expect(isHyperparameters({ ...good, lr: -1 })).toBe(false);
    expect(isHyperparameters(null)).toBe(false);
  });
});
