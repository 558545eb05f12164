import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { check } from '../../src/check/check.js';
import type { CheckedLayer, CheckedModel } from '../../src/check/model.js';
import {
  compileGraph,
  compileModel,
  fromChannelsLast,
  netcMetadata,
  toChannelsLast,
  type CompiledGraph,
} from '../../src/compile/compile.js';
import { ScratchBatchNorm } from '../../src/compile/ScratchBatchNorm.js';
import { parse } from '../../src/syntax/parse.js';

tf.env().set('PROD', true);

const modelsDir = new URL('../../models/', import.meta.url);
const modelFiles = readdirSync(modelsDir).filter((f) => f.endsWith('.net')).sort();

function checkedModel(file: string): CheckedModel {
  const parsed = parse(readFileSync(new URL(file, modelsDir), 'utf8'));
  const checked = check(parsed.ast, { fileName: file });
  const errors = [...parsed.diagnostics, ...checked.diagnostics].filter((d) => d.severity === 'error');
  expect(errors).toEqual([]);
  return checked.model!;
}

/** A reproducible batch in the model's channels-last input layout. */
function batch(model: CheckedModel, size: number, seed: number): tf.Tensor {
  return tf.randomUniform([size, ...toChannelsLast(model.input)], 0, 1, 'float32', seed);
}

function countWeights(graph: CompiledGraph, names: readonly string[], trainable: boolean): number {
  return names
    .map((name) => graph.model.getLayer(name))
    .flatMap((layer) => (trainable ? layer.trainableWeights : layer.nonTrainableWeights))
    .reduce((sum, weight) => sum + weight.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
}

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

test('the models directory holds the four starting models', () => {
  expect(modelFiles).toEqual(['lenet-bn-scratch.net', 'lenet-bn.net', 'lenet.net', 'mlp-bn.net']);
});

describe.each(modelFiles)('compiling models/%s', (file) => {
  const model = checkedModel(file);
  const graph = compileGraph(model, { seed: 3 });

  test('every node has the checked output shape (C x H x W back from channels-last) and parameter counts', () => {
    expect(graph.nodes.map((n) => n.index)).toEqual(model.layers.map((l) => l.index));
    for (const node of graph.nodes) {
      const layer = model.layers[node.index]!;
      const shape = graph.model.getLayer(node.output).outputShape as (number | null)[];
      expect(shape[0], node.output).toBeNull();
      expect(fromChannelsLast(shape.slice(1) as number[]), node.output).toEqual([...layer.outputShape]);
      expect(countWeights(graph, node.layers, true), node.output).toBe(layer.params.trainable);
      expect(countWeights(graph, node.layers, false), node.output).toBe(layer.params.nonTrainable);
    }
    expect(graph.model.countParams()).toBe(model.totals.trainable + model.totals.nonTrainable);
  });

  test('a forward pass maps a batch to [N, classes] in both modes', () => {
    const x = batch(model, 5, 1);
    const predicted = graph.model.predict(x) as tf.Tensor;
    const trained = graph.model.apply(x, { training: true }) as tf.Tensor;
    const classes = model.layers[model.layers.length - 1]!.outputShape[0];
    expect(predicted.shape).toEqual([5, classes]);
    expect(trained.shape).toEqual([5, classes]);
    expect(Array.from(predicted.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, predicted, trained]);
  });

  test('layer names follow the summary rows and the node map travels in the metadata', () => {
    const metadata = netcMetadata(graph.model);
    expect(metadata?.model).toBe(model.name);
    expect(metadata?.input).toEqual([...model.input]);
    expect(metadata?.nodes).toEqual(graph.nodes);
    graph.nodes.forEach((node, i) => expect(node.output).toBe(`${model.layers[i]!.op}_${i + 1}`));
  });
});

describe('batch-norm implementations', () => {
  const lenetBn = checkedModel('lenet-bn.net');

  function bnLayers(model: tf.LayersModel): tf.layers.Layer[] {
    return model.layers.filter((l) => l.name.startsWith('bn_'));
  }

  test('the file chooses, --bn overrides every bn', () => {
    const scratchFile = checkedModel('lenet-bn-scratch.net');
    expect(bnLayers(compileModel(lenetBn)).every((l) => l.getClassName() === 'BatchNormalization')).toBe(true);
    expect(bnLayers(compileModel(scratchFile)).every((l) => l instanceof ScratchBatchNorm)).toBe(true);
    expect(bnLayers(compileModel(lenetBn, { bn: 'scratch' })).every((l) => l instanceof ScratchBatchNorm)).toBe(true);
    const builtin = bnLayers(compileModel(scratchFile, { bn: 'builtin' }));
    expect(builtin.map((l) => l.getClassName())).toEqual(Array(4).fill('BatchNormalization'));
  });

  test('each bn gets the file momentum and eps', () => {
    const source = 'input 8\ndense 4 | bn momentum=0.8 eps=0.001 impl=scratch\ndense 4 | bn momentum=0.7 eps=0.01\n';
    const parsed = parse(source);
    const model = check(parsed.ast, { fileName: 'bn' }).model!;
    const [scratch, builtin] = bnLayers(compileModel(model));
    expect(scratch!.getConfig()).toMatchObject({ momentum: 0.8, epsilon: 0.001 });
    expect(builtin!.getConfig()).toMatchObject({ momentum: 0.7, epsilon: 0.01, axis: -1 });
  });

  test('builtin and scratch LeNet-BN with one seed agree in training mode, inference mode, and after a step', () => {
    const models = (['builtin', 'scratch'] as const).map((bn) => compileModel(lenetBn, { bn, seed: 7 }));
    const [builtin, scratch] = models as [tf.LayersModel, tf.LayersModel];
    builtin.getWeights().forEach((w, i) => expect(maxDifference(w, scratch.getWeights()[i]!)).toBe(0));
    const x = batch(lenetBn, 16, 2);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);

    const outputs = (training: boolean): tf.Tensor[] => models.map((m) => m.apply(x, { training }) as tf.Tensor);
    const [trainB, trainS] = outputs(true);
    expect(maxDifference(trainB!, trainS!)).toBeLessThan(1e-5);
    const [inferB, inferS] = outputs(false);
    expect(maxDifference(inferB!, inferS!)).toBeLessThan(1e-5);

    for (const model of models) {
      tf.train.sgd(1.0).minimize(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      });
    }
    // The step changed the weights and moving statistics, identically in both.
    builtin.getWeights().forEach((w, i) => expect(maxDifference(w, scratch.getWeights()[i]!)).toBeLessThan(1e-5));
    const [afterB, afterS] = outputs(false);
    expect(maxDifference(afterB!, inferB!)).toBeGreaterThan(1e-3);
    expect(maxDifference(afterB!, afterS!)).toBeLessThan(1e-5);
  });
});

