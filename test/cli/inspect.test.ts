import * as tf from '@tensorflow/tfjs';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { netc, workspace } from './trainHelpers.js';

const ws = workspace(undefined, { train: 128, test: 40 });
const run = join(ws.dir, 'run');
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));

beforeAll(async () => {
  const trained = await netc(['train', ws.net, '--data', ws.data, '--backend', 'cpu', '--seed', '3', '--epochs', '1', '--out', run]);
  expect(trained.code).toBe(0);
});

/** The saved weights decoded straight from model.json's manifest: an independent reading of the checkpoint. */
function savedWeights(): tf.NamedTensorMap {
  const modelJson = JSON.parse(readFileSync(join(run, 'checkpoint', 'model.json'), 'utf8')) as {
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const bytes = readFileSync(join(run, 'checkpoint', 'weights.bin'));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return tf.io.decodeWeights(buffer, modelJson.weightsManifest[0]!.weights);
}

describe('netc inspect', () => {
  test('text: every bn layer by summary number and source line, with its four vectors', async () => {
    const result = await netc(['inspect', run]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('tiny (');
    expect(result.out).toContain('epoch 1 of 1');
    expect(result.out).toContain('layer 2, line 4:16: bn BatchNorm2d (builtin), 4 channels');
    expect(result.out).toContain('layer 6, line 6:12: bn BatchNorm1d (builtin), 16 features');
    for (const row of ['gamma', 'beta', 'moving mean', 'moving variance']) expect(result.out).toMatch(new RegExp(`^  ${row} +-?\\d`, 'm'));
  });

  test('json: machine-readable values equal to the saved weights; --layer picks one', async () => {
    const result = await netc(['inspect', run, '--format', 'json', '--layer', '2']);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.out) as { layers: { index: number; line: number; variant: string; gamma: number[]; beta: number[]; movingMean: number[]; movingVariance: number[] }[] };
    expect(parsed.layers).toHaveLength(1);
    const layer = parsed.layers[0]!;
    expect(layer).toMatchObject({ index: 2, line: 4, variant: 'BatchNorm2d' });
    const weights = savedWeights();
    expect(layer.gamma).toEqual(Array.from(weights['bn_2/gamma']!.dataSync()));
    expect(layer.movingVariance).toEqual(Array.from(weights['bn_2/moving_variance']!.dataSync()));
    // One epoch of training moved them off their initial values.
    expect(layer.gamma.some((g) => g !== 1)).toBe(true);
    expect(layer.movingMean.some((m) => m !== 0)).toBe(true);
    tf.dispose(Object.values(weights));
  });

  test('--layer that is not a bn says which are', async () => {
    const relu = await netc(['inspect', run, '--layer', '3']);
    expect(relu.code).toBe(2);
    expect(relu.err).toContain('--layer 3: layer 3 is `relu` (line 4), not a batch norm; its batch-norm layers are 2, 6');
    const far = await netc(['inspect', run, '--layer', '99']);
    expect(far.err).toContain('the model has 8 layers, so there is no layer 99');
  });

  test('--layer abc is refused in words, not as "no layer NaN" (issue 15)', async () => {
    const result = await netc(['inspect', run, '--layer', 'abc']);
    expect(result.code).toBe(2);
    expect(result.err).toBe('netc: error NN2004: `--layer` must be a whole number, not `abc`.\n');
  });

  test('a run stopped inside its first epoch says so, not "epoch 0 of 2"', async () => {
    const stopped = join(ws.dir, 'stopped');
    cpSync(run, stopped, { recursive: true });
    const statePath = join(stopped, 'checkpoint', 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
    const hyperparameters = state['hyperparameters'] as Record<string, unknown>;
    writeFileSync(statePath, JSON.stringify({
      ...state,
      hyperparameters: { ...hyperparameters, epochs: 2 },
      epochsDone: 0,
      history: [],
      partial: { batchesDone: 2, examples: 64, lossSum: 100, correct: 10, trainSeconds: 0.5 },
    }));
    const result = await netc(['inspect', stopped]);
    expect(result.code).toBe(0);
    expect(result.out.split('\n')[0]).toBe(`tiny (${ws.net}), stopped in epoch 1 of 2, after batch 2, from ${join(stopped, 'checkpoint')}`);
  });

  test('a model.net edited after the run saved it is refused: its hash is recorded and checked', async () => {
    const tampered = join(ws.dir, 'tampered');
    cpSync(run, tampered, { recursive: true });
    const source = join(tampered, 'checkpoint', 'model.net');
    writeFileSync(source, readFileSync(source, 'utf8').replace('dense 16', 'dense 17'));
    const result = await netc(['inspect', tampered]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^netc: error NN5005: Cannot inspect .*tampered: .*model\.net was changed after the run saved it \(its SHA-256 differs from the one in .*state\.json\)/);
    const resumed = await netc(['train', '--resume', tampered, '--data', ws.data, '--backend', 'cpu', '--epochs', '2']);
    expect(resumed.code).toBe(1);
    expect(resumed.err).toContain('was changed after the run saved it');
  });

  test('a directory that is not a run is refused with NN5005', async () => {
    const result = await netc(['inspect', ws.data]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/error NN5005: Cannot inspect .*has no complete checkpoint/);
  });
});
