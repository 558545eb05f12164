import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkSource } from './harness.js';

/** One summary row: op, variant, output shape, trainable and non-trainable parameters. */
type Row = [string, string | null, number[], number, number];

// Hand-computed: conv N*C*K*K + N, dense F*N + N, bn 2C trainable (gamma, beta) + 2C moving statistics,
// H' = floor((H + 2P - K) / S) + 1. PyTorch agrees: for d2l's LeNet-BN, sum(p.numel() for p in net.parameters())
// is 44878 and the running mean/var buffers hold 452.
const lenetBn: Row[] = [
  ['conv', null, [6, 24, 24], 6 * 1 * 5 * 5 + 6, 0], // 156
  ['bn', 'BatchNorm2d', [6, 24, 24], 12, 12],
  ['sigmoid', null, [6, 24, 24], 0, 0],
  ['avgpool', null, [6, 12, 12], 0, 0],
  ['conv', null, [16, 8, 8], 16 * 6 * 5 * 5 + 16, 0], // 2416
  ['bn', 'BatchNorm2d', [16, 8, 8], 32, 32],
  ['sigmoid', null, [16, 8, 8], 0, 0],
  ['avgpool', null, [16, 4, 4], 0, 0],
  ['flatten', null, [256], 0, 0],
  ['dense', null, [120], 256 * 120 + 120, 0], // 30840
  ['bn', 'BatchNorm1d', [120], 240, 240],
  ['sigmoid', null, [120], 0, 0],
  ['dense', null, [84], 120 * 84 + 84, 0], // 10164
  ['bn', 'BatchNorm1d', [84], 168, 168],
  ['sigmoid', null, [84], 0, 0],
  ['dense', null, [10], 84 * 10 + 10, 0], // 850
];

const lenet: Row[] = [
  ['conv', null, [6, 28, 28], 156, 0], // (28 + 4 - 5) / 1 + 1 = 28
  ['sigmoid', null, [6, 28, 28], 0, 0],
  ['avgpool', null, [6, 14, 14], 0, 0],
  ['conv', null, [16, 10, 10], 2416, 0],
  ['sigmoid', null, [16, 10, 10], 0, 0],
  ['avgpool', null, [16, 5, 5], 0, 0],
  ['flatten', null, [400], 0, 0],
  ['dense', null, [120], 400 * 120 + 120, 0], // 48120
  ['sigmoid', null, [120], 0, 0],
  ['dense', null, [84], 10164, 0],
  ['sigmoid', null, [84], 0, 0],
  ['dense', null, [10], 850, 0],
];

const mlpBn: Row[] = [
  ['flatten', null, [784], 0, 0],
  ['dense', null, [256], 784 * 256 + 256, 0], // 200960
  ['bn', 'BatchNorm1d', [256], 512, 512],
  ['relu', null, [256], 0, 0],
  ['dense', null, [128], 256 * 128 + 128, 0], // 32896
  ['bn', 'BatchNorm1d', [128], 256, 256],
  ['relu', null, [128], 0, 0],
  ['dense', null, [10], 128 * 10 + 10, 0], // 1290
];

const models: [string, string, Row[], number, number, string][] = [
  ['lenet-bn', 'lenet_bn', lenetBn, 44_878, 452, 'builtin'],
  ['lenet-bn-scratch', 'lenet_bn_scratch', lenetBn, 44_878, 452, 'scratch'],
  ['lenet', 'lenet', lenet, 61_706, 0, ''],
  ['mlp-bn', 'mlp_bn', mlpBn, 235_914, 768, 'builtin'],
];

describe('the models in models/ check clean', () => {
  test.each(models)('%s', (file, name, rows, trainable, nonTrainable, impl) => {
    const path = new URL(`../../models/${file}.net`, import.meta.url);
    const { model, diagnostics } = checkSource(readFileSync(path, 'utf8'), `models/${file}.net`);
    expect(diagnostics).toEqual([]);
    expect(model!.name).toBe(name);
    expect(model!.input).toEqual([1, 28, 28]);
    expect(model!.layers.map((l): Row => [l.op, l.variant, [...l.outputShape], l.params.trainable, l.params.nonTrainable])).toEqual(rows);
    expect(model!.totals).toEqual({ trainable, nonTrainable });
    // The row totals and the model totals agree.
    expect(rows.reduce((sum, row) => sum + row[3], 0)).toBe(trainable);
    for (const layer of model!.layers.filter((l) => l.op === 'bn')) expect(layer.args['impl']).toBe(impl);
    expect(model!.train.dataset).toBe('fashion-mnist');
    expect(model!.train.optimizer).toBe('sgd');
  });

  test('lenet trains at lr 0.9, the LeNet-BN pair at 1.0', () => {
    const read = (file: string) =>
      checkSource(readFileSync(new URL(`../../models/${file}.net`, import.meta.url), 'utf8')).model!.train;
    expect(read('lenet')).toEqual({ dataset: 'fashion-mnist', epochs: 10, batch: 256, lr: 0.9, optimizer: 'sgd' });
    expect(read('lenet-bn').lr).toBe(1);
  });
});
