import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { CheckedModel } from '../../src/ir/model.js';
import { formatBlocks } from '../../src/cli/printSummary.js';
import { checkSource } from './harness.js';

/** One row as PyTorch's forward hooks see it: module, output shape, trainable and non-trainable counts. */
type Row = [string, number[], number, number];

function load(file: string): CheckedModel {
  const path = new URL(`../../models/${file}.net`, import.meta.url);
  const { model, diagnostics } = checkSource(readFileSync(path, 'utf8'), `models/${file}.net`);
  expect(diagnostics).toEqual([]);
  return model!;
}

/** netc's rows in PyTorch's words: BatchNorm1d/2d from the variant, `add` for a residual join. */
function torchRows(model: CheckedModel): Row[] {
  const names: Record<string, string> = {
    conv: 'Conv2d',
    dense: 'Linear',
    relu: 'ReLU',
    sigmoid: 'Sigmoid',
    maxpool: 'MaxPool2d',
    avgpool: 'AvgPool2d',
    flatten: 'Flatten',
    dropout: 'Dropout',
    add: 'add',
  };
  return model.layers.map((l) => [
    l.op === 'bn' ? l.variant! : names[l.op]!,
    [...l.outputShape],
    l.params.trainable,
    l.params.nonTrainable,
  ]);
}

// Pasted from `/usr/bin/python3 test/check/pytorch_counts.py` (PyTorch 1.13): each model written as an
// nn.Module by hand, its leaves' output shapes and counts from forward hooks (running mean/var as non-trainable;
// a residual join as `add`, after the projection, as the module's forward runs them).
const vggMini: Row[] = [
  ['Conv2d', [8, 28, 28], 80, 0],
  ['BatchNorm2d', [8, 28, 28], 16, 16],
  ['ReLU', [8, 28, 28], 0, 0],
  ['MaxPool2d', [8, 14, 14], 0, 0],
  ['Conv2d', [16, 14, 14], 1168, 0],
  ['BatchNorm2d', [16, 14, 14], 32, 32],
  ['ReLU', [16, 14, 14], 0, 0],
  ['Conv2d', [16, 14, 14], 2320, 0],
  ['BatchNorm2d', [16, 14, 14], 32, 32],
  ['ReLU', [16, 14, 14], 0, 0],
  ['MaxPool2d', [16, 7, 7], 0, 0],
  ['Conv2d', [32, 7, 7], 4640, 0],
  ['BatchNorm2d', [32, 7, 7], 64, 64],
  ['ReLU', [32, 7, 7], 0, 0],
  ['Conv2d', [32, 7, 7], 9248, 0],
  ['BatchNorm2d', [32, 7, 7], 64, 64],
  ['ReLU', [32, 7, 7], 0, 0],
  ['MaxPool2d', [32, 3, 3], 0, 0],
  ['Flatten', [288], 0, 0],
  ['Linear', [64], 18496, 0],
  ['BatchNorm1d', [64], 128, 128],
  ['ReLU', [64], 0, 0],
  ['Dropout', [64], 0, 0],
  ['Linear', [10], 650, 0],
];

const resnetMini: Row[] = [
  ['Conv2d', [16, 28, 28], 144, 0],
  ['BatchNorm2d', [16, 28, 28], 32, 32],
  ['ReLU', [16, 28, 28], 0, 0],
  ['MaxPool2d', [16, 14, 14], 0, 0],
  ['Conv2d', [16, 14, 14], 2304, 0],
  ['BatchNorm2d', [16, 14, 14], 32, 32],
  ['ReLU', [16, 14, 14], 0, 0],
  ['Conv2d', [16, 14, 14], 2304, 0],
  ['BatchNorm2d', [16, 14, 14], 32, 32],
  ['add', [16, 14, 14], 0, 0],
  ['ReLU', [16, 14, 14], 0, 0],
  ['Conv2d', [32, 7, 7], 4608, 0],
  ['BatchNorm2d', [32, 7, 7], 64, 64],
  ['ReLU', [32, 7, 7], 0, 0],
  ['Conv2d', [32, 7, 7], 9216, 0],
  ['BatchNorm2d', [32, 7, 7], 64, 64],
  ['Conv2d', [32, 7, 7], 512, 0],
  ['add', [32, 7, 7], 0, 0],
  ['ReLU', [32, 7, 7], 0, 0],
  ['Conv2d', [32, 7, 7], 9216, 0],
  ['BatchNorm2d', [32, 7, 7], 64, 64],
  ['ReLU', [32, 7, 7], 0, 0],
  ['Conv2d', [32, 7, 7], 9216, 0],
  ['BatchNorm2d', [32, 7, 7], 64, 64],
  ['add', [32, 7, 7], 0, 0],
  ['ReLU', [32, 7, 7], 0, 0],
  ['Conv2d', [64, 4, 4], 18432, 0],
  ['BatchNorm2d', [64, 4, 4], 128, 128],
  ['ReLU', [64, 4, 4], 0, 0],
  ['Conv2d', [64, 4, 4], 36864, 0],
  ['BatchNorm2d', [64, 4, 4], 128, 128],
  ['Conv2d', [64, 4, 4], 2048, 0],
  ['add', [64, 4, 4], 0, 0],
  ['ReLU', [64, 4, 4], 0, 0],
  ['AvgPool2d', [64, 1, 1], 0, 0],
  ['Flatten', [64], 0, 0],
  ['Linear', [10], 650, 0],
];

