import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { CheckedLayer, CheckedModel } from '../../src/ir/model.js';
import {
  compileGraph,
  compileModel,
  netcMetadata,
  type CompiledGraph,
} from '../../src/compile/compile.js';
import { fromChannelsLast, toChannelsLast } from '../../src/ir/layout.js';
import { ScratchBatchNorm } from '../../src/compile/ScratchBatchNorm.js';
import { analyze } from '../../src/frontend/index.js';

tf.env().set('PROD', true);

const modelsDir = new URL('../../models/', import.meta.url);
const modelFiles = readdirSync(modelsDir).filter((f) => f.endsWith('.net')).sort();

function checkedModel(file: string): CheckedModel {
  const checked = analyze(readFileSync(new URL(file, modelsDir), 'utf8'), file);
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
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

test('the models directory holds the four starting models, the three of language v2, LeNet-BN with its contract and the CIFAR-10 one', () => {
  expect(modelFiles).toEqual([
    'cifar-resnet.net',
    'lenet-bn-blocks.net',
    'lenet-bn-contract.net',
    'lenet-bn-scratch.net',
    'lenet-bn.net',
    'lenet.net',
    'mlp-bn.net',
    'resnet-mini.net',
    'vgg-mini.net',
  ]);
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
    const model = analyze(source, 'bn').model!;
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

  test('the input is channels-last; padding that keeps the size (k5 p2, stride 1) is the convolution\'s own `same`', () => {
    const graph = compileGraph(model);
    expect(graph.model.inputs[0]!.shape).toEqual([null, 28, 28, 1]);
    expect(graph.nodes[0]).toEqual({ index: 0, op: 'conv', layers: ['conv_1'], output: 'conv_1' });
    expect(graph.model.getLayer('conv_1').getConfig()).toMatchObject({ padding: 'same' });
  });

  test('other explicit padding (stride 2, or not half the window) is its own zero-padding layer', () => {
    const strided = compileGraph(analyze('input 1x28x28\nconv 4 k3 s2 p1\nflatten\ndense 10\n', 's').model!);
    expect(strided.nodes[0]).toEqual({ index: 0, op: 'conv', layers: ['conv_1_pad', 'conv_1'], output: 'conv_1' });
    const wide = compileGraph(analyze('input 1x28x28\nconv 4 k3 p2\nflatten\ndense 10\n', 'w').model!);
    expect(wide.nodes[0]).toEqual({ index: 0, op: 'conv', layers: ['conv_1_pad', 'conv_1'], output: 'conv_1' });
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
    macs: op === 'dense' ? 16 : 0,
  });
  const residual: CheckedModel = {
    name: 'residual',
    input: [4],
    inputSpan: span,
    train: {},
    trainSpans: {},
    layers: [node(0, 'dense', [-1], { out: 4, bias: true }, 20), node(1, 'relu', [0], {}), node(2, 'relu', [0, 1], {})],
    totals: { trainable: 20, nonTrainable: 0 },
    cost: { macs: 16, flops: 32, activations: 12 },
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

describe('language v2: residual joins and projections', () => {
  /** Checks and compiles a source that must be free of errors. */
  function compileSource(source: string, seed = 1): { model: CheckedModel; graph: CompiledGraph } {
    const checked = analyze(source, 'residual');
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return { model: checked.model!, graph: compileGraph(checked.model!, { seed }) };
  }

  /** The tfjs layers a compiled layer reads from. */
  const inbound = (graph: CompiledGraph, name: string): string[] =>
    graph.model.getLayer(name).inboundNodes[0]!.inboundLayers.map((l) => l.name);

  test('each add node is one tfjs Add layer reading its skip source and its body output', () => {
    const model = checkedModel('resnet-mini.net');
    const graph = compileGraph(model, { seed: 2 });
    const outputOf = (id: number): string => (id < 0 ? 'input' : graph.nodes[id]!.output);
    const adds = model.layers.filter((l) => l.op === 'add');
    expect(adds).toHaveLength(4);
    for (const add of adds) {
      const node = graph.nodes[add.index]!;
      expect(node.layers).toEqual([`add_${add.index + 1}`]);
      expect(graph.model.getLayer(node.output).getClassName()).toBe('Add');
      expect(inbound(graph, node.output)).toEqual(add.inputs.map(outputOf));
    }
    // The projections are 1x1 convolutions with stride 2 and no bias, reading the block's input.
    const projections = model.layers.filter((l) => l.variant === 'projection');
    for (const projection of projections) {
      const config = graph.model.getLayer(graph.nodes[projection.index]!.output).getConfig();
      expect(config).toMatchObject({ kernelSize: [1, 1], strides: [2, 2], useBias: false, padding: 'valid' });
      expect(inbound(graph, graph.nodes[projection.index]!.output)).toEqual([outputOf(projection.inputs[0]!)]);
    }
  });

  test('the forward pass is x + f(x): the add layer outputs the sum of the skip and the body', () => {
    const { graph } = compileSource('input 2x5x5\nresidual proj { conv 3 k3 s2 p1 | relu } | flatten | dense 10\n');
    const x = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 4);
    const probe = tf.model({
      inputs: graph.model.inputs,
      outputs: ['relu_2', 'conv_3', 'add_4'].map((name) => graph.model.getLayer(name).output as tf.SymbolicTensor),
    });
    const [body, skip, sum] = probe.predict(x) as tf.Tensor[];
    expect(sum!.shape).toEqual([2, 3, 3, 3]);
    expect(maxDifference(sum!, tf.add(body!, skip!))).toBeLessThan(1e-6);
    // The projection computes a strided 1x1 convolution of the input with its own kernel.
    const kernel = graph.model.getLayer('conv_3').getWeights()[0]!;
    expect(maxDifference(skip!, tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 2, 'valid'))).toBeLessThan(1e-6);
  });

  /** d(sum of outputs)/d(input) of a compiled model, in training mode. */
  function inputGradient(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
    return tf.grad((input: tf.Tensor) => tf.sum(model.apply(input, { training: true }) as tf.Tensor))(x);
  }

  /** Sets a layer's weights to zeros of the same shapes. */
  function zero(model: tf.LayersModel, name: string): void {
    const layer = model.getLayer(name);
    layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
  }

  test('the gradient flows through both paths: 1 + W on an identity skip', () => {
    // y = x + (W x + b); d(sum y)/dx_i = 1 + sum_j W[i][j] (tfjs dense kernels are [in, out]).
    const { graph } = compileSource('input 4\nresidual { dense 4 }\n', 3);
    const x = tf.tensor2d([[0.5, -1, 2, 0.25]]);
    const kernel = graph.model.getLayer('dense_1').getWeights()[0]!;
    const expected = tf.add(1, tf.sum(kernel, 1)).reshape([1, 4]);
    expect(maxDifference(inputGradient(graph.model, x), expected)).toBeLessThan(1e-6);
    // The body's weights are not all zero, so its path did contribute.
    expect(maxDifference(expected, tf.onesLike(expected))).toBeGreaterThan(1e-3);
    // With the body's weights zeroed only the skip path is left: the identity's gradient, exactly ones.
    zero(graph.model, 'dense_1');
    expect(maxDifference(inputGradient(graph.model, x), tf.ones([1, 4]))).toBe(0);
  });

  test('with proj, the input gradient is the sum of the body\'s and the projection\'s contributions', () => {
    const { graph } = compileSource('input 2x6x6\nresidual proj { conv 4 k3 s2 p1 | bn } | flatten | dense 10\n', 5);
    const x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 6);
    const both = inputGradient(graph.model, x);
    const weights = graph.model.getWeights().map((w) => w.clone());
    zero(graph.model, 'conv_1');
    const projectionOnly = inputGradient(graph.model, x);
    graph.model.setWeights(weights);
    zero(graph.model, 'conv_3');
    const bodyOnly = inputGradient(graph.model, x);
    graph.model.setWeights(weights);
    // Each path alone contributes something, and together exactly their sum: the join adds gradients.
    expect(tf.max(tf.abs(projectionOnly)).dataSync()[0]).toBeGreaterThan(1e-4);
    expect(tf.max(tf.abs(bodyOnly)).dataSync()[0]).toBeGreaterThan(1e-4);
    expect(maxDifference(both, tf.add(projectionOnly, bodyOnly))).toBeLessThan(1e-5);
  });

  test('a residual model trains: one SGD step lowers the loss and moves the weights of both paths', () => {
    const { graph } = compileSource('input 1x8x8\nconv 4 k3 p1 | residual proj { conv 8 k3 s2 p1 | bn | relu } | flatten | dense 10\n', 8);
    const x = tf.randomNormal([16, 8, 8, 1], 0, 1, 'float32', 9);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);
    const loss = () => tf.losses.softmaxCrossEntropy(labels, graph.model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const before = ['conv_2', 'conv_5'].map((name) => graph.model.getLayer(name).getWeights()[0]!.clone());
    const first = loss().dataSync()[0]!;
    for (let i = 0; i < 5; i++) tf.train.sgd(0.1).minimize(loss);
    expect(loss().dataSync()[0]!).toBeLessThan(first);
    ['conv_2', 'conv_5'].forEach((name, i) => {
      expect(maxDifference(graph.model.getLayer(name).getWeights()[0]!, before[i]!)).toBeGreaterThan(1e-6);
    });
  });
});

describe('lenet-bn-blocks compiles to lenet-bn', () => {
  test('with one seed: the same layers, the same initial weights, the same outputs in both modes', () => {
    const [plain, blocks] = ['lenet-bn.net', 'lenet-bn-blocks.net'].map((file) => compileGraph(checkedModel(file), { seed: 11 }));
    expect(blocks!.nodes).toEqual(plain!.nodes);
    expect(blocks!.model.layers.map((l) => [l.name, l.getClassName()])).toEqual(plain!.model.layers.map((l) => [l.name, l.getClassName()]));
    // getWeights() hands out the variables themselves, which training changes: keep copies.
    const [a, b] = [plain!.model.getWeights(), blocks!.model.getWeights()].map((ws) => ws.map((w) => w.clone()));
    expect(b!.length).toBe(a!.length);
    a!.forEach((w, i) => expect(maxDifference(w, b![i]!)).toBe(0));
    const x = batch(checkedModel('lenet-bn.net'), 8, 12);
    for (const training of [false, true]) {
      const [ya, yb] = [plain!, blocks!].map((g) => g.model.apply(x, { training }) as tf.Tensor);
      expect(maxDifference(ya!, yb!)).toBe(0);
    }
    // Training steps on the same batch keep them equal: the same weights, moving statistics and outputs after.
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    for (const graph of [plain!, blocks!]) {
      for (let step = 0; step < 2; step++) {
        tf.train.sgd(1.0).minimize(() => tf.losses.softmaxCrossEntropy(labels, graph.model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      }
    }
    const [after, afterBlocks] = [plain!.model.getWeights(), blocks!.model.getWeights()];
    after.forEach((w, i) => expect(maxDifference(w, afterBlocks[i]!)).toBe(0));
    expect(maxDifference(after[0]!, a![0]!)).toBeGreaterThan(1e-4);
  });
});

describe('flatten of a flat input (issue 17): a no-op, as the checker says', () => {
  function checkedSource(source: string): CheckedModel {
    const checked = analyze(source, 'flat.net');
    expect(checked.diagnostics.map((d) => d.code)).toContain('NN3106');
    expect(checked.model).not.toBeNull();
    return checked.model!;
  }

  test.each([
    ['input 1x28x28\nflatten\ndense 16 | flatten\ndense 10\n'],
    ['input 784\nflatten | dense 10\n'],
    ['input 1x28x28\nflatten\ndense 256 | bn | relu | flatten\ndense 10\n'],
  ])('%j compiles, keeps one tfjs layer per node and passes its input through unchanged', (source) => {
    const model = checkedSource(source);
    const graph = compileGraph(model, { seed: 1 });
    const x = batch(model, 3, 7);
    for (const layer of model.layers.filter((l) => l.op === 'flatten' && l.inputShape.length === 1)) {
      const node = graph.nodes[layer.index]!;
      expect(node.layers).toHaveLength(1);
      const before = layer.inputs[0]!;
      const inputName = before === -1 ? 'input' : graph.nodes[before]!.output;
      const probe = tf.model({ inputs: graph.model.inputs, outputs: [graph.model.getLayer(inputName).output as tf.SymbolicTensor, graph.model.getLayer(node.output).output as tf.SymbolicTensor] });
      const [a, b] = probe.predict(x) as tf.Tensor[];
      expect(b!.shape).toEqual([3, ...layer.outputShape]);
      expect(maxDifference(a!, b!)).toBe(0);
    }
    expect((graph.model.predict(x) as tf.Tensor).shape).toEqual([3, 10]);
  });
});