describe('initial weights', () => {
  const model = checkedModel('lenet.net');
  const weights = (m: tf.LayersModel): Float32Array[] => m.getWeights().map((w) => w.dataSync() as Float32Array);

  test('a seed fixes them, different seeds and no seed vary them', () => {
    const [a, b, c] = [compileModel(model, { seed: 5 }), compileModel(model, { seed: 5 }), compileModel(model, { seed: 6 })];
    expect(weights(a)).toEqual(weights(b));
    expect(weights(a)[0]).not.toEqual(weights(c)[0]);
    expect(weights(compileModel(model))[0]).not.toEqual(weights(compileModel(model))[0]);
  });

  test('kernels are Glorot uniform, distinct per layer; biases are zero', () => {
    const graph = compileGraph(model, { seed: 5 });
    const conv = graph.model.getLayer('conv_4').getWeights();
    // conv 16 k5 on 6 channels: fan in 6*25, fan out 16*25.
    const limit = Math.sqrt(6 / (6 * 25 + 16 * 25));
    const kernel = Array.from(conv[0]!.dataSync());
    expect(Math.max(...kernel.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...kernel.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    expect(Array.from(conv[1]!.dataSync()).every((v) => v === 0)).toBe(true);
    const dense1 = graph.model.getLayer('dense_10').getWeights()[0]!.dataSync();
    const dense2 = graph.model.getLayer('dense_12').getWeights()[0]!.dataSync();
    expect(dense1.slice(0, 10)).not.toEqual(dense2.slice(0, 10));
  });

  test('the input is channels-last and explicit padding is its own layer', () => {
    const graph = compileGraph(model);
    expect(graph.model.inputs[0]!.shape).toEqual([null, 28, 28, 1]);
    expect(graph.nodes[0]).toEqual({ index: 0, op: 'conv', layers: ['conv_1_pad', 'conv_1'], output: 'conv_1' });
  });
});

describe('graphs, not only stacks', () => {
  // input 4 -> dense 4 (node 0) -> relu (node 1) -> relu of node 0 + node 1 (node 2): a residual join.
  const span = { offset: 0, end: 1, line: 1, column: 1, endLine: 1, endColumn: 2 };
  const node = (index: number, op: string, inputs: number[], args: CheckedLayer['args'], trainable = 0): CheckedLayer => ({
    index,
    op,
    variant: null,
    args,
    span,
    inputs,
    inputShape: [4],
    outputShape: [4],
    params: { trainable, nonTrainable: 0 },
  });
  const residual: CheckedModel = {
    name: 'residual',
    input: [4],
    inputSpan: span,
    train: {},
    trainSpans: {},
    layers: [node(0, 'dense', [-1], { out: 4, bias: true }, 20), node(1, 'relu', [0], {}), node(2, 'relu', [0, 1], {})],
    totals: { trainable: 20, nonTrainable: 0 },
  };

  test('a node with two inputs adds them before its own layers', () => {
    const graph = compileGraph(residual, { seed: 1 });
    expect(graph.nodes[2]!.layers).toEqual(['relu_3_add', 'relu_3']);
    const x = tf.tensor2d([[1, -2, 3, -4], [0.5, 0.25, -1, 2]]);
    const d = graph.model.getLayer('dense_1').apply(x) as tf.Tensor;
    const expected = tf.relu(tf.add(d, tf.relu(d)));
    expect(maxDifference(graph.model.predict(x) as tf.Tensor, expected)).toBeLessThan(1e-6);
  });
});
