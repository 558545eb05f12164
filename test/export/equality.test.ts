import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CheckedModel } from '../../src/ir/model.js';
import { onnxIrVersion, onnxModel, onnxOpset } from '../../src/export/onnx/onnxGraph.js';
import { decodeOnnxModel, encodeOnnxModel } from '../../src/export/onnx/onnxWriter.js';
import type { TorchPython } from '../../src/export/python.js';
import { pytorchModelSource } from '../../src/export/pytorchModel.js';
import { toStateDict, type NamedArray } from '../../src/export/stateDict.js';
import { plainTfjsModel, tfjsUnsupported } from '../../src/export/tfjsExport.js';
import { saveWeightsPt, type WeightsJob } from '../../src/export/torchWeights.js';
import { checked, maxDifference, onnxLogits, scratchDir, testInputs, testPython, testWeights, tfjsLogits, torchLogits } from './helpers.js';
import { layerKindModels } from './layerKinds.js';

// The exported PyTorch model (Net() + weights.pt, run by PyTorch) and ONNX model (run by onnxruntime) compute what
// netc's own TensorFlow.js model computes, on the same inputs and weights, within 1e-4: every model in models/ and
// the layer-kind fixtures. Batch-norm statistics are random (see testWeights), inputs are NCHW for the exports and
// the same values transposed to NHWC for tfjs.

const modelsDir = new URL('../../models/', import.meta.url);
const sources: [string, string][] = [
  ...readdirSync(modelsDir)
    .filter((f) => f.endsWith('.net'))
    .sort()
    .map((f): [string, string] => [`models/${f}`, readFileSync(new URL(f, modelsDir), 'utf8')]),
  ...Object.entries(layerKindModels).map(([name, source]): [string, string] => [`layer kinds: ${name}`, source]),
];
const batch = 5;

interface Case {
  readonly model: CheckedModel;
  readonly weights: NamedArray[];
  readonly inputs: Float32Array;
  readonly dir: string;
  readonly expected: Float32Array;
}

const cases = new Map<string, Case>();
let torchOutputs = new Map<string, Float32Array>();
let python: TorchPython;

beforeAll(async () => {
  python = testPython();
  const root = scratchDir('equality');
  const jobs: WeightsJob[] = [];
  for (const [index, [name, source]] of sources.entries()) {
    const model = checked(name, source);
    const weights = testWeights(model);
    const inputs = testInputs(model, batch);
    const dir = join(root, String(index));
    // What `exportModel(..., 'pytorch')` writes (the CLI tests run it whole); the weights.pt of every model are
    // saved by one Python process below, since importing torch takes seconds.
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.py'), pytorchModelSource(model, { source: name, netcVersion: 'test' }));
    const state = toStateDict(model, weights);
    jobs.push({ dir, entries: state });
    writeFileSync(join(dir, 'model.onnx'), encodeOnnxModel(onnxModel(model, state, { source: name, netcVersion: 'test' })));
    cases.set(name, { model, weights, inputs, dir, expected: tfjsLogits(model, weights, inputs, batch) });
  }
  saveWeightsPt(python, jobs);
  const names = [...cases.keys()];
  const outputs = torchLogits(
    python,
    names.map((name) => {
      const c = cases.get(name)!;
      return { dir: c.dir, inputs: c.inputs, shape: [batch, ...c.model.input] };
    }),
  );
  torchOutputs = new Map(names.map((name, i) => [name, outputs[i]!]));
}, 300_000);

describe.each(sources.map(([name]) => name))('%s', (name) => {
  test('PyTorch logits equal netc\'s within 1e-4', () => {
    const c = cases.get(name)!;
    const got = torchOutputs.get(name)!;
    expect(got.length).toBe(c.expected.length);
    expect(maxDifference(got, c.expected)).toBeLessThan(1e-4);
  });

  test('ONNX logits (onnxruntime) equal netc\'s within 1e-4', async () => {
    const c = cases.get(name)!;
    const got = await onnxLogits(join(c.dir, 'model.onnx'), c.inputs, [batch, ...c.model.input]);
    expect(maxDifference(got, c.expected)).toBeLessThan(1e-4);
  });
});

