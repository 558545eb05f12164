// Every layer kind of the language, compiled from .net source, differentiated on wasm and cpu with netc's kernels
// and checked against tfjs's own cpu backend (kernels and gradient functions as shipped, a separate
// implementation), and for two models against float64 backpropagation written here.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerNetcKernels, unregisterNetcKernels } from '../../src/backend/kernels/index.js';
import type { CheckedModel } from '../../src/ir/model.js';
import { compileModel } from '../../src/compile/compile.js';
import { toChannelsLast } from '../../src/ir/layout.js';
import { analyze } from '../../src/frontend/index.js';
import { maxPoolGrad, randomArr, relativeError, valuesOf, type Arr, type ValueKind } from './reference.js';

/** A model of a few layers, its input shape as the language writes it, and what its input values look like. */
interface Case {
  readonly name: string;
  readonly input: string;
  readonly layers: string;
  readonly values?: ValueKind;
  /** Weights whose gradient is exactly zero in exact arithmetic: a bias in front of a batch norm (its mean removes it). */
  readonly zero?: readonly string[];
}

const cases: readonly Case[] = [
  { name: 'conv non-square kernel, stride 2, pad 1, relu, dense', input: '2x7x7', layers: 'conv 3 k3x2 s2 p1 | relu | flatten | dense 4' },
  { name: 'conv p=same bias=false, sigmoid, dense bias=false', input: '2x6x5', layers: 'conv 3 k3 p=same bias=false | sigmoid | flatten | dense 4 bias=false' },
  { name: 'conv k2x3 stride 3x2 pad 1, tanh', input: '1x8x9', layers: 'conv 2 k2x3 s3x2 p1 | tanh | flatten | dense 3' },
  { name: 'two convs (the second\'s input gradient flows)', input: '2x6x6', layers: 'conv 3 k3 | relu | conv 2 k2 s2 | flatten | dense 3' },
  { name: 'bn builtin on C x H x W', input: '2x5x5', layers: 'conv 3 k3 | bn | sigmoid | flatten | dense 3', zero: ['conv_1/bias'] },
  { name: 'bn scratch on C x H x W', input: '2x5x5', layers: 'conv 3 k3 | bn impl=scratch | sigmoid | flatten | dense 3', zero: ['conv_1/bias'] },
  { name: 'bn builtin on features', input: '6', layers: 'dense 5 | bn | relu | dense 3', zero: ['dense_1/bias'] },
  { name: 'bn scratch on features', input: '6', layers: 'dense 5 | bn impl=scratch | relu | dense 3', zero: ['dense_1/bias'] },
  { name: 'bn builtin on the images themselves', input: '2x4x4', layers: 'bn momentum=0.5 eps=0.001 | flatten | dense 3' },
  { name: 'bn scratch on the images themselves', input: '2x4x4', layers: 'bn impl=scratch | flatten | dense 3' },
  { name: 'avgpool 3 s2 p1', input: '2x7x7', layers: 'conv 3 k3 p1 | avgpool 3 s2 p1 | flatten | dense 3' },
  { name: 'avgpool 2 (LeNet\'s)', input: '1x8x8', layers: 'conv 2 k3 | sigmoid | avgpool 2 | flatten | dense 3' },
  { name: 'avgpool 2x3 s1x2 on the input', input: '3x6x7', layers: 'avgpool 2x3 s1x2 | flatten | dense 3' },
  { name: 'maxpool 3 s2 p1 on negative images', input: '3x7x7', layers: 'maxpool 3 s2 p1 | conv 2 k2 | flatten | dense 3', values: 'negative' },
  { name: 'maxpool 3 s1 (overlapping) on tied values', input: '2x6x6', layers: 'maxpool 3 s1 | flatten | dense 3', values: 'tied' },
  { name: 'maxpool 2x3 s1x2 p1 after a conv', input: '2x7x8', layers: 'conv 3 k3 p1 | maxpool 2x3 s1x2 p1 | tanh | flatten | dense 3' },
  { name: 'maxpool 2 after relu (ties at zero)', input: '2x6x6', layers: 'conv 4 k3 | relu | maxpool 2 | flatten | dense 3' },
  { name: 'maxpool 2 s3 (gaps between windows)', input: '2x8x8', layers: 'maxpool 2 s3 | flatten | dense 3', values: 'negative' },
  { name: 'softmax over channels, then over features', input: '3x4x4', layers: 'conv 4 k3 | softmax | flatten | dense 5 | softmax' },
  { name: 'dropout 0 in training mode', input: '8', layers: 'dense 6 | dropout 0 | tanh | dense 3' },
  { name: 'flatten first, dense, sigmoid', input: '1x4x4', layers: 'flatten | dense 5 | sigmoid | linear 3 bias=false' },
  { name: 'leakyrelu on a map and on features', input: '2x5x5', layers: 'conv 3 k3 | leakyrelu 0.2 | flatten | dense 4 | leakyrelu | dense 3' },
  { name: 'gelu on a map and on features', input: '2x5x5', layers: 'conv 3 k3 | gelu | flatten | dense 4 | gelu | dense 3' },
  { name: 'globalavgpool after a conv', input: '2x6x6', layers: 'conv 4 k3 | relu | globalavgpool | dense 3' },
  { name: 'globalmaxpool on tied values', input: '3x5x5', layers: 'conv 4 k2 | globalmaxpool | dense 3', values: 'tied' },
  { name: 'globalmaxpool on the input', input: '3x4x4', layers: 'globalmaxpool | dense 3', values: 'negative' },
  // Unlike before a bn, a bias before a layernorm keeps its gradient: the mean is over features, not the batch.
  { name: 'layernorm on features', input: '6', layers: 'dense 5 | layernorm | gelu | dense 3' },
  { name: 'layernorm on C x H x W', input: '2x5x5', layers: 'conv 3 k3 | layernorm eps=1e-3 | tanh | flatten | dense 3' },
  { name: 'layernorm on the images themselves', input: '2x4x4', layers: 'layernorm | flatten | dense 3' },
  {
    name: 'LeNet-BN in small',
    input: '1x12x12',
    layers: 'conv 3 k3 | bn | sigmoid | avgpool 2\nconv 4 k3 | bn impl=scratch | sigmoid | avgpool 2\nflatten\ndense 6 | bn | sigmoid\ndense 3',
    zero: ['conv_1/bias', 'conv_5/bias', 'dense_10/bias'],
  },
];

