/**
 * A full disk during a save, injected where the write happens (the write of each checkpoint file), for machines
 * where test/cli/trainReliability.test.ts cannot mount a 1 MB tmpfs: the staging directory goes, the last
 * checkpoint stays, the error is NN4002 in words.
 */
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { checkpointDir, saveCheckpoint, type TrainState } from '../../src/train/checkpoint.js';
import { resolveHyperparameters } from '../../src/train/hyperparameters.js';
import { Rng } from '../../src/train/random.js';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, writeSync: vi.fn(real.writeSync) };
});

const dir = mkdtempSync(join(tmpdir(), 'netc-diskfull-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const state: TrainState = {
  model: 'm',
  file: 'm.net',
  hyperparameters: resolveHyperparameters({}, {}),
  backend: 'cpu',
  epochsDone: 1,
  rng: Rng.fromSeed(1).state(),
  partial: null,
  history: [{ epoch: 1, loss: 1, trainAcc: 0.5, testAcc: 0.5, examplesPerSec: 1 }],
  trainSeconds: 1,
  examples: 1,
};

describe('a full disk while saving', () => {
  test('NN4002 naming the cause, no staging directory, the previous checkpoint untouched', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
    const optimizer = tf.train.sgd(0.1);
    const run = join(dir, 'run');
    await saveCheckpoint(run, model, optimizer, 'input 4\ndense 2\n', state);
    const before = readFileSync(join(checkpointDir(run), 'weights.bin'));

    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw enospc;
    });
    const saving = saveCheckpoint(run, model, optimizer, 'input 4\ndense 2\n', { ...state, epochsDone: 2, history: [...state.history, state.history[0]!] });
    await expect(saving).rejects.toThrow(NetcError);
    await expect(saving).rejects.toMatchObject({
      code: 'NN4002',
      message: `Cannot save a checkpoint in ${run}: the disk is full (ENOSPC). Nothing half-written is left behind and the last checkpoint in ${checkpointDir(run)} is intact; free some space and continue with \`netc train --resume ${run}\`.`,
    });
    expect(readdirSync(run)).toEqual(['checkpoint']);
    expect(readFileSync(join(checkpointDir(run), 'weights.bin')).equals(before)).toBe(true);
    model.dispose();
    optimizer.dispose();
  });
});
