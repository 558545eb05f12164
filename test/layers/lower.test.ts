import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import type { CheckedLayer, CheckedModel, Shape } from '../../src/ir/model.js';
import type { LowerContext } from '../../src/layers/LayerKind.js';
import { negInfPaddingClassName } from '../../src/compile/NegInfPadding2D.js';
import { createNetcLayer } from '../../src/compile/netcLayers.js';
import { findLayerKind } from '../../src/layers/registry.js';
import { checkSource } from '../check/harness.js';

// These tests build tfjs layers from checked layers; the compiler (src/compile) owns the real model building.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const customCalls: { className: string; config: tf.serialization.ConfigDict }[] = [];

/** A lowering context like the compiler's, recording which of netc's own layer classes the lowerings ask for. */
function contextFor(layer: CheckedLayer): LowerContext {
  return {
    tf,
    custom: (className, config) => {
      customCalls.push({ className, config });
      return createNetcLayer(className, config);
    },
    kernelInitializer: () => tf.initializers.glorotUniform({ seed: 1 }),
    randomSeed: () => undefined,
    name: (suffix) => `n${layer.index}_${layer.op}${suffix === undefined ? '' : `_${suffix}`}`,
  };
}

/** C x H x W as tfjs sees it inside netc: channels last, with the batch. */
function channelsLast(shape: Shape): (number | null)[] {
  return shape.length === 3 ? [null, shape[1]!, shape[2]!, shape[0]!] : [null, ...shape];
}

/** Applies every layer's lowering in order to a symbolic input; returns the model and each node's tfjs layers. */
function lowerModel(model: CheckedModel): { built: tf.LayersModel; perLayer: tf.layers.Layer[][] } {
  const input = tf.input({ shape: channelsLast(model.input).slice(1) as number[] });
  let x: tf.SymbolicTensor = input;
  const perLayer: tf.layers.Layer[][] = [];
  for (const layer of model.layers) {
    const layers = findLayerKind(layer.op)!.lower(layer, contextFor(layer));
    for (const tfLayer of layers) x = tfLayer.apply(x) as tf.SymbolicTensor;
    expect(x.shape).toEqual(channelsLast(layer.outputShape));
    perLayer.push(layers);
  }
  return { built: tf.model({ inputs: input, outputs: x }), perLayer };
}

/** The number of values in some weights (their shapes are fully known once built). */
const size = (weights: tf.LayerVariable[]): number =>
  weights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);

describe('every model in models/ lowers to tfjs layers with the checker’s shapes and counts', () => {
  test.each(['lenet-bn', 'lenet-bn-scratch', 'lenet', 'mlp-bn'])('%s', (file) => {
    const source = readFileSync(new URL(`../../models/${file}.net`, import.meta.url), 'utf8');
    const model = checkSource(source).model!;
    const { built, perLayer } = lowerModel(model);
    model.layers.forEach((layer, i) => {
      expect(size(perLayer[i]!.flatMap((l) => l.trainableWeights))).toBe(layer.params.trainable);
      expect(size(perLayer[i]!.flatMap((l) => l.nonTrainableWeights))).toBe(layer.params.nonTrainable);
    });
    expect(size(built.trainableWeights)).toBe(model.totals.trainable);
    expect(size(built.nonTrainableWeights)).toBe(model.totals.nonTrainable);
    built.dispose();
  });
});

/** The tfjs layers (class and config) that one layer written in `source` lowers to. */
function lowered(input: string, layerSource: string): { className: string; config: tf.serialization.ConfigDict }[] {
  const model = checkSource(`input ${input}\n${layerSource}\n`).model!;
  const layer = model.layers[model.layers.length - 1]!;
  return findLayerKind(layer.op)!
    .lower(layer, contextFor(layer))
    .map((l) => ({ className: l.getClassName(), config: l.getConfig() }));
}

// tfjs serialises glorotUniform as the variance scaling it is: scale 1 over the mean of fan-in and fan-out, uniform.
const glorot = { className: 'VarianceScaling', config: { scale: 1, mode: 'fanAvg', distribution: 'uniform' } };