const batch = 3;

function compileSource(input: string, layers: string): CheckedModel {
  const checked = analyze(`input ${input}\n${layers}\n`, 'case.net');
  expect(checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return checked.model!;
}

/** The model with its trainable weights set from a seed (biases, gamma and beta too, so none is trivially 0 or 1). */
function build(checked: CheckedModel, seed: number): tf.LayersModel {
  const model = compileModel(checked, { seed: 1 });
  model.trainableWeights.forEach((w, i) => {
    w.write(tf.tensor(Float32Array.from(randomArr(w.shape as number[], seed + i).data), w.shape as number[]));
  });
  return model;
}

/** What one backend computed: the training-mode output, the gradients, then the inference-mode output. */
interface Computed {
  readonly output: Float32Array;
  /** Gradients of sum(output * r) for every trainable weight, then for the input. */
  readonly grads: Float32Array[];
  readonly names: string[];
  /** After the training pass moved the moving statistics once. */
  readonly inference: Float32Array;
}

function gradients(checked: CheckedModel, x: Arr, r: Arr): Computed {
  const model = build(checked, 50);
  const xv = tf.variable(tf.tensor(Float32Array.from(x.data), [...x.shape]));
  const variables = [...model.trainableWeights.map((w) => w.read() as tf.Variable), xv];
  let output: Float32Array = new Float32Array();
  const { grads } = tf.variableGrads(() => tf.tidy(() => {
    const y = model.apply(xv, { training: true }) as tf.Tensor;
    output = y.dataSync() as Float32Array;
    return tf.sum(tf.mul(y, tf.tensor(Float32Array.from(r.data), y.shape)));
  }) as tf.Scalar, variables);
  // Weight names carry a counter that differs between models: compare by the name the layer gave them.
  const names = [...model.trainableWeights.map((w) => w.originalName), 'input'];
  const arrays = variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
  const inference = tf.tidy(() => (model.apply(xv, { training: false }) as tf.Tensor).dataSync() as Float32Array);
  tf.dispose(Object.values(grads));
  xv.dispose();
  model.dispose();
  return { output, grads: arrays, names, inference };
}

async function use(backend: 'wasm' | 'cpu', netc: boolean): Promise<void> {
  await tf.setBackend(backend);
  await tf.ready();
  if (netc) registerNetcKernels(backend, { fast: true });
  else unregisterNetcKernels(backend);
}

describe('layer gradients: wasm and cpu with netc\'s kernels against tfjs\'s own cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(async () => {
    await use('cpu', true);
    await use('wasm', true);
  });

  test.each(cases)('$name: $layers', async ({ input, layers, values, zero = [] }) => {
    const checked = compileSource(input, layers);
    const x = valuesOf(values ?? 'random', randomArr([batch, ...toChannelsLast(checked.input)], 7));
    const outShape = [batch, ...toChannelsLast(checked.layers[checked.layers.length - 1]!.outputShape)];
    const r = randomArr(outShape, 8);
    // The reference: tfjs's cpu kernels and gradient functions as shipped (netc's off on both backends).
    await use('wasm', false);
    await use('cpu', false);
    const want = gradients(checked, x, r);
    await use('cpu', true);
    const cpu = gradients(checked, x, r);
    await use('wasm', true);
    const wasm = gradients(checked, x, r);
    const largest = (a: ArrayLike<number>): number => Math.max(...Array.from(a, Math.abs));
    // What float32 rounding leaves of a gradient that is zero in exact arithmetic, relative to the model's others.
    const noise = 1e-5 * Math.max(...want.grads.map(largest));
    for (const [backend, got] of [['cpu', cpu], ['wasm', wasm]] as const) {
      expect(got.names).toEqual(want.names);
      expect(relativeError(got.output, want.output), `${backend} output`).toBeLessThan(1e-5);
      expect(relativeError(got.inference, want.inference), `${backend} inference output`).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => {
        const name = `${backend}: d/d ${got.names[i]}`;
        if (zero.includes(got.names[i]!)) expect(largest(g), name).toBeLessThan(noise);
        else expect(relativeError(g, want.grads[i]!), name).toBeLessThan(1e-4);
      });
    }
    // Every other gradient is exercised: none is zero throughout, which would make its comparison empty.
    want.grads.forEach((g, i) => {
      if (zero.includes(want.names[i]!)) expect(largest(g), want.names[i]).toBeLessThan(noise);
      else expect(largest(g), want.names[i]).toBeGreaterThan(1e-4);
    });
  });
});

