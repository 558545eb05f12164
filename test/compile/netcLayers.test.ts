import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileModel } from '../../src/compile/compile.js';
import { saveModel } from '../../src/compile/io.js';
import { createNetcLayer, netcLayerClasses } from '../../src/compile/netcLayers.js';
import { saveCheckpoint, type TrainState } from '../../src/train/checkpoint.js';
import { resolveHyperparameters } from '../../src/train/hyperparameters.js';
import { Rng } from '../../src/train/random.js';
import { checkSource } from '../check/harness.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// Every netc layer class: a from-scratch bn and a padded max pool; compiled for the fast path, fused bns and a
// residual join fused with its relu.
const source = `model all_netc_layers
input 1x8x8
conv 4 k3 p1 | bn impl=scratch | relu | maxpool 3 s2 p1
residual { conv 4 k3 p1 | bn } | relu
conv 4 k3 | bn | sigmoid
flatten
dense 10
`;

/** The JavaScript block the README gives for loading a compiled model, marked by its comment. */
function readmeImport(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- netc-layers-import:[^\n]*-->\n```js\n([\s\S]*?)```/.exec(readme);
  if (block === null) throw new Error('README.md has no netc-layers-import block');
  return block[1]!;
}

/**
 * Runs the README's block in a fresh Node process (nothing registered by other tests), with the documented
 * `./dist/` import pointed at the sources and the `file://` load (tfjs-node) replaced by reading `dir`'s files.
 */
function loadAsReadmeSays(dir: string): { classes: string[]; output: number[] } {
  const block = readmeImport();
  const [imports, ...rest] = block.split('\nregisterNetcLayers();');
  expect(rest.length, 'the README block calls registerNetcLayers() once').toBe(1);
  expect(rest[0]).toMatch(/tf\.loadLayersModel\(/);
  const src = pathToFileURL(join(root, 'src')).href;
  const script = `${imports!.replaceAll("'./dist/", `'${src}/`)}
import { readFileSync } from 'node:fs';
registerNetcLayers();
const json = JSON.parse(readFileSync(${JSON.stringify(join(dir, 'model.json'))}, 'utf8'));
const bytes = readFileSync(${JSON.stringify(join(dir, 'weights.bin'))});
const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
await tf.setBackend('cpu');
const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
const x = tf.linspace(0, 1, 64).reshape([1, 8, 8, 1]);
console.log(JSON.stringify({ classes: model.layers.map((l) => l.getClassName()), output: Array.from(model.predict(x).dataSync()) }));
`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { classes: string[]; output: number[] };
}

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'netc-layers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('registerNetcLayers', () => {
  const x = (): tf.Tensor => tf.linspace(0, 1, 64).reshape([1, 8, 8, 1]);

  test('netc has five layer classes of its own', () => {
    expect([...netcLayerClasses.keys()].sort()).toEqual([
      'NetcBatchNorm', 'NetcFusedAddActivation', 'NetcFusedBatchNormActivation', 'NetcNegInfPadding2D', 'NetcSeededDropout',
    ]);
  });

  test('a compiled model with netc layer classes loads with exactly the README import', async () => {
    const model = compileModel(checkSource(source).model!, { seed: 3, fuse: false });
    const classes = model.layers.map((l) => l.getClassName());
    expect(classes).toContain('NetcBatchNorm');
    expect(classes).toContain('NetcNegInfPadding2D');
    const want = Array.from((model.predict(x()) as tf.Tensor).dataSync());
    const out = join(dir, 'compiled');
    await saveModel(model, out);
    const loaded = loadAsReadmeSays(out);
    expect(loaded.classes).toEqual(classes);
    expect(loaded.output.length).toBe(10);
    loaded.output.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  }, 60_000);

  test('a training checkpoint loads with exactly the README import', async () => {
    const model = compileModel(checkSource(source).model!, { seed: 4, fuse: true });
    const optimizer = tf.train.sgd(0.1);
    const state: TrainState = {
      model: 'all_netc_layers',
      file: 'all.net',
      hyperparameters: resolveHyperparameters({ epochs: 1 }, {}),
      backend: 'cpu',
      epochsDone: 1,
      rng: Rng.fromSeed(1).state(),
      partial: null,
      history: [{ epoch: 1, loss: 1, trainAcc: 0.5, testAcc: 0.5, examplesPerSec: 10 }],
      trainSeconds: 1,
      examples: 10,
    };
    const checkpoint = await saveCheckpoint(join(dir, 'run'), model, optimizer, source, state);
    const want = Array.from((model.predict(x()) as tf.Tensor).dataSync());
    const loaded = loadAsReadmeSays(checkpoint);
    expect(loaded.classes).toContain('NetcFusedBatchNormActivation');
    expect(loaded.classes).toContain('NetcFusedAddActivation');
    expect(loaded.classes).toContain('NetcNegInfPadding2D');
    loaded.output.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  }, 60_000);

  test('createNetcLayer builds a class by its saved name and refuses an unknown one', () => {
    expect(createNetcLayer('NetcNegInfPadding2D', { padding: [1, 1], name: 'p' }).getClassName()).toBe('NetcNegInfPadding2D');
    expect(() => createNetcLayer('NetcNoSuchLayer', {})).toThrow(/no netc layer class 'NetcNoSuchLayer'/);
  });
});
