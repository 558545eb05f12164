import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { findTorchPython } from '../../src/export/python.js';
import { epochLines, netc, workspace } from '../cli/trainHelpers.js';
import { checked, testInputs, tfjsLogits, maxDifference } from './helpers.js';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { checkpointWeights, checkpointOf } from '../../src/export/netcWeights.js';

// `netc export`, `netc eval` and `netc train --engine torch` end to end, on synthetic Fashion-MNIST files: a model
// trained by netc and exported gives the same test accuracy in PyTorch, ONNX and plain TensorFlow.js; a torch run
// leaves a run directory netc reads; a missing PyTorch is NN4101 and writes nothing.

const root = fileURLToPath(new URL('../../', import.meta.url));
let ws: ReturnType<typeof workspace>;
let run: string;

interface EvalJson {
  results: { runtime: string; accuracy: number; count: number; perClass: number[]; confusion: number[][] }[];
}

beforeAll(async () => {
  ws = workspace();
  run = join(ws.dir, 'run');
  const trained = await netc(['train', ws.net, '--epochs', '1', '--seed', '2', '--backend', 'cpu', '--data', ws.data, '--out', run]);
  expect(trained.err).toBe('');
  expect(trained.code).toBe(0);
}, 240_000);

describe('a model trained by netc, exported', () => {
  test('gives the same test accuracy in PyTorch, ONNX and plain TensorFlow.js as in netc', async () => {
    const dir = join(ws.dir, 'exported');
    for (const to of ['pytorch', 'onnx', 'tfjs']) {
      const result = await netc(['export', run, '--to', to, '-o', dir]);
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(result.out).toMatch(new RegExp(`^exported tiny \\(trained weights from .*\\) to ${to}, `));
    }
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'model.onnx', 'model.py', 'train.py', 'weights.bin', 'weights.pt']);
    const original = await netc(['eval', run, '--data', ws.data, '--format', 'json']);
    expect(original.code).toBe(0);
    const exported = await netc(['eval', dir, '--data', ws.data, '--format', 'json']);
    expect(exported.err).toBe('');
    expect(exported.code).toBe(0);
    const netcResult = (JSON.parse(original.out) as EvalJson).results;
    const results = (JSON.parse(exported.out) as EvalJson).results;
    expect(netcResult.map((r) => r.runtime)).toEqual(['netc']);
    expect(results.map((r) => r.runtime)).toEqual(['pytorch', 'onnx', 'tfjs']);
    const reference = netcResult[0]!;
    expect(reference.count).toBe(100);
    // Better than chance, so the equality below compares a model that learned something.
    expect(reference.accuracy).toBeGreaterThan(0.2);
    for (const r of results) {
      expect(r.accuracy, r.runtime).toBeCloseTo(reference.accuracy, 6);
      expect(r.confusion, r.runtime).toEqual(reference.confusion);
    }
    // The run's own last epoch line measured the same accuracy.
    const state = JSON.parse(readFileSync(join(run, 'checkpoint', 'state.json'), 'utf8')) as { history: { testAcc: number }[] };
    expect(reference.accuracy).toBeCloseTo(state.history[0]!.testAcc, 6);
  }, 240_000);

  test('the text report has accuracy, per-class accuracy and the confusion matrix', async () => {
    const result = await netc(['eval', run, '--data', ws.data]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^netc \(TensorFlow\.js, the run's checkpoint\): test acc 0\.\d{4} \(\d+ of 100\)$/m);
    expect(result.out).toMatch(/^per-class accuracy:\n {3}0 T-shirt\/top +\d\.\d{3}$/m);
    expect(result.out).toMatch(/^confusion matrix \(rows: true class, columns: predicted\):$/m);
    const rows = result.out.split('\n').filter((line) => /^ {2}[ \d]\d [A-Za-z][A-Za-z/ -]*?( +\d+){10}$/.test(line));
    expect(rows).toHaveLength(10);
    const total = rows.flatMap((line) => line.trim().split(/\s+/).slice(-10).map(Number)).reduce((a, b) => a + b, 0);
    expect(total).toBe(100);
  }, 120_000);

  test('the plain tfjs export loads with tf.loadLayersModel in a process that never loaded netc', async () => {
    const dir = join(ws.dir, 'plain');
    expect((await netc(['export', run, '--to', 'tfjs', '-o', dir])).code).toBe(0);
    const json = readFileSync(join(dir, 'model.json'), 'utf8');
    expect(json).not.toMatch(/Netc/);
    const model = checked('tiny.net', readFileSync(ws.net, 'utf8'));
    const inputs = testInputs(model, 3);
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import { readFileSync } from 'node:fs';
      tf.env().set('PROD', true);
      const json = JSON.parse(readFileSync(process.argv[1] + '/model.json', 'utf8'));
      const bin = readFileSync(process.argv[1] + '/weights.bin');
      const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer }));
      const x = tf.tensor(JSON.parse(process.argv[2]), [3, 1, 28, 28]).transpose([0, 2, 3, 1]);
      process.stdout.write(JSON.stringify(Array.from(model.predict(x).dataSync())));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir, JSON.stringify(Array.from(inputs))], { cwd: root, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const got = Float32Array.from(JSON.parse(child.stdout) as number[]);
    const weights = checkpointWeights(checkpointOf(run, 'export'));
    expect(maxDifference(got, tfjsLogits(model, weights, inputs, 3))).toBeLessThan(1e-5);
  }, 120_000);
});

