import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { trainModel } from '../../src/train/train.js';
import { useTinyRun } from './tinyRun.js';

const { ws, request } = useTinyRun();

describe('trainModel', () => {
  test('leaves no tensor behind, and the history matches the epochs trained', async () => {
    const before = tf.memory().numTensors;
    const outcome = await trainModel(request(join(ws.dir, 'leak'), { epochs: 2 }));
    expect(tf.memory().numTensors).toBe(before);
    expect(outcome.status).toBe('completed');
    expect(outcome.history.map((r) => r.epoch)).toEqual([1, 2]);
    expect(outcome.examplesPerSec).toBeGreaterThan(0);
  });

  test('stopped in the middle of an epoch and resumed, it ends with the same weights and figures as a run never stopped', async () => {
    const whole = await trainModel(request(join(ws.dir, 'whole')));

    const dir = join(ws.dir, 'halves');
    const controller = new AbortController();
    const first = await trainModel({
      ...request(dir),
      signal: controller.signal,
      observer: {
        batchEnd: (epoch, sums) => {
          if (epoch === 2 && sums.batchesDone === 3) controller.abort();
        },
      },
    });
    expect(first.status).toBe('interrupted');
    expect(first.stoppedAt).toEqual({ epoch: 2, batchesDone: 3, totalBatches: 7 });
    const saved = loadCheckpoint(dir);
    expect(saved.state.epochsDone).toBe(1);
    expect(saved.state.partial?.batchesDone).toBe(3);

    const second = await trainModel({ ...request(dir), resume: saved });
    expect(second.status).toBe('completed');
    const strip = (h: typeof whole.history) => h.map(({ examplesPerSec: _, seconds: __, ...rest }) => rest);
    expect(strip(second.history)).toEqual(strip(whole.history));
    const bytes = (d: string): Buffer => readFileSync(join(d, 'checkpoint', 'weights.bin'));
    expect(bytes(dir).equals(bytes(join(ws.dir, 'whole')))).toBe(true);
  });

  test('a NaN in the weights is caught at the next batch (NN5004) and the last good checkpoint stays', async () => {
    const dir = join(ws.dir, 'nan');
    const poison = (m: tf.LayersModel): void => {
      const kernel = m.getLayer('dense_8').getWeights()[0]!;
      const bad = tf.fill(kernel.shape, Number.NaN);
      m.getLayer('dense_8').setWeights([bad, m.getLayer('dense_8').getWeights()[1]!]);
      bad.dispose();
    };
    const attempt = trainModel({
      ...request(dir),
      observer: {
        batchEnd: (epoch, sums, m) => {
          if (epoch === 2 && sums.batchesDone === 4) poison(m);
        },
      },
    });
    await expect(attempt).rejects.toThrow(NetcError);
    await attempt.catch((error: NetcError) => {
      expect(error.code).toBe('NN5004');
      expect(error.message).toContain('at epoch 2, batch 5 of 7');
      expect(error.message).toContain('The last good checkpoint (epoch 1)');
      expect(error.message).toContain('--lr 0.05');
    });
    const kept = loadCheckpoint(dir);
    expect(kept.state.epochsDone).toBe(1);
  });
});