describe('lowered configurations', () => {
  test('conv with explicit padding is zero padding, then a valid convolution with Glorot weights and zero biases', () => {
    const [pad, conv] = lowered('1x28x28', 'conv 6 k5 s1x2 p2x1 bias=false');
    expect(pad).toMatchObject({ className: 'ZeroPadding2D', config: { padding: [[2, 2], [1, 1]] } });
    expect(conv!.className).toBe('Conv2D');
    expect(conv!.config).toMatchObject({
      filters: 6,
      kernelSize: [5, 5],
      strides: [1, 2],
      padding: 'valid',
      useBias: false,
      dataFormat: 'channelsLast',
      biasInitializer: { className: 'Zeros' },
      kernelInitializer: glorot,
      name: 'n0_conv',
    });
  });

  test('conv p=same is a same convolution, without padding layer', () => {
    const layers = lowered('1x28x28', 'conv 6 k3x5 s2 p=same');
    expect(layers.map((l) => l.className)).toEqual(['Conv2D']);
    expect(layers[0]!.config).toMatchObject({ padding: 'same', kernelSize: [3, 5], strides: [2, 2], useBias: true });
  });

  test('dense (and linear) is a dense layer with the same initialisers', () => {
    const [dense] = lowered('784', 'linear 10');
    expect(dense).toMatchObject({
      className: 'Dense',
      config: { units: 10, useBias: true, kernelInitializer: glorot, biasInitializer: { className: 'Zeros' } },
    });
  });

  test('bn impl=builtin is tfjs batch normalisation on the last axis with the seed’s momentum and epsilon', () => {
    const [bn] = lowered('6x24x24', 'bn');
    expect(bn).toMatchObject({ className: 'BatchNormalization', config: { axis: -1, momentum: 0.9, epsilon: 1e-5 } });
  });

  test('bn impl=scratch asks the compiler for its own layer with the file’s settings', () => {
    customCalls.length = 0;
    lowered('120', 'bn impl=scratch momentum=0.8 eps=0.001');
    expect(customCalls).toEqual([{ className: 'NetcBatchNorm', config: { momentum: 0.8, epsilon: 0.001, name: 'n0_bn' } }]);
  });

  test('pools: valid windows, zero padding for avgpool, -Infinity padding for maxpool', () => {
    expect(lowered('6x24x24', 'avgpool 2').map((l) => [l.className, l.config['poolSize'], l.config['strides'], l.config['padding']])).toEqual([
      ['AveragePooling2D', [2, 2], [2, 2], 'valid'],
    ]);
    expect(lowered('6x24x24', 'avgpool 3 s1 p1').map((l) => l.className)).toEqual(['ZeroPadding2D', 'AveragePooling2D']);
    expect(lowered('6x24x24', 'maxpool 3 s2 p1').map((l) => [l.className, l.config['padding']])).toEqual([
      [negInfPaddingClassName, [1, 1]],
      ['MaxPooling2D', 'valid'],
    ]);
  });

  test('flatten, activations and dropout', () => {
    expect(lowered('6x4x4', 'flatten').map((l) => l.className)).toEqual(['Flatten']);
    for (const name of ['sigmoid', 'relu', 'tanh', 'softmax']) {
      expect(lowered('10', name).map((l) => [l.className, l.config['activation']])).toEqual([['Activation', name]]);
    }
    expect(lowered('10', 'dropout 0.3').map((l) => [l.className, l.config['rate']])).toEqual([['Dropout', 0.3]]);
  });
});

describe('padded pools compute what PyTorch computes', () => {
  /** Runs one lowered layer on a 1 x H x W map given row by row; returns the rows of the single output channel. */
  function run(layerSource: string, rows: number[][]): number[][] {
    const model = checkSource(`input 1x${rows.length}x${rows[0]!.length}\n${layerSource}\n`).model!;
    const layer = model.layers[0]!;
    return tf.tidy(() => {
      let x: tf.Tensor = tf.tensor4d(rows.flat(), [1, rows.length, rows[0]!.length, 1]);
      for (const tfLayer of findLayerKind(layer.op)!.lower(layer, contextFor(layer))) x = tfLayer.apply(x) as tf.Tensor;
      return (x.squeeze([0, 3]).arraySync() as number[][]);
    });
  }

  // torch.nn.MaxPool2d(2, padding=1)(-torch.ones(1, 1, 2, 2)) is all -1: the padding never wins.
  test('maxpool pads with -Infinity: an all-negative map keeps its values', () => {
    expect(run('maxpool 2 p1', [[-1, -1], [-1, -1]])).toEqual([[-1, -1], [-1, -1]]);
    // torch.nn.MaxPool2d(3, 2, 1) on [[-5,-4,-3],[-2,-1,-6],[-7,-8,-9]] gives [[-1,-1],[-1,-1]].
    expect(run('maxpool 3 s2 p1', [[-5, -4, -3], [-2, -1, -6], [-7, -8, -9]])).toEqual([[-1, -1], [-1, -1]]);
  });

  // x = torch.tensor([[-5.,-4,-3],[-2,-1,-6],[-7,-8,-9]]).view(1,1,3,3).requires_grad_();
  // torch.nn.MaxPool2d(3, 2, 1)(x).sum().backward(): x.grad is 4 at the centre, 0 elsewhere.
  test('maxpool padding takes no gradient: every window sends its gradient to a real value', () => {
    const model = checkSource('input 1x3x3\nmaxpool 3 s2 p1\n').model!;
    const layers = findLayerKind('maxpool')!.lower(model.layers[0]!, contextFor(model.layers[0]!));
    const x = tf.tensor4d([-5, -4, -3, -2, -1, -6, -7, -8, -9], [1, 3, 3, 1]);
    const grad = tf.grad((input: tf.Tensor) => layers.reduce((y, l) => l.apply(y) as tf.Tensor, input).sum())(x);
    expect(Array.from(grad.dataSync())).toEqual([0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });

  // torch.nn.AvgPool2d(2, padding=1)(torch.ones(1, 1, 2, 2)) is all 0.25 (count_include_pad=True).
  test('avgpool counts the zero padding in each average', () => {
    expect(run('avgpool 2 p1', [[1, 1], [1, 1]])).toEqual([[0.25, 0.25], [0.25, 0.25]]);
  });

  test('the maxpool padding layer saves and loads through the tfjs registry', () => {
    const model = checkSource('input 1x4x4\nmaxpool 3 s1 p1 | flatten | dense 10\n').model!;
    const { built } = lowerModel(model);
    const json = built.toJSON(undefined, false) as tf.serialization.ConfigDict;
    const restored = tf.models.modelFromJSON({ modelTopology: json } as never);
    return restored.then((m) => {
      expect(m.layers.map((l) => l.getClassName())).toContain(negInfPaddingClassName);
      expect(m.outputs[0]!.shape).toEqual([null, 10]);
    });
  });
});
