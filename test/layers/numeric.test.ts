import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerNetcKernels, unregisterNetcKernels } from '../../src/backend/kernels/index.js';
import { compileModel } from '../../src/compile/compile.js';
import { checkSource } from '../check/harness.js';

// The compiled tfjs layers of leakyrelu, gelu, the global pools and layernorm against PyTorch's modules on the same
// inputs. The numbers below are the output of test/layers/pytorch_layers.py (PyTorch 1.13, float64), pasted:
//   /usr/bin/python3 test/layers/pytorch_layers.py
// Inputs and weights are multiples of 1/16, made here by the script's formulas, so both sides see the same values.
const pytorch = {
  leakyrelu: [-0.06, -0.055, -0.05, -0.045, -0.04, -0.035, -0.03, -0.025, -0.02, -0.015, -0.01, -0.005, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6],
  leakyrelu02: [-1.2, -1.1, -1, -0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.2, -0.1, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6],
  gelu: [-5.919525869e-09, -1.044425936e-07, -1.433257859e-06, -1.528952906e-05, -0.0001266849673, -0.0008142017766, -0.004049694095, -0.01552416331, -0.0455002639, -0.1002108019, -0.1586552539, -0.1542687694, 0, 0.3457312306, 0.8413447461, 1.399789198, 1.954499736, 2.484475837, 2.995950306, 3.499185798, 3.999873315, 4.49998471, 4.999998567, 5.499999896, 5.999999994],
  globalavgpool: [-0.3333333333, -0.05555555556, 0.2222222222, -0.3055555556],
  globalmaxpool: [3.25, 2.75, 3.5, 2.5],
  layernormFlat: [-1.354900665, 0.6062698122, -0.5741396463, 1.511884453, 0.4992176303, -0.9133903882, 1.093310233, -0.1515551495, -1.377494752, 1.020051385, -0.4784801802, -0.6971167567, 0.2320247611, 3.260121425, -0.2972316243, -0.2165405842, -0.07203264536, -0.5546682773, -0.0741762162, -0.7328514332],
  layernormFlatEps: [-1.354824821, 0.6062257004, -0.574075135, 1.511769902, 0.4991994974, -0.9133330254, 1.093244327, -0.1515577648, -1.377385431, 1.019958977, -0.4784796481, -0.6971145219, 0.2320250191, 3.260110773, -0.29722987, -0.2165402908, -0.07203181336, -0.5546671003, -0.0741755777, -0.7328498853],
  layernormImage: [-1.307710355, -0.8647458042, 0.7306556113, 1.397699395, -0.9810501198, -0.3591671423, 0.7093582029, 0.8495259161, -1.070925048, -0.1329164288, 1.251734559, -1.784407752, -0.4449175705, 0.6537149788, 0.823989896, -1.277104293, -0.308988469, 1.105769722, 0.7422225138, -1.119246715, 0.4862190023, 1.165941516, -1.159605618, -0.5245537052, 0.5597550049, 0.7183205119, -1.321831119, -0.3740850016, 1.022917913, -1.960348822, -0.608016508, 0.5060726025, 0.6944185099, -1.524415523, -0.5468890055, 0.8798943091],
};

/** 25 values from -6 to 6 in steps of 0.5 (the script's `ramp`). */
const ramp = Array.from({ length: 25 }, (_, i) => (i - 12) / 2);
/** Two 2 x 3 x 3 maps; value i in N, C, H, W order is ((37 i) mod 29 - 14) / 4 (the script's `image`). */
const image = Array.from({ length: 36 }, (_, i) => (((i * 37) % 29) - 14) / 4);
/** Two 10-feature vectors, ((11 i) mod 17 - 8) / 2, with 40 at the second one's feature 3 (the script's `flat`). */
const flat = Array.from({ length: 20 }, (_, i) => (i === 13 ? 40 : (((i * 11) % 17) - 8) / 2));

/** N, C, H, W order to netc's channels-last N, H, W, C. */
function toNhwc(values: readonly number[], [n, c, h, w]: readonly number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < n!; b++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) for (let k = 0; k < c!; k++) {
    out.push(values[((b * c! + k) * h! + y) * w! + x]!);
  }
  return out;
}

/** N, H, W, C order back to PyTorch's N, C, H, W. */
function toNchw(values: readonly number[], [n, c, h, w]: readonly number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < n!; b++) for (let k = 0; k < c!; k++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) {
    out.push(values[((b * h! + y) * w! + x) * c! + k]!);
  }
  return out;
}

/** The compiled model of `input SHAPE` then `layerSource`, with `setup` to write weights, applied to `values`. */
function run(shape: string, layerSource: string, values: readonly number[], setup?: (model: tf.LayersModel) => void): number[] {
  const model = compileModel(checkSource(`input ${shape}\n${layerSource}\n`).model!, { seed: 1 });
  setup?.(model);
  const dims = shape.split('x').map(Number);
  const batch = values.length / dims.reduce((a, b) => a * b, 1);
  const image = dims.length === 3;
  const x = tf.tensor(image ? toNhwc(values, [batch, ...dims]) : [...values], image ? [batch, dims[1]!, dims[2]!, dims[0]!] : [batch, ...dims]);
  const y = model.predict(x) as tf.Tensor;
  const out = Array.from(y.dataSync());
  const outImage = y.shape.length === 4;
  const result = outImage ? toNchw(out, [batch, y.shape[3]!, y.shape[1]!, y.shape[2]!]) : out;
  tf.dispose([x, y]);
  model.dispose();
  return result;
}

