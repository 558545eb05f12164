import { describe, expect, test } from 'vitest';
import { checkSource } from '../check/harness.js';

// Expected shapes and parameter counts are hand-computed with H' = floor((H + 2P - K) / S) + 1 (ceil(H / S) for
// p=same), conv N*C*kh*kw + N, dense F*N + N, bn 2C + 2C. Rows marked "torch" were confirmed with PyTorch 1.13:
//   /usr/bin/python3 -c "import torch.nn as nn, torch; m = nn.Conv2d(3, 8, (3, 5)); print(m(torch.zeros(1, 3, 32, 32)).shape,
//     sum(p.numel() for p in m.parameters()))"   # and likewise for each marked module
// giving (8, 30, 28) 368; Conv2d(3,8,3,stride=(1,2),padding=(1,0)) (8, 32, 15) 224; Conv2d(3,8,3,bias=False)
// (8, 30, 30) 216; Conv2d(3,8,3,stride=2,padding=1) (8, 16, 16) 224; AvgPool2d(3,2) (6, 11, 11);
// AvgPool2d((2,3)) (6, 12, 8); MaxPool2d(3,2,1) (6, 12, 12); BatchNorm2d(6) 12 + 12 buffers;
// BatchNorm1d(120) 240 + 240; Linear(784,10) 7850; Linear(784,10,bias=False) 7840.
// The rows of the later kinds (leakyrelu, gelu, the global pools, layernorm) marked "torch" are the last part of
// /usr/bin/python3 test/check/pytorch_counts.py, which prints, for each, PyTorch's output shape and counts:
//   'leakyrelu' on 120: [120] 0 0                  (nn.LeakyReLU())
//   'leakyrelu 0.2' on 6x24x24: [6, 24, 24] 0 0    (nn.LeakyReLU(0.2))
//   'gelu' on 120: [120] 0 0                       (nn.GELU())
//   'gelu' on 6x24x24: [6, 24, 24] 0 0
//   'globalavgpool' on 16x5x5: [16] 0 0            (nn.AdaptiveAvgPool2d(1), then flatten)
//   'globalmaxpool' on 64x7x3: [64] 0 0            (nn.AdaptiveMaxPool2d(1), then flatten)
//   'layernorm' on 120: [120] 240 0                (nn.LayerNorm(120))
//   'layernorm eps=1e-3' on 10: [10] 20 0
//   'layernorm' on 6x24x24: [6, 24, 24] 6912 0     (nn.LayerNorm([6, 24, 24]))
//   'layernorm' on 16x5x5: [16, 5, 5] 800 0
interface Row {
  readonly layer: string;
  readonly input: string;
  readonly output: readonly number[];
  readonly trainable: number;
  readonly nonTrainable?: number;
  readonly op?: string;
  readonly variant?: string | null;
}

