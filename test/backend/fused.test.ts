import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import { FusedBatchNormActivation } from '../../src/compile/fused/FusedBatchNormActivation.js';
import { registerNetcKernels } from '../../src/backend/kernels/index.js';
import { analyze } from '../../src/frontend/index.js';
import { compileGraph, compileModel } from '../../src/compile/compile.js';
import { relativeError } from './reference.js';

// The compiler's fast path (`fuse`) against the layers it replaces: the same outputs, gradients and moving
// statistics, for every model in models/ and for each activation, with netc's fused kernels and without them.

const modelsDir = join(import.meta.dirname, '..', '..', 'models');
const tanhSource = 'model t\ninput 3x7x7\nconv 5 k3 s2 p1 | bn momentum=0.8 eps=1e-3 | tanh | maxpool 2\nflatten\ndense 6 | bn | tanh\ndense 4 | bn\ndense 3\n';

function checked(name: string, source: string) {
  const result = analyze(source, name);
  if (result.model === null) throw new Error(`${name} does not check`);
  return result.model;
}

// Dropout draws a fresh mask on every training call, so two compilations never agree with it: it is left out
// (it has nothing to do with batch norm).
const withoutDropout = (source: string): string => source.replace(/\|\s*dropout\s+[\d.]+/g, '');

const sources: { name: string; source: string }[] = [
  ...readdirSync(modelsDir).filter((f) => f.endsWith('.net')).map((f) => ({ name: f, source: withoutDropout(readFileSync(join(modelsDir, f), 'utf8')) })),
  { name: 'tanh, maxpool, padding, a bn with no activation', source: tanhSource },
];

/** Deterministic inputs in [0, 1) of the model's input shape, batch 5. */
function inputFor(model: tf.LayersModel): tf.Tensor {
  const shape = [5, ...(model.inputs[0]!.shape.slice(1) as number[])];
  const size = shape.reduce((p, d) => p * d, 1);
  let s = 7;
  return tf.tensor(Float32Array.from({ length: size }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)), shape);
}

/** One training-mode pass: the output, every trainable weight's gradient of sum(output * w), and the weights after. */
function trainPass(model: tf.LayersModel, x: tf.Tensor) {
  const { value, grads } = tf.variableGrads(() => {
    const y = model.apply(x, { training: true }) as tf.Tensor;
    return tf.sum(tf.mul(y, tf.linspace(-1, 1, y.size).reshape(y.shape))) as tf.Scalar;
  });
  const out = {
    loss: value.dataSync()[0]!,
    grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k.replace(/_\d+$/, ''), g.dataSync() as Float32Array])),
    weights: model.getWeights().map((w) => w.dataSync()),
    inference: (model.apply(x, { training: false }) as tf.Tensor).dataSync(),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

for (const backend of ['wasm', 'cpu'] as const) {
  for (const kernels of ['netc\'s fused kernels', 'tfjs ops (no fused kernel registered)'] as const) {
    describe(`fused batch norm on ${backend} with ${kernels}`, () => {
      beforeAll(async () => {
        await tf.setBackend(backend);
        await tf.ready();
        registerNetcKernels(backend, { fast: kernels === 'netc\'s fused kernels' });
      });

      test.each(sources.flatMap((s) => (['builtin', 'scratch'] as const).map((bn) => ({ ...s, bn }))))(
        '$name, bn $bn: same output, gradients, moving statistics and inference output as the unfused layers',
        ({ name, source, bn }) => {
          const model = checked(name, source);
          const x = inputFor(compileModel(model, { seed: 3 }));
          // Two passes each, so that the second runs on moved statistics and updated weights alike.
          const plain = compileModel(model, { seed: 3, bn });
          const fused = compileModel(model, { seed: 3, bn, fuse: true });
          for (let pass = 0; pass < 2; pass++) {
            const a = trainPass(plain, x);
            const b = trainPass(fused, x);
            expect(Math.abs(b.loss - a.loss) / Math.max(1, Math.abs(a.loss))).toBeLessThan(1e-5);
            expect(Object.keys(b.grads).sort()).toEqual(Object.keys(a.grads).sort());
            // Measured against the largest gradient of the model: a bias before a batch norm has a gradient that is
            // zero in exact arithmetic, so its own scale is rounding noise.
            const scale = Math.max(...Object.values(a.grads).map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
            for (const k of Object.keys(a.grads)) {
              const diff = a.grads[k]!.reduce((m, v, i) => Math.max(m, Math.abs(v - b.grads[k]![i]!)), 0);
              expect(diff / scale, k).toBeLessThan(1e-4);
            }
            a.weights.forEach((w, i) => expect(relativeError(b.weights[i]!, w), `weight ${i}`).toBeLessThan(1e-5));
            expect(relativeError(b.inference, a.inference)).toBeLessThan(1e-5);
            // Apply the same small step to both, so the next pass starts from moved weights.
            for (const m of [plain, fused]) {
              for (const w of m.trainableWeights) w.write(tf.mul(w.read(), 0.9));
            }
          }
          plain.dispose();
          fused.dispose();
          x.dispose();
        },
      );
    });
  }
}

describe('the fused layer in the compiled graph', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerNetcKernels('wasm', { fast: true });
  });

  test('each bn is one fused layer carrying the activation after it; the activation node keeps a kernel-free linear layer', () => {
    const model = checked('lenet-bn.net', readFileSync(join(modelsDir, 'lenet-bn.net'), 'utf8'));
    const { model: compiled, nodes } = compileGraph(model, { seed: 1, fuse: true });
    const fusedLayers = compiled.layers.filter((l): l is FusedBatchNormActivation => l instanceof FusedBatchNormActivation);
    expect(fusedLayers.map((l) => [l.name, l.activation])).toEqual([
      ['bn_2', 'sigmoid'], ['bn_6', 'sigmoid'], ['bn_11', 'sigmoid'], ['bn_14', 'sigmoid'],
    ]);
    expect(nodes.map((n) => n.output)).toEqual(compileGraph(model, { seed: 1 }).nodes.map((n) => n.output));
    expect(compiled.getLayer('sigmoid_3').getConfig()['activation']).toBe('linear');
    // The weights keep the batch-norm layer's names, so checkpoints and `netc inspect` read both alike.
    expect(fusedLayers[0]!.weights.map((w) => w.originalName)).toEqual(['bn_2/gamma', 'bn_2/beta', 'bn_2/moving_mean', 'bn_2/moving_variance']);
    compiled.dispose();
  });

  test('a bn whose output has another reader, or no activation after it, fuses with linear', () => {
    const model = checked('t', tanhSource);
    const compiled = compileModel(model, { seed: 1, fuse: true });
    const fusedLayers = compiled.layers.filter((l): l is FusedBatchNormActivation => l instanceof FusedBatchNormActivation);
    expect(fusedLayers.map((l) => l.activation)).toEqual(['tanh', 'tanh', 'linear']);
    compiled.dispose();
  });

  test('serialises and loads back to the same outputs', async () => {
    const model = checked('mlp-bn.net', readFileSync(join(modelsDir, 'mlp-bn.net'), 'utf8'));
    const compiled = compileModel(model, { seed: 2, fuse: true });
    const x = inputFor(compiled);
    compiled.apply(x, { training: true });
    let saved: tf.io.ModelArtifacts | undefined;
    await compiled.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    expect(JSON.stringify(saved!.modelTopology)).toContain('NetcFusedBatchNormActivation');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const want = (compiled.predict(x) as tf.Tensor).dataSync();
    expect(relativeError((loaded.predict(x) as tf.Tensor).dataSync(), want)).toBe(0);
  });
});
