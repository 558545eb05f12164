import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { epochLines, netc, workspace } from './trainHelpers.js';

// `netc check`, `summary` and `train` on files that use the layer kinds leakyrelu, gelu, globalavgpool,
// globalmaxpool and layernorm. Expected counts are PyTorch's for the same modules, printed by
//   /usr/bin/python3 test/check/pytorch_counts.py   (the `new-kinds` models):
// trainable 14730, non-trainable 0, each way of pooling; per module Conv2d 80, LayerNorm([8, 28, 28]) 12544,
// Conv2d 1168, Linear 544, LayerNorm(32) 64, Linear 330.
const source = (pool: string): string =>
  [
    `model new_kinds_${pool}`,
    'input 1x28x28',
    'train epochs=2 batch=32 lr=0.05',
    'conv 8 k3 p1 | layernorm | leakyrelu',
    'maxpool 2',
    `conv 16 k3 | gelu | ${pool}`,
    'dense 32 | layernorm | leakyrelu 0.2',
    'dense 10',
    '',
  ].join('\n');

const ws = workspace(source('globalavgpool'), { train: 64, test: 32 });
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));
const avg = ws.net;
const max = join(ws.dir, 'max.net');
writeFileSync(max, source('globalmaxpool'));

describe('the new layer kinds through the CLI', () => {
  test('netc check: both files clean', async () => {
    const run = await netc(['check', avg, max]);
    expect(run.code).toBe(0);
    expect(run.out).toBe('2 files checked: no problems.\n');
  });

  test.each(['globalavgpool', 'globalmaxpool'])('netc summary (%s): every row, PyTorch’s counts and totals', async (pool) => {
    const run = await netc(['summary', pool === 'globalavgpool' ? avg : max]);
    expect(run.code).toBe(0);
    const rows = run.out.split('\n').filter((l) => /^\s*\d+\s+\d+:\d+/.test(l)).map((l) => l.trim().split(/\s{2,}/));
    expect(rows).toEqual([
      ['1', '4:1', 'conv', '-', '8x28x28', '80', '0', '56,448'],
      ['2', '4:16', 'layernorm', 'LayerNorm([8, 28, 28])', '8x28x28', '12,544', '0', '0'],
      ['3', '4:28', 'leakyrelu', '-', '8x28x28', '0', '0', '0'],
      ['4', '5:1', 'maxpool', '-', '8x14x14', '0', '0', '0'],
      ['5', '6:1', 'conv', '-', '16x12x12', '1,168', '0', '165,888'],
      ['6', '6:14', 'gelu', '-', '16x12x12', '0', '0', '0'],
      ['7', '6:21', pool, '-', '16', '0', '0', '0'],
      ['8', '7:1', 'dense', '-', '32', '544', '0', '512'],
      ['9', '7:12', 'layernorm', 'LayerNorm(32)', '32', '64', '0', '0'],
      ['10', '7:24', 'leakyrelu', '-', '32', '0', '0', '0'],
      ['11', '8:1', 'dense', '-', '10', '330', '0', '320'],
    ]);
    // MACs from `/usr/bin/python3 test/check/pytorch_macs.py` (new-kinds: 223,168).
    expect(run.out).toContain('MACs: 223,168 (FLOPs: 446,336)\n');
    expect(run.out).toContain('total params: 14,730\ntrainable params: 14,730\nnon-trainable params: 0\n');
  });

  test('netc summary --format json carries the variant and the arguments’ effect', async () => {
    const run = await netc(['summary', avg, '--format', 'json']);
    const json = JSON.parse(run.out) as { layers: { op: string; variant: string | null; output: number[] }[] };
    expect(json.layers.map((l) => l.op)).toEqual(['conv', 'layernorm', 'leakyrelu', 'maxpool', 'conv', 'gelu', 'globalavgpool', 'dense', 'layernorm', 'leakyrelu', 'dense']);
    expect(json.layers[6]).toMatchObject({ variant: null, output: [16] });
  });

  test('netc train: the model trains on the synthetic data (cpu, seeded): two epochs, the loss falls', async () => {
    const run = await netc(['train', avg, '--data', ws.data, '--backend', 'cpu', '--seed', '3', '--out', join(ws.dir, 'run')]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const epochs = epochLines(run.out);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[1]!.loss).toBeLessThan(epochs[0]!.loss);
  });
});
