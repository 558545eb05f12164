import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { CheckedModel } from '../../src/ir/model.js';
import { checkSource } from './harness.js';

function load(file: string): CheckedModel {
  const path = new URL(`../../models/${file}.net`, import.meta.url);
  const { model, diagnostics } = checkSource(readFileSync(path, 'utf8'), `models/${file}.net`);
  expect(diagnostics).toEqual([]);
  return model!;
}

// Pasted from `/usr/bin/python3 test/check/pytorch_macs.py` (PyTorch 1.13): each model as an nn.Module written by
// hand, MACs per leaf module (and residual join) from forward hooks the way torchinfo counts Mult-Adds, activations
// = the elements of every such output for one example.
const lenet = [117600, 0, 0, 240000, 0, 0, 0, 48000, 0, 10080, 0, 840];
const lenetBn = [86400, 0, 0, 0, 153600, 0, 0, 0, 0, 30720, 0, 0, 10080, 0, 0, 840];
const mlpBn = [0, 200704, 0, 0, 32768, 0, 0, 1280];
const vggMini = [
  56448, 0, 0, 0, 225792, 0, 0, 451584, 0, 0, 0, 225792, 0, 0, 451584, 0, 0, 0, 0, 18432, 0, 0, 0, 640,
];
const resnetMini = [
  112896, 0, 0, 0, 451584, 0, 0, 451584, 0, 0, 0, 225792, 0, 0, 451584, 0, 25088, 0, 0, 451584, 0, 0, 451584, 0, 0, 0,
  294912, 0, 0, 589824, 0, 32768, 0, 0, 0, 0, 640,
];

const models: [file: string, rows: number[], macs: number, activations: number][] = [
  ['lenet', lenet, 416_520, 15_002],
  ['lenet-bn', lenetBn, 281_640, 15_438],
  ['lenet-bn-scratch', lenetBn, 281_640, 15_438],
  ['lenet-bn-blocks', lenetBn, 281_640, 15_438],
  // lenet-bn with `expect` stages, which add no layer.
  ['lenet-bn-contract', lenetBn, 281_640, 15_438],
  ['mlp-bn', mlpBn, 234_752, 1_946],
  ['vgg-mini', vggMini, 1_430_272, 50_234],
  ['resnet-mini', resnetMini, 3_539_840, 94_570],
];

describe('MACs equal PyTorch-derived counts for every model in models/', () => {
  test.each(models)('%s', (file, rows, macs, activations) => {
    const model = load(file);
    expect(model.layers.map((layer) => layer.macs)).toEqual(rows);
    expect(model.cost).toEqual({ macs, flops: 2 * macs, activations });
  });
});

describe('the MACs formulas', () => {
  const macsOf = (source: string): number[] => checkSource(`input 3x32x32\n${source}\n`).model!.layers.map((l) => l.macs);

  test.each([
    // Cout * Hout * Wout * Cin * kh * kw, independent of the bias.
    ['conv 8 k3', [8 * 30 * 30 * 3 * 3 * 3]],
    ['conv 8 k3 bias=false', [8 * 30 * 30 * 3 * 3 * 3]],
    // Strides shrink the output, padding zeros count: 8 * 16 * 16 positions.
    ['conv 8 k3 s2 p1', [8 * 16 * 16 * 3 * 3 * 3]],
    ['conv 4 k3x5 p=same', [4 * 32 * 32 * 3 * 3 * 5]],
    // in * out for dense; nothing for pooling, flatten, batch norm and activations.
    ['maxpool 2 | flatten | dense 10 | bn | relu', [0, 0, 768 * 10, 0, 0]],
  ])('%s', (source, expected) => {
    expect(macsOf(source)).toEqual(expected);
  });

  test('a residual projection counts its 1x1 convolution; the join counts 0', () => {
    const model = checkSource('input 4x8x8\nresidual proj { conv 8 k3 s2 p1 }\n').model!;
    expect(model.layers.map((l) => [l.op, l.variant, l.macs])).toEqual([
      ['conv', null, 8 * 4 * 4 * 4 * 3 * 3],
      ['conv', 'projection', 8 * 4 * 4 * 4],
      ['add', null, 0],
    ]);
  });
});