test('netc train --engine torch --nproc 2: netc\'s epoch lines, a run directory netc evaluates to the same accuracy', async () => {
  const out = join(ws.dir, 'torch-run');
  const result = await netc(['train', ws.net, '--engine', 'torch', '--nproc', '2', '--epochs', '2', '--seed', '3', '--data', ws.data, '--out', out]);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/^PyTorch \S+ \(.*\), 2 processes \(DistributedDataParallel, synchronised batch norm\)$/m);
  const epochs = epochLines(result.out);
  expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
  expect(result.out).toMatch(/^epoch 2\/2: loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}, [\d,]+ examples\/sec on torch$/m);
  for (const file of ['checkpoint/state.json', 'checkpoint/model.json', 'checkpoint/weights.bin', 'curves.svg', 'curves.csv', 'pytorch/model.py', 'pytorch/train.py', 'pytorch/trained/weights.pt']) {
    expect(existsSync(join(out, file)), file).toBe(true);
  }
  const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')) as { backend: string; epochsDone: number };
  expect(state).toMatchObject({ backend: 'torch', epochsDone: 2 });
  // The checkpoint holds PyTorch's trained weights: netc evaluates it to the accuracy PyTorch reported.
  const evaluated = await netc(['eval', out, '--runtime', 'netc', '--data', ws.data, '--format', 'json']);
  expect(evaluated.code).toBe(0);
  const accuracy = (JSON.parse(evaluated.out) as EvalJson).results[0]!.accuracy;
  expect(accuracy).toBeCloseTo(epochs[1]!.testAcc, 3);
}, 300_000);

describe('without PyTorch', () => {
  /** A directory holding a python3 that has no torch module, as a pyenv or venv python often is. */
  function fakePythonDir(): string {
    const dir = join(ws.dir, 'fake-bin');
    mkdirSync(dir, { recursive: true });
    const python = join(dir, 'python3');
    writeFileSync(python, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
    chmodSync(python, 0o755);
    return dir;
  }

  test('findTorchPython names what it tried and how to get PyTorch (NN4101)', () => {
    const dir = fakePythonDir();
    let error: unknown;
    try {
      findTorchPython({ path: dir, fallbacks: [join(dir, 'missing-python')] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NetcError);
    expect((error as NetcError).code).toBe('NN4101');
    expect((error as NetcError).message).toContain(`${join(dir, 'python3')} (no torch module)`);
    expect((error as NetcError).message).toContain(`${join(dir, 'missing-python')} (not found)`);
    expect((error as NetcError).message).toContain('sudo apt-get install python3-torch');
  });

  test('netc export --to pytorch fails with NN4101 and writes no file', async () => {
    const out = join(ws.dir, 'no-torch');
    const result = await netc(['export', ws.net, '--to', 'pytorch', '-o', out, '--python', join(fakePythonDir(), 'python3')]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^netc: error NN4101: This needs python3 with PyTorch, and none was found: tried .*python3 \(no torch module\)/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  test('netc train --engine torch fails with NN4101 before it creates the run directory', async () => {
    const out = join(ws.dir, 'no-torch-run');
    const result = await netc(['train', ws.net, '--engine', 'torch', '--data', ws.data, '--out', out, '--python', join(fakePythonDir(), 'python3')]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('error NN4101');
    expect(existsSync(out)).toBe(false);
  });

  test('ONNX and tfjs exports need no Python', async () => {
    const out = join(ws.dir, 'no-python-onnx');
    const result = await netc(['export', ws.net, '--seed', '1', '--to', 'onnx', '-o', out, '--python', join(fakePythonDir(), 'python3')]);
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toEqual(['model.onnx']);
  });
});

describe('refusals', () => {
  test('a padded maxpool has no plain tfjs form: NN4102 at its line', async () => {
    const net = join(ws.dir, 'padded.net');
    writeFileSync(net, 'model padded\ninput 1x28x28\nconv 4 k3\nmaxpool 3 s2 p1\nflatten\ndense 10\n');
    const out = join(ws.dir, 'padded-out');
    const result = await netc(['export', net, '--to', 'tfjs', '-o', out]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`error NN4102: ${net}:4:1: cannot export to tfjs: a padded \`maxpool\``);
    expect(existsSync(out)).toBe(false);
  });

  test('netc eval of a directory with no run or export is NN4104', async () => {
    const empty = join(ws.dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const result = await netc(['eval', empty, '--data', ws.data]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/error NN4104: .* holds neither a run .* nor an export/);
  });

  test('--nproc belongs to the torch engine', async () => {
    const result = await netc(['train', ws.net, '--nproc', '2', '--data', ws.data]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--nproc is for --engine torch');
  });
});