/** The largest absolute difference, after checking the lengths agree. */
function maxDiff(got: readonly number[], want: readonly number[]): number {
  expect(got).toHaveLength(want.length);
  return Math.max(...got.map((g, i) => Math.abs(g - want[i]!)));
}

/** Writes the script's gamma_j = 1 + ((13 j) mod 7 - 3) / 8 and beta_j = ((5 j) mod 11 - 5) / 16, j in PyTorch's order. */
function setAffine(model: tf.LayersModel, chw?: readonly [number, number, number]): void {
  const layer = model.layers.find((l) => l.getClassName() === 'LayerNormalization')!;
  const [gamma, beta] = layer.weights.map((w) => w.shape as number[]);
  const n = gamma!.reduce((a, b) => a * b, 1);
  const g = Array.from({ length: n }, (_, j) => 1 + (((j * 13) % 7) - 3) / 8);
  const b = Array.from({ length: n }, (_, j) => (((j * 5) % 11) - 5) / 16);
  // On a map tfjs holds gamma as H x W x C: the same values as PyTorch's C x H x W, in another order.
  const order = (v: number[]): number[] => (chw === undefined ? v : toNhwc(v, [1, ...chw]));
  const values = [tf.tensor(order(g), gamma!), tf.tensor(order(b), beta!)];
  layer.setWeights(values);
  tf.dispose(values);
}

const tolerance = 1e-5;

/** The largest difference from PyTorch per case and backend, printed at the end for the record. */
const measured: string[] = [];
function within(name: string, got: readonly number[], want: readonly number[]): void {
  const diff = maxDiff(got, want);
  measured.push(`${tf.getBackend()} ${name}: ${diff.toExponential(2)}`);
  expect(diff, name).toBeLessThan(tolerance);
}

afterAll(() => {
  console.log(`largest |netc - PyTorch|:\n  ${measured.join('\n  ')}`);
});

// cpu as tfjs ships it, and wasm with netc's kernels and gradient functions, as `netc train` runs.
describe.each(['cpu', 'wasm'] as const)('compiled layers on %s compute what PyTorch computes (within 1e-5)', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
    if (backend === 'wasm') registerNetcKernels('wasm', { fast: true });
  });
  afterAll(async () => {
    if (backend === 'wasm') unregisterNetcKernels('wasm');
    await tf.setBackend('cpu');
  });

  test.each([
    ['leakyrelu', 'leakyrelu', pytorch.leakyrelu],
    ['leakyrelu 0.2', 'leakyrelu 0.2', pytorch.leakyrelu02],
    ['leakyrelu alpha=0.2', 'leakyrelu alpha=0.2', pytorch.leakyrelu02],
    ['gelu (exact, erf)', 'gelu', pytorch.gelu],
  ])('%s on -6..6', (name, layer, want) => {
    within(name, run('25', layer, ramp), want);
  });

  test('gelu is the erf form, not the tanh approximation (which differs from it by more than the tolerance)', () => {
    const tanhForm = ramp.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
    expect(maxDiff(run('25', 'gelu', ramp), tanhForm)).toBeGreaterThan(1e-4);
  });

  test('elementwise kinds keep a C x H x W map in place', () => {
    const got = run('2x3x3', 'gelu', image);
    const want = image.map((x) => run('1', 'gelu', [x])[0]!);
    expect(maxDiff(got, want)).toBe(0);
  });

  test.each([
    ['globalavgpool', pytorch.globalavgpool],
    ['globalmaxpool', pytorch.globalmaxpool],
  ])('%s: one value per channel of each 3 x 3 map', (layer, want) => {
    within(layer, run('2x3x3', layer, image), want);
  });

  test('layernorm on F: nn.LayerNorm(10), gamma and beta per feature', () => {
    within('layernorm on 10', run('10', 'layernorm', flat, (m) => setAffine(m)), pytorch.layernormFlat);
  });

  test('layernorm eps=1e-3: nn.LayerNorm(10, eps=1e-3)', () => {
    within('layernorm eps=1e-3 on 10', run('10', 'layernorm eps=1e-3', flat, (m) => setAffine(m)), pytorch.layernormFlatEps);
  });

  test('eps reaches the layer: 1e-3 and 1e-5 give outputs further apart than the tolerance', () => {
    expect(maxDiff(pytorch.layernormFlat, pytorch.layernormFlatEps)).toBeGreaterThan(1e-4);
  });

  test('layernorm on C x H x W: nn.LayerNorm([2, 3, 3]), statistics over each whole sample, gamma and beta per value', () => {
    within('layernorm on 2x3x3', run('2x3x3', 'layernorm', image, (m) => setAffine(m, [2, 3, 3])), pytorch.layernormImage);
  });

  test('layernorm is the same in training and inference (it keeps no statistics)', () => {
    const model = compileModel(checkSource('input 2x3x3\nlayernorm\n').model!, { seed: 1 });
    const x = tf.tensor(toNhwc(image, [2, 2, 3, 3]), [2, 3, 3, 2]);
    const train = model.apply(x, { training: true }) as tf.Tensor;
    const infer = model.apply(x, { training: false }) as tf.Tensor;
    expect(Array.from(train.dataSync())).toEqual(Array.from(infer.dataSync()));
    expect(model.nonTrainableWeights).toEqual([]);
    tf.dispose([x, train, infer]);
    model.dispose();
  });
});