/** dense(x) = x W + b on rows of x [B, F]; a float64 matrix product. */
function matmul(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let k = 0; k < inner; k++) for (let j = 0; j < cols; j++) out[i * cols + j]! += a[i * inner + k]! * b[k * cols + j]!;
  return out;
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

describe.each(['wasm', 'cpu'] as const)('layer gradients on %s against float64 backpropagation', (backend) => {
  beforeAll(async () => {
    await use(backend, true);
  });

  test('dense 4 | tanh | dense 3 bias=false', () => {
    const checked = compileSource('5', 'dense 4 | tanh | dense 3 bias=false');
    const x = randomArr([batch, 5], 7);
    const r = randomArr([batch, 3], 8);
    const got = gradients(checked, x, r);
    // Weights as `build` sets them: kernel1 [5, 4], bias1 [4], kernel2 [4, 3], seeds 50, 51, 52.
    const w1 = randomArr([5, 4], 50).data;
    const b1 = randomArr([4], 51).data;
    const w2 = randomArr([4, 3], 52).data;
    const z = matmul(x.data, w1, batch, 5, 4).map((v, i) => v + b1[i % 4]!);
    const h = z.map(Math.tanh);
    const dh = matmul(r.data, transpose(w2, 4, 3), batch, 3, 4);
    const dz = dh.map((v, i) => v * (1 - h[i]! ** 2));
    const want = [
      matmul(transpose(x.data, batch, 5), dz, 5, batch, 4),
      Float64Array.from({ length: 4 }, (_, j) => [0, 1, 2].reduce((s, b) => s + dz[b * 4 + j]!, 0)),
      matmul(transpose(h, batch, 4), r.data, 4, batch, 3),
      matmul(dz, transpose(w1, 5, 4), batch, 4, 5),
    ];
    expect(got.names.length).toBe(4);
    want.forEach((w, i) => expect(relativeError(got.grads[i]!, w), got.names[i]).toBeLessThan(1e-5));
  });

  test('maxpool 3 s2 p1 | flatten | dense 3 bias=false on negative, tied images (the padded pool\'s whole path)', () => {
    const checked = compileSource('2x7x7', 'maxpool 3 s2 p1 | flatten | dense 3 bias=false');
    // Negative values on a coarse grid: every window's maximum is negative and most windows hold ties.
    const base = valuesOf('tied', randomArr([batch, 7, 7, 2], 9));
    const x: Arr = { shape: base.shape, data: base.data.map((v) => v - 1.5) };
    const r = randomArr([batch, 3], 10);
    const got = gradients(checked, x, r);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]];
    const features = 4 * 4 * 2;
    // The pooled map (channels-last, so flatten keeps this order), by PyTorch's padded max pool.
    const pooled = new Float64Array(batch * features);
    for (let b = 0; b < batch; b++) for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let c = 0; c < 2; c++) {
      let best = -Infinity;
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
        const row = i * 2 + p - 1;
        const col = j * 2 + q - 1;
        if (row >= 0 && row < 7 && col >= 0 && col < 7) best = Math.max(best, x.data[((b * 7 + row) * 7 + col) * 2 + c]!);
      }
      pooled[((b * 4 + i) * 4 + j) * 2 + c] = best;
    }
    const w = randomArr([features, 3], 50).data;
    const dPooled: Arr = { shape: [batch, 4, 4, 2], data: matmul(r.data, transpose(w, features, 3), batch, 3, features) };
    expect(relativeError(got.grads[0]!, matmul(transpose(pooled, batch, features), r.data, features, batch, 3))).toBeLessThan(1e-5);
    expect(relativeError(got.grads[1]!, maxPoolGrad(x, dPooled, 3, 3, [2, 2], pad).data)).toBeLessThan(1e-5);
  });
});