const rows: Row[] = [
  // conv: every argument form
  { layer: 'conv 6 k5', input: '1x28x28', output: [6, 24, 24], trainable: 156 },
  { layer: 'conv 6 k5 p2', input: '1x28x28', output: [6, 28, 28], trainable: 156 },
  { layer: 'conv 6 kernel=5 pad=2', input: '1x28x28', output: [6, 28, 28], trainable: 156 },
  { layer: 'conv out=6 k5 p=2', input: '1x28x28', output: [6, 28, 28], trainable: 156 },
  { layer: 'conv 6 k5 s2', input: '1x28x28', output: [6, 12, 12], trainable: 156 },
  { layer: 'conv 8 k3x5', input: '3x32x32', output: [8, 30, 28], trainable: 368 }, // torch
  { layer: 'conv 8 kernel=3x5', input: '3x32x32', output: [8, 30, 28], trainable: 368 },
  { layer: 'conv 8 k3 s1x2 p1x0', input: '3x32x32', output: [8, 32, 15], trainable: 224 }, // torch
  { layer: 'conv 8 k3 bias=false', input: '3x32x32', output: [8, 30, 30], trainable: 216 }, // torch
  { layer: 'conv 8 k3 bias=true', input: '3x32x32', output: [8, 30, 30], trainable: 224 },
  { layer: 'conv 8 k3 s2 p1', input: '3x32x32', output: [8, 16, 16], trainable: 224 }, // torch
  { layer: 'conv 8 kernel=3 stride=2 pad=1', input: '3x32x32', output: [8, 16, 16], trainable: 224 },
  { layer: 'conv 8 k3 p=same', input: '3x32x32', output: [8, 32, 32], trainable: 224 },
  { layer: 'conv 8 k4 s2 pad=same', input: '3x31x31', output: [8, 16, 16], trainable: 392 },
  { layer: 'conv 4 k7 p=same', input: '1x5x5', output: [4, 5, 5], trainable: 200 },
  { layer: 'conv 4 k5', input: '1x5x5', output: [4, 1, 1], trainable: 104 },
  { layer: 'conv 2 k1 s3', input: '1x7x8', output: [2, 3, 3], trainable: 4 },
  // dense and its alias
  { layer: 'dense 10', input: '784', output: [10], trainable: 7850 }, // torch
  { layer: 'linear 10', input: '784', output: [10], trainable: 7850, op: 'dense' },
  { layer: 'dense out=10 bias=false', input: '784', output: [10], trainable: 7840 }, // torch
  { layer: 'dense 1', input: '1', output: [1], trainable: 2 },
  // bn picks its variant from the input
  { layer: 'bn', input: '6x24x24', output: [6, 24, 24], trainable: 12, nonTrainable: 12, variant: 'BatchNorm2d' }, // torch
  { layer: 'bn', input: '120', output: [120], trainable: 240, nonTrainable: 240, variant: 'BatchNorm1d' }, // torch
  {
    layer: 'bn momentum=0.5 eps=0.001 impl=scratch',
    input: '16x4x4',
    output: [16, 4, 4],
    trainable: 32,
    nonTrainable: 32,
    variant: 'BatchNorm2d',
  },
  // pools
  { layer: 'avgpool 2', input: '6x24x24', output: [6, 12, 12], trainable: 0 },
  { layer: 'avgpool 2 s2', input: '6x28x28', output: [6, 14, 14], trainable: 0 },
  { layer: 'avgpool 3 s2', input: '6x24x24', output: [6, 11, 11], trainable: 0 }, // torch
  { layer: 'avgpool 3 s1 p1', input: '6x24x24', output: [6, 24, 24], trainable: 0 },
  { layer: 'avgpool 2x3', input: '6x24x24', output: [6, 12, 8], trainable: 0 }, // torch
  { layer: 'avgpool k2x3', input: '6x24x24', output: [6, 12, 8], trainable: 0 },
  { layer: 'avgpool kernel=2 stride=1', input: '6x24x24', output: [6, 23, 23], trainable: 0 },
  { layer: 'avgpool 5', input: '1x5x5', output: [1, 1, 1], trainable: 0 },
  { layer: 'maxpool 2', input: '6x24x24', output: [6, 12, 12], trainable: 0 },
  { layer: 'maxpool 3 s2 p1', input: '6x24x24', output: [6, 12, 12], trainable: 0 }, // torch
  { layer: 'maxpool 3 stride=2 pad=1', input: '6x24x24', output: [6, 12, 12], trainable: 0 },
  { layer: 'maxpool 2 p1', input: '1x2x2', output: [1, 2, 2], trainable: 0 },
  // flatten and shape-keeping layers on both ranks
  { layer: 'flatten', input: '16x4x4', output: [256], trainable: 0 },
  { layer: 'flatten', input: '784', output: [784], trainable: 0 },
  { layer: 'sigmoid', input: '6x24x24', output: [6, 24, 24], trainable: 0 },
  { layer: 'relu', input: '120', output: [120], trainable: 0 },
  { layer: 'tanh', input: '3x2x2', output: [3, 2, 2], trainable: 0 },
  { layer: 'softmax', input: '10', output: [10], trainable: 0 },
  { layer: 'dropout 0.5', input: '120', output: [120], trainable: 0 },
  { layer: 'dropout rate=0.2', input: '6x24x24', output: [6, 24, 24], trainable: 0 },
  { layer: 'dropout 0', input: '10', output: [10], trainable: 0 },
  { layer: 'dropout', input: '10', output: [10], trainable: 0 },
  // leakyrelu and gelu: elementwise, with their options
  { layer: 'leakyrelu', input: '120', output: [120], trainable: 0 }, // torch
  { layer: 'leakyrelu 0.2', input: '6x24x24', output: [6, 24, 24], trainable: 0 }, // torch
  { layer: 'leakyrelu alpha=0', input: '10', output: [10], trainable: 0 },
  { layer: 'gelu', input: '120', output: [120], trainable: 0 }, // torch
  { layer: 'gelu', input: '6x24x24', output: [6, 24, 24], trainable: 0 }, // torch
  // global pools: a map to one value per channel
  { layer: 'globalavgpool', input: '16x5x5', output: [16], trainable: 0 }, // torch
  { layer: 'globalmaxpool', input: '64x7x3', output: [64], trainable: 0 }, // torch
  { layer: 'globalavgpool', input: '3x1x1', output: [3], trainable: 0 },
  // layernorm: over every value of a sample, gamma and beta per value; the variant is PyTorch's constructor
  { layer: 'layernorm', input: '120', output: [120], trainable: 240, variant: 'LayerNorm(120)' }, // torch
  { layer: 'layernorm eps=1e-3', input: '10', output: [10], trainable: 20, variant: 'LayerNorm(10)' }, // torch
  { layer: 'layernorm', input: '6x24x24', output: [6, 24, 24], trainable: 6912, variant: 'LayerNorm([6, 24, 24])' }, // torch
  { layer: 'layernorm', input: '16x5x5', output: [16, 5, 5], trainable: 800, variant: 'LayerNorm([16, 5, 5])' }, // torch
];