describe('the v2 models match PyTorch row by row', () => {
  test.each([
    ['vgg-mini', 'vgg_mini', vggMini, 36_938, 336],
    ['resnet-mini', 'resnet_mini', resnetMini, 96_122, 608],
  ] as const)('%s', (file, name, rows, trainable, nonTrainable) => {
    const model = load(file);
    expect(model.name).toBe(name);
    expect(torchRows(model)).toEqual(rows);
    // PyTorch's totals (the script's first line for each model).
    expect(model.totals).toEqual({ trainable, nonTrainable });
    expect(model.train).toMatchObject({ dataset: 'fashion-mnist', optimizer: 'momentum' });
  });

  test('resnet-mini: identity skips where the shape is kept, 1x1 stride-2 projections where it halves', () => {
    const model = load('resnet-mini');
    const adds = model.layers.filter((l) => l.op === 'add');
    const skips = adds.map((add) => model.layers[add.inputs[0]!]!);
    expect(skips.map((s) => `${s.op}/${s.variant ?? '-'}`)).toEqual(['maxpool/-', 'conv/projection', 'relu/-', 'conv/projection']);
    const projections = model.layers.filter((l) => l.variant === 'projection');
    expect(projections.map((p) => [p.args['stride'], p.args['bias'], p.inputShape.join('x')])).toEqual([
      [[2, 2], false, '16x14x14'],
      // 7x7 to 4x4: the stride-2 body pads, and a 1x1 convolution with stride 2 gives ceil(7 / 2) = 4 too.
      [[2, 2], false, '32x7x7'],
    ]);
    // Each join reads its skip source and the body's last node, the bn.
    for (const add of adds) expect(model.layers[add.inputs[1]!]!.op).toBe('bn');
  });

  test('vgg-mini: the stages come from one block with a repeated group', () => {
    const model = load('vgg-mini');
    const uses = model.layers.map((l) => formatBlocks(l.blocks ?? []));
    expect(new Set(uses)).toEqual(new Set(['vgg@10:1', 'vgg@11:1', 'vgg@12:1', '']));
    expect(uses.filter((u) => u === 'vgg@11:1')).toHaveLength(7);
  });
});

describe('lenet-bn-blocks is lenet-bn written with blocks', () => {
  const plain = load('lenet-bn');
  const blocks = load('lenet-bn-blocks');

  test('the same graph: ops, variants, arguments, inputs, shapes and parameters, node by node', () => {
    const strip = (model: CheckedModel) =>
      model.layers.map((l) => ({ op: l.op, variant: l.variant, args: l.args, inputs: l.inputs, input: l.inputShape, output: l.outputShape, params: l.params }));
    expect(strip(blocks)).toEqual(strip(plain));
    expect(blocks.totals).toEqual({ trainable: 44_878, nonTrainable: 452 });
    expect(blocks.totals).toEqual(plain.totals);
    expect(blocks.train).toEqual(plain.train);
    expect(blocks.input).toEqual(plain.input);
  });

  test('only the origins differ: each row of a block names its use', () => {
    expect(blocks.layers.map((l) => formatBlocks(l.blocks ?? []))).toEqual([
      ...Array(4).fill('cbs@12:1'),
      ...Array(4).fill('cbs@12:10'),
      '',
      ...Array(3).fill('dbs@14:1'),
      ...Array(3).fill('dbs@14:12'),
      '',
    ]);
    expect(plain.layers.every((l) => l.blocks === undefined)).toBe(true);
  });
});