test('the outputs are not trivially equal: the models differ from each other and from zero', () => {
  const lenet = cases.get('models/lenet-bn.net')!.expected;
  expect(Math.max(...lenet.map(Math.abs))).toBeGreaterThan(1e-3);
  const first = lenet.slice(0, 10);
  const second = lenet.slice(10, 20);
  expect(maxDifference(first, second)).toBeGreaterThan(1e-4);
});

test('model.onnx declares opset 17, IR 8, input `input` [N, C, H, W] and output `logits` [N, classes]', () => {
  const c = cases.get('models/lenet-bn.net')!;
  const proto = decodeOnnxModel(readFileSync(join(c.dir, 'model.onnx'))) as {
    ir_version: number;
    opset_import: { version: number }[];
    graph: { input: { name: string; type: { tensor_type: { shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[]; output: { name: string; type: { tensor_type: { shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[]; node: { op_type: string }[] };
  };
  expect(proto.ir_version).toBe(onnxIrVersion);
  expect(proto.opset_import.map((o) => o.version)).toEqual([onnxOpset]);
  const dims = (v: (typeof proto.graph.input)[number]): (string | number)[] => v.type.tensor_type.shape.dim.map((d) => d.dim_param ?? d.dim_value!);
  expect(proto.graph.input.map((v) => [v.name, dims(v)])).toEqual([['input', ['N', 1, 28, 28]]]);
  expect(proto.graph.output.map((v) => [v.name, dims(v)])).toEqual([['logits', ['N', 10]]]);
  // Batch norm in inference form, and the flatten reorders to netc's channels-last order first.
  const ops = proto.graph.node.map((n) => n.op_type);
  expect(ops.filter((op) => op === 'BatchNormalization')).toHaveLength(4);
  expect(ops.slice(ops.indexOf('Transpose'), ops.indexOf('Transpose') + 2)).toEqual(['Transpose', 'Flatten']);
});

test('the plain TensorFlow.js exports load in a process that never loaded netc and compute netc\'s logits', async () => {
  const root = scratchDir('plain-tfjs');
  const jobs: { name: string; dir: string; inputs: number[]; shape: number[] }[] = [];
  for (const [name, c] of cases) {
    const refused = c.model.layers.map(tfjsUnsupported).find((reason) => reason !== null);
    if (refused !== undefined) {
      // Only a padded maxpool has no plain form, and the fixtures have one.
      expect(refused).toMatch(/padded `maxpool`/);
      continue;
    }
    const dir = join(root, String(jobs.length));
    const { json, bin } = await plainTfjsModel(c.model, c.weights);
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.json'), json);
    writeFileSync(join(dir, 'weights.bin'), bin);
    const shape = c.model.input.length === 3 ? [batch, c.model.input[1]!, c.model.input[2]!, c.model.input[0]!] : [batch, ...c.model.input];
    jobs.push({ name, dir, inputs: Array.from(c.inputs), shape });
  }
  expect(jobs.length).toBeGreaterThanOrEqual(sources.length - 1);
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import { readFileSync } from 'node:fs';
    tf.env().set('PROD', true);
    const out = [];
    for (const job of JSON.parse(readFileSync(process.argv[1], 'utf8'))) {
      const json = JSON.parse(readFileSync(job.dir + '/model.json', 'utf8'));
      const bin = readFileSync(job.dir + '/weights.bin');
      const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer }));
      // The export takes NHWC: the test's NCHW values, transposed.
      let x = tf.tensor(job.inputs, [job.shape[0], job.shape[3], job.shape[1], job.shape[2]].filter((d) => d !== undefined));
      if (job.shape.length === 4) x = x.transpose([0, 2, 3, 1]);
      out.push(Array.from(model.predict(x).dataSync()));
    }
    process.stdout.write(JSON.stringify(out));`;
  writeFileSync(join(root, 'jobs.json'), JSON.stringify(jobs));
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, join(root, 'jobs.json')], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(child.stderr).toBe('');
  const outputs = JSON.parse(child.stdout) as number[][];
  jobs.forEach((job, i) => {
    expect(maxDifference(Float32Array.from(outputs[i]!), cases.get(job.name)!.expected), job.name).toBeLessThan(1e-4);
  });
}, 120_000);
