import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import {
  checkpointDir,
  hasCheckpoint,
  loadCheckpoint,
  namedTensors,
  saveCheckpoint,
  weightTensors,
  type TrainState,
} from '../../src/train/checkpoint.js';
import { resolveHyperparameters } from '../../src/train/hyperparameters.js';
import { Rng } from '../../src/train/random.js';

/** A small model with a batch norm, so that non-trainable weights (moving statistics) are part of the round trip. */
function smallModel(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 3, name: 'dense_1', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.batchNormalization({ name: 'bn_2', momentum: 0.9 }),
      tf.layers.dense({ units: 2, name: 'dense_3', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

/** A few momentum steps so that the optimizer has accumulators worth saving. */
function trainABit(model: tf.LayersModel, optimizer: tf.Optimizer): void {
  const x = tf.tensor2d([[1, 2, 3, 4], [0, 1, 0, 1], [2, 2, 1, 0]]);
  const y = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
  for (let i = 0; i < 3; i++) {
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  }
  tf.dispose([x, y]);
}

const state = (epochsDone: number): TrainState => ({
  model: 'small',
  file: 'small.net',
  hyperparameters: resolveHyperparameters({ epochs: 3 }, { optimizer: 'momentum' }),
  backend: 'cpu',
  epochsDone,
  rng: Rng.fromSeed(1).state(),
  partial: null,
  history: Array.from({ length: epochsDone }, (_, i) => ({ epoch: i + 1, loss: 1, trainAcc: 0.5, testAcc: 0.5, examplesPerSec: 10 })),
  trainSeconds: 1,
  examples: 10,
});

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'netc-ckpt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('checkpoints', () => {
  test('weights, moving statistics, optimizer accumulators and state survive a save and load', async () => {
    const dir = join(root, 'roundtrip');
    const model = smallModel();
    const optimizer = tf.train.momentum(0.1, 0.9);
    trainABit(model, optimizer);
    const before = tf.memory().numTensors;
    await saveCheckpoint(dir, model, optimizer, 'model small\n', state(2));
    expect(tf.memory().numTensors).toBe(before);

    const loaded = loadCheckpoint(dir);
    expect(loaded.state).toEqual(state(2));
    expect(loaded.source).toBe('model small\n');
    const fresh = smallModel();
    const tensors = weightTensors(loaded.weights);
    fresh.loadWeights(tensors, true);
    tf.dispose(Object.values(tensors));
    const saved = model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(fresh.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(saved);
    // Moving statistics moved off their initial 0 and 1, so the check above covered them.
    expect(Array.from(fresh.getLayer('bn_2').getWeights()[2]!.dataSync()).some((v) => v !== 0)).toBe(true);

    const restored = tf.train.momentum(0.1, 0.9);
    const optimizerTensors = namedTensors(loaded.optimizerWeights);
    await restored.setWeights(optimizerTensors);
    tf.dispose(optimizerTensors.map((w) => w.tensor));
    const a = await optimizer.getWeights();
    const b = await restored.getWeights();
    expect(b.map((w) => Array.from(w.tensor.dataSync()))).toEqual(a.map((w) => Array.from(w.tensor.dataSync())));
    expect(b.length).toBe(1 + model.trainableWeights.length);
    tf.dispose([model, fresh].flatMap((m) => m.weights.map((w) => w.read())));
  });

  test('a new save replaces the old atomically and leaves no temporary directory behind', async () => {
    const dir = join(root, 'replace');
    const model = smallModel();
    const optimizer = tf.train.sgd(0.1);
    await saveCheckpoint(dir, model, optimizer, 'a', state(1));
    await saveCheckpoint(dir, model, optimizer, 'b', state(2));
    const loaded = loadCheckpoint(dir);
    expect(loaded.state.epochsDone).toBe(2);
    expect(loaded.source).toBe('b');
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).sort()).toEqual(['checkpoint']);
  });

  test('a crash between the two renames of a save still leaves the previous checkpoint loadable', async () => {
    const dir = join(root, 'crash');
    await saveCheckpoint(dir, smallModel(), tf.train.sgd(0.1), 'a', state(1));
    renameSync(checkpointDir(dir), join(dir, '.checkpoint-previous'));
    expect(hasCheckpoint(dir)).toBe(true);
    expect(loadCheckpoint(dir).state.epochsDone).toBe(1);
  });

  describe('refusals, each naming what is wrong (NN5005)', () => {
    async function damaged(name: string, damage: (ckpt: string) => void): Promise<NetcError> {
      const dir = join(root, name);
      await saveCheckpoint(dir, smallModel(), tf.train.momentum(0.1, 0.9), 'src', state(1));
      damage(checkpointDir(dir));
      try {
        loadCheckpoint(dir);
      } catch (error) {
        expect(error).toBeInstanceOf(NetcError);
        expect((error as NetcError).code).toBe('NN5005');
        return error as NetcError;
      }
      throw new Error('loadCheckpoint accepted a damaged checkpoint');
    }

    test('a directory without a checkpoint', () => {
      const dir = join(root, 'empty');
      expect(() => loadCheckpoint(dir)).toThrow(/no such directory/);
      writeFileSync(join(root, 'placeholder'), '');
      expect(() => loadCheckpoint(root)).toThrow(/has no complete checkpoint/);
    });

    test('truncated weights', async () => {
      const error = await damaged('truncated', (ckpt) => truncateSync(join(ckpt, 'weights.bin'), 10));
      expect(error.message).toMatch(/weights\.bin is corrupt \(10 bytes where its manifest describes \d+\)/);
    });

    test('garbage state.json', async () => {
      const error = await damaged('garbage', (ckpt) => writeFileSync(join(ckpt, 'state.json'), '{"format": "netc-ch'));
      expect(error.message).toMatch(/state\.json is corrupt \(not valid JSON\)/);
    });

    test('a state whose history disagrees with its epoch', async () => {
      const error = await damaged('history', (ckpt) => {
        const path = join(ckpt, 'state.json');
        const s = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
        writeFileSync(path, JSON.stringify({ ...s, epochsDone: 5 }));
      });
      expect(error.message).toContain('history does not match epochsDone');
    });

    test('NaN in the saved weights', async () => {
      const error = await damaged('nan', (ckpt) => {
        const path = join(ckpt, 'weights.bin');
        const bytes = readFileSync(path);
        bytes.writeFloatLE(Number.NaN, 0);
        writeFileSync(path, bytes);
      });
      expect(error.message).toMatch(/weights\.bin is corrupt \(weight '.*' holds NaN/);
    });

    test('a missing optimizer file', async () => {
      const error = await damaged('nooptimizer', (ckpt) => rmSync(join(ckpt, 'optimizer.bin')));
      expect(error.message).toMatch(/optimizer\.bin is missing or unreadable/);
      expect(existsSync(root)).toBe(true);
    });
  });
});
