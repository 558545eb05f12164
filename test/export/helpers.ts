/** Shared by the export tests: checked models, weights with non-trivial statistics, logits from tfjs, PyTorch and ONNX. */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CheckedModel } from '../../src/ir/model.js';
import { analyze } from '../../src/frontend/analyze.js';
import { compileModel } from '../../src/compile/compile.js';
import { toChannelsLast } from '../../src/ir/layout.js';
import { initialWeights } from '../../src/export/netcWeights.js';
import { findTorchPython, systemPythons, type TorchPython } from '../../src/export/python.js';
import type { NamedArray } from '../../src/export/stateDict.js';
import { seededRandom } from '../data/fixtures.js';

tf.env().set('PROD', true);

/** The python3 with torch the tests use (Debian's python3-torch; CI installs it). */
export function testPython(): TorchPython {
  found ??= findTorchPython({ path: process.env['PATH'], fallbacks: systemPythons });
  return found;
}

let found: TorchPython | undefined;

/** A scratch directory for one test file. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `netc-${prefix}-`));
}

/** The checked model of `source`; the test fails on any error. */
export function checked(name: string, source: string): CheckedModel {
  const file = analyze(source, name);
  expect(file.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return file.model!;
}

/**
 * netc's initial weights for seed 1, with batch-norm gamma, beta and moving statistics replaced by seeded random
 * values (fresh ones are 1, 0, 0, 1, which would hide a mix-up between them).
 */
export function testWeights(model: CheckedModel, seed = 7): NamedArray[] {
  const random = seededRandom(seed);
  return initialWeights(model, 1, null).map((w) => {
    if (!/\/(gamma|beta|moving_mean|moving_variance)$/.test(w.name)) return w;
    const positive = /gamma|variance/.test(w.name);
    return { ...w, values: w.values.map(() => (positive ? 0.5 + random() : random() - 0.5)) };
  });
}

/** `count` inputs in the .net file's layout (NCHW or flat), uniform in [0, 1). */
export function testInputs(model: CheckedModel, count: number, seed = 3): Float32Array {
  const random = seededRandom(seed);
  return new Float32Array(count * model.input.reduce((a, b) => a * b, 1)).map(() => random());
}

/** netc's own (tfjs) outputs in inference mode for NCHW (or flat) inputs. */
export function tfjsLogits(model: CheckedModel, weights: readonly NamedArray[], inputs: Float32Array, count: number): Float32Array {
  const compiled = compileModel(model, {});
  try {
    const byName = new Map(weights.map((w) => [w.name, w]));
    compiled.setWeights(compiled.weights.map((w) => tf.tensor(byName.get(w.originalName)!.values, [...byName.get(w.originalName)!.shape])));
    return tf.tidy(() => {
      let x = tf.tensor(inputs, [count, ...model.input]);
      if (model.input.length === 3) x = tf.transpose(x, [0, 2, 3, 1]);
      expect(x.shape.slice(1)).toEqual(toChannelsLast(model.input));
      return (compiled.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
  } finally {
    compiled.dispose();
  }
}

const torchForward = String.raw`
import importlib.util, json, sys
import numpy as np
import torch
jobs = json.load(open(sys.argv[1]))
for i, job in enumerate(jobs):
    spec = importlib.util.spec_from_file_location('exported_%d' % i, job['dir'] + '/model.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.Net()
    net.load_state_dict(torch.load(job['dir'] + '/weights.pt'))
    net.eval()
    x = torch.from_numpy(np.fromfile(job['input'], dtype=np.float32).reshape(job['shape']))
    with torch.no_grad():
        net(x).numpy().astype(np.float32).tofile(job['output'])
`;

/** One PyTorch forward pass per export directory (Net() + weights.pt, eval mode), all in one Python process. */
export function torchLogits(python: TorchPython, jobs: readonly { dir: string; inputs: Float32Array; shape: readonly number[] }[]): Float32Array[] {
  const work = scratchDir('torch-forward');
  const spec = jobs.map((job, i) => {
    const input = join(work, `input-${i}.bin`);
    writeFileSync(input, new Uint8Array(job.inputs.buffer, job.inputs.byteOffset, job.inputs.byteLength));
    return { dir: job.dir, input, output: join(work, `output-${i}.bin`), shape: job.shape };
  });
  writeFileSync(join(work, 'jobs.json'), JSON.stringify(spec));
  const result = spawnSync(python.path, ['-c', torchForward, join(work, 'jobs.json')], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return spec.map((s) => {
    const bytes = readFileSync(s.output);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  });
}

/** onnxruntime-node's outputs for `model.onnx` (input `input`, output `logits`). */
export async function onnxLogits(file: string, inputs: Float32Array, shape: readonly number[]): Promise<Float32Array> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(readFileSync(file));
  try {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logits']);
    const result = await session.run({ input: new ort.Tensor('float32', inputs, [...shape]) });
    return result['logits']!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The largest absolute difference of two equally long arrays. */
export function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]! - b[i]!));
  return most;
}
