import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { splitValidation } from '../../src/data/imageSet.js';
import { augmentBatch } from '../../src/train/augment.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { parseCurvesCsv } from '../../src/train/curves.js';
import { permutation, Rng } from '../../src/train/random.js';
import { learningRateAt } from '../../src/train/schedule.js';
import { patienceRanOut, trainModel } from '../../src/train/train.js';
import { useTinyRun } from './tinyRun.js';

const { ws, data, request } = useTinyRun();

describe('the recipe in the training loop', () => {
  test('each epoch records the scheduled rates of its first and last steps and its wall time, in curves.csv too', async () => {
    const h = { optimizer: 'adamw', lr: 0.01, wd: 5e-4, schedule: 'cosine', warmup: 1 } as const;
    const dir = join(ws.dir, 'cosine');
    const outcome = await trainModel(request(dir, h));
    const spec = { schedule: 'cosine', lr: 0.01, warmup: 1, step: 30, gamma: 0.1, epochs: 3, stepsPerEpoch: 7 } as const;
    expect(outcome.history.map((r) => [r.lr, r.lrEnd])).toEqual([
      [learningRateAt(spec, 0), learningRateAt(spec, 6)],
      [learningRateAt(spec, 7), learningRateAt(spec, 13)],
      [learningRateAt(spec, 14), learningRateAt(spec, 20)],
    ]);
    // Warmup from 1% up, the peak at epoch 2's start, falling after.
    expect(outcome.history[0]!.lr).toBeCloseTo(1e-4, 10);
    expect(outcome.history[1]!.lr).toBe(0.01);
    expect(outcome.history[2]!.lrEnd!).toBeLessThan(outcome.history[2]!.lr!);
    const csv = parseCurvesCsv(readFileSync(join(dir, 'curves.csv'), 'utf8'));
    expect(csv.map((r) => r.lr)).toEqual(outcome.history.map((r) => r.lr));
    expect(csv.every((r) => r.seconds! > 0)).toBe(true);
  });

  test('a run with a schedule, decay, clipping, smoothing and augmentation resumes exactly from inside an epoch', async () => {
    const h = { optimizer: 'momentum', nesterov: true, lr: 0.05, schedule: 'onecycle', wd: 1e-3, clip: 1, labelSmoothing: 0.1, flip: true, crop: 2 } as const;
    const whole = await trainModel(request(join(ws.dir, 'r-whole'), h));
    const dir = join(ws.dir, 'r-halves');
    const controller = new AbortController();
    await trainModel({
      ...request(dir, h),
      signal: controller.signal,
      observer: { batchEnd: (epoch, sums) => void (epoch === 2 && sums.batchesDone === 3 && controller.abort()) },
    });
    const second = await trainModel({ ...request(dir, h), resume: loadCheckpoint(dir) });
    const strip = (x: typeof whole.history) => x.map(({ examplesPerSec: _, seconds: __, ...rest }) => rest);
    expect(strip(second.history)).toEqual(strip(whole.history));
    const bytes = (d: string): Buffer => readFileSync(join(d, 'checkpoint', 'weights.bin'));
    expect(bytes(dir).equals(bytes(join(ws.dir, 'r-whole')))).toBe(true);
  });

  test('a validation split is evaluated every epoch; keep=best saves the best epoch; patience stops the run', async () => {
    const shuffle = permutation(data().train.count, Rng.fromSeed(0));
    const { train, validation } = splitValidation({ ...data().train, channels: 1 }, 0.2, shuffle);
    expect([train.count, validation.count]).toEqual([160, 40]);
    const dir = join(ws.dir, 'early');
    // A rate too small to learn: the validation accuracy soon stops improving.
    const outcome = await trainModel({ ...request(dir, { epochs: 8, lr: 1e-9, patience: 2, keep: 'best' }), train, validation });
    expect(outcome.history.every((r) => r.valAcc !== undefined)).toBe(true);
    expect(outcome.stoppedEarly).not.toBeNull();
    expect(outcome.history.length).toBeLessThan(8);
    expect(outcome.best!.metric).toBe('val acc');
    expect(outcome.history.length - outcome.best!.epoch).toBe(2);
    const best = loadCheckpoint(join(dir, 'best'));
    expect(best.state.epochsDone).toBe(outcome.best!.epoch);
    expect(existsSync(outcome.best!.checkpoint!)).toBe(true);
  });

  test('patienceRanOut counts epochs since the best', () => {
    const r = (epoch: number, testAcc: number) => ({ epoch, loss: 1, trainAcc: 0, testAcc, examplesPerSec: 1 });
    expect(patienceRanOut([r(1, 0.5), r(2, 0.6), r(3, 0.6)], 2)).toBe(false);
    expect(patienceRanOut([r(1, 0.5), r(2, 0.6), r(3, 0.6), r(4, 0.55)], 2)).toBe(true);
    expect(patienceRanOut([r(1, 0.5), r(2, 0.6), r(3, 0.4)], 1)).toBe(true);
  });
});

describe('augmentBatch', () => {
  const image = (rows: number, cols: number, channels: number): Float32Array => Float32Array.from({ length: rows * cols * channels }, (_, i) => i + 1);

  test('a flip reverses each row, keeping the channels of a pixel together', () => {
    const batch = image(2, 3, 2);
    // Rng whose first draw is odd flips; find one.
    let seed = 0;
    while (new Rng(Rng.fromSeed(seed).state()).nextBelow(2) !== 1) seed++;
    augmentBatch(batch, 1, { rows: 2, cols: 3, channels: 2 }, { flip: true, crop: 0 }, Rng.fromSeed(seed));
    expect(Array.from(batch)).toEqual([5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8]);
  });

  test('a crop shifts by at most its padding with zeros coming in, and keeps every value otherwise', () => {
    const rng = Rng.fromSeed(4);
    let shifted = 0;
    for (let trial = 0; trial < 50; trial++) {
      const batch = image(5, 5, 1);
      augmentBatch(batch, 1, { rows: 5, cols: 5, channels: 1 }, { flip: false, crop: 1 }, rng);
      const nonzero = Array.from(batch).filter((v) => v !== 0);
      // A shift of (dy, dx) keeps (5 - |dy|) x (5 - |dx|) values: 25, 20 or 16.
      expect([25, 20, 16]).toContain(nonzero.length);
      if (nonzero.length < 25) shifted++;
      // Neighbours along a row stay neighbours.
      for (let i = 1; i < 25; i++) if (batch[i] !== 0 && batch[i - 1] !== 0 && i % 5 !== 0) expect(batch[i]! - batch[i - 1]!).toBe(1);
    }
    expect(shifted).toBeGreaterThan(25);
  });
});
