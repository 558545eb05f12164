import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileGraph, compileModel } from '../../src/compile/compile.js';
import { loadModel, saveModel } from '../../src/compile/io.js';
import { checkSource } from '../check/harness.js';

// What the layer kinds leakyrelu, gelu, globalavgpool, globalmaxpool and layernorm compile to through the real
// compiler: tfjs classes and settings, weights equal to the checker's counts, and a save and load that keeps them.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dir = mkdtempSync(join(tmpdir(), 'netc-layers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every kind at once, on both ranks: the five kinds and their options. */
const allFive = [
  'input 3x8x8',
  'conv 4 k3 p1 | layernorm | leakyrelu 0.2',
  'conv 4 k3 | gelu | globalmaxpool',
  'dense 12 | layernorm eps=1e-3 | gelu | leakyrelu',
  'dense 10',
  '',
].join('\n');

/** The tfjs layers one node compiled to, by node index, as class name and configuration. */
function layersOf(source: string): { className: string; config: tf.serialization.ConfigDict }[][] {
  const { model, nodes } = compileGraph(checkSource(source).model!, { seed: 1 });
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const result = nodes.map((node) => node.layers.map((name) => byName.get(name)!).map((l) => ({ className: l.getClassName(), config: l.getConfig() })));
  model.dispose();
  return result;
}

describe('lowered configurations', () => {
  test('leakyrelu is tfjs LeakyReLU with PyTorch’s default slope, or the one written', () => {
    expect(layersOf('input 10\nleakyrelu\n')[0]).toMatchObject([{ className: 'LeakyReLU', config: { alpha: 0.01 } }]);
    expect(layersOf('input 10\nleakyrelu alpha=0.3\n')[0]).toMatchObject([{ className: 'LeakyReLU', config: { alpha: 0.3 } }]);
  });

  test('gelu is tfjs’s `gelu` activation (the erf form)', () => {
    expect(layersOf('input 10\ngelu\n')[0]).toMatchObject([{ className: 'Activation', config: { activation: 'gelu' } }]);
  });

  test('the global pools are tfjs’s channels-last global pools', () => {
    expect(layersOf('input 3x4x4\nglobalavgpool\n')[0]).toMatchObject([{ className: 'GlobalAveragePooling2D', config: { dataFormat: 'channelsLast' } }]);
    expect(layersOf('input 3x4x4\nglobalmaxpool\n')[0]).toMatchObject([{ className: 'GlobalMaxPooling2D', config: { dataFormat: 'channelsLast' } }]);
  });

  test('layernorm normalises every axis but the batch’s, with the file’s epsilon', () => {
    expect(layersOf('input 10\nlayernorm\n')[0]).toMatchObject([{ className: 'LayerNormalization', config: { axis: [1], epsilon: 1e-5, center: true, scale: true } }]);
    expect(layersOf('input 2x3x4\nlayernorm eps=1e-3\n')[0]).toMatchObject([{ className: 'LayerNormalization', config: { axis: [1, 2, 3], epsilon: 1e-3 } }]);
  });
});

describe('a model with all five kinds', () => {
  test('each node’s tfjs weights are the checker’s count, and the totals agree', () => {
    const checked = checkSource(allFive).model!;
    const { model, nodes } = compileGraph(checked, { seed: 1 });
    const size = (weights: tf.LayerVariable[]): number => weights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
    const byName = new Map(model.layers.map((l) => [l.name, l]));
    checked.layers.forEach((layer, i) => {
      const tfLayers = nodes[i]!.layers.map((name) => byName.get(name)!);
      expect(size(tfLayers.flatMap((l) => l.trainableWeights)), `${layer.op} at ${i}`).toBe(layer.params.trainable);
      expect(size(tfLayers.flatMap((l) => l.nonTrainableWeights)), `${layer.op} at ${i}`).toBe(layer.params.nonTrainable);
    });
    // layernorm on 4x8x8 holds gamma and beta of 8 x 8 x 4 each: PyTorch's nn.LayerNorm([4, 8, 8]), 512.
    expect(checked.layers[1]!.params.trainable).toBe(512);
    expect(size(model.trainableWeights)).toBe(checked.totals.trainable);
    model.dispose();
  });

  test('saves and loads with the documented loader, computing the same outputs', async () => {
    const model = compileModel(checkSource(allFive).model!, { seed: 3 });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5);
    const before = (model.predict(x) as tf.Tensor).dataSync();
    await saveModel(model, join(dir, 'all-five'));
    const loaded = await loadModel(join(dir, 'all-five'));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(before));
    model.dispose();
    loaded.dispose();
  });
});