describe('one layer: output shape, parameters, variant', () => {
  test.each(rows)('$layer on $input', (row) => {
    const result = checkSource(`input ${row.input}\n${row.layer}\n`);
    // Warnings are fine here (these tiny models do not end in 10 classes); errors are not.
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const layer = result.model!.layers[0]!;
    expect(layer.outputShape).toEqual(row.output);
    expect(layer.params).toEqual({ trainable: row.trainable, nonTrainable: row.nonTrainable ?? 0 });
    expect(layer.op).toBe(row.op ?? row.layer.split(' ')[0]);
    expect(layer.variant).toBe(row.variant ?? null);
    expect(layer.inputs).toEqual([-1]);
  });
});

describe('resolved arguments: long names, defaults filled, pairs as [height, width]', () => {
  test.each([
    ['conv 6 k5', { out: 6, kernel: [5, 5], stride: [1, 1], pad: [0, 0], bias: true }],
    ['conv 6 k3x5 s2 p=same bias=false', { out: 6, kernel: [3, 5], stride: [2, 2], pad: 'same', bias: false }],
    ['conv 6 k3 p1x2', { out: 6, kernel: [3, 3], stride: [1, 1], pad: [1, 2], bias: true }],
    ['dense 10', { out: 10, bias: true }],
    ['linear 10 bias=false', { out: 10, bias: false }],
    ['bn', { momentum: 0.9, eps: 1e-5, impl: 'builtin' }],
    ['bn impl=scratch momentum=0.8 eps=1e-3', { momentum: 0.8, eps: 1e-3, impl: 'scratch' }],
    ['avgpool 2', { kernel: [2, 2], stride: [2, 2], pad: [0, 0] }],
    ['maxpool 3x2 s1 p1', { kernel: [3, 2], stride: [1, 1], pad: [1, 1] }],
    ['dropout', { rate: 0.5 }],
    ['dropout 0.25', { rate: 0.25 }],
    ['flatten', {}],
    ['relu', {}],
    ['leakyrelu', { alpha: 0.01 }],
    ['leakyrelu 0.2', { alpha: 0.2 }],
    ['leakyrelu alpha=0.3', { alpha: 0.3 }],
    ['gelu', {}],
    ['globalavgpool', {}],
    ['globalmaxpool', {}],
    ['layernorm', { eps: 1e-5 }],
    ['layernorm eps=1e-6', { eps: 1e-6 }],
  ])('%s', (layer, args) => {
    const result = checkSource(`input 8x8x8\n${layer.startsWith('dense') || layer.startsWith('linear') ? 'flatten | ' : ''}${layer}\n`);
    expect(result.model).not.toBeNull();
    expect(result.model!.layers[result.model!.layers.length - 1]!.args).toEqual(args);
  });
});

describe('a stack', () => {
  test('layers chain across `|` and statements: each reads the one before', () => {
    const { model } = checkSource('input 1x28x28\nconv 6 k5 | relu\nflatten | dense 10\n');
    expect(model!.layers.map((layer) => layer.inputs)).toEqual([[-1], [0], [1], [2]]);
    expect(model!.layers.map((layer) => layer.index)).toEqual([0, 1, 2, 3]);
    expect(model!.layers[3]!.inputShape).toEqual([3456]);
  });

  test('the model is named by its `model` line, else by its file', () => {
    expect(checkSource('model small\ninput 10\ndense 10\n', 'models/x.net').model!.name).toBe('small');
    expect(checkSource('input 10\ndense 10\n', 'models/tiny-mlp.net').model!.name).toBe('tiny-mlp');
    expect(checkSource('input 10\ndense 10\n').model!.name).toBe('model');
  });

  test('train options and where they were written', () => {
    const { model } = checkSource(
      'input 784\ntrain dataset=fashion-mnist epochs=3 batch=64 lr=0.1\ntrain optimizer=momentum momentum=0.9 seed=7\ndense 10\n',
    );
    expect(model!.train).toEqual({
      dataset: 'fashion-mnist',
      epochs: 3,
      batch: 64,
      lr: 0.1,
      optimizer: 'momentum',
      momentum: 0.9,
      seed: 7,
    });
    expect(model!.trainSpans['lr']).toMatchObject({ line: 2, column: 47 });
    expect(model!.trainSpans['seed']).toMatchObject({ line: 3, column: 39 });
  });
});
