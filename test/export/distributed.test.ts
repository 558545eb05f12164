import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { exportModel } from '../../src/export/exportModel.js';
import type { TorchPython } from '../../src/export/python.js';
import { readTensorBundle } from '../../src/export/torchWeights.js';
import { writeIdxFixture } from '../data/fixtures.js';
import { checked, scratchDir, testPython, testWeights } from './helpers.js';

// train.py data-parallel: 2 processes (gloo, DistributedSampler, synchronised batch norm, each process half of every
// batch) end a few steps with the weights and moving statistics that 1 process reaches on the whole batches.
// Launched as netc launches them (and as torchrun would): MASTER_ADDR/PORT, WORLD_SIZE, RANK, LOCAL_RANK.

// Both batch norms (PyTorch's, netc's from-scratch one) on both ranks, a residual join, no dropout (random per process).
const source = `model ddp
input 1x28x28
train batch=32 lr=0.3 optimizer=momentum momentum=0.9
conv 4 k5 s2 | bn | sigmoid | avgpool 2
residual { conv 4 k3 p1 | bn impl=scratch | relu }
flatten
dense 16 | bn | relu
dense 10
`;

let python: TorchPython;
let root: string;
let data: string;
let initialMean: Float32Array;

beforeAll(async () => {
  python = testPython();
  root = scratchDir('ddp');
  data = join(root, 'data');
  writeIdxFixture(data, { train: 256, test: 40 });
  const model = checked('ddp.net', source);
  const weights = testWeights(model);
  initialMean = weights.find((w) => w.name === 'bn_2/moving_mean')!.values;
  const input = {
    model,
    weights,
    bn: null,
    recipe: { epochs: 1, batch: 32, lr: 0.3, optimizer: 'momentum' as const, momentum: 0.9, seed: 5, dataset: 'fashion-mnist' },
    source: 'ddp.net',
    netcVersion: 'test',
  };
  await exportModel(input, 'pytorch', join(root, 'export'), { python: () => python });
}, 120_000);

/** Runs train.py in `world` processes for `steps` steps; resolves with rank 0's last JSON event. */
async function train(world: number, steps: number, out: string): Promise<Record<string, number>> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  const args = [join(root, 'export', 'train.py'), '--netc-events', '--data', data, '--out', out, '--max-steps', String(steps), '--cpu'];
  const runs = Array.from({ length: world }, (_, rank) => {
    const env = { ...process.env, MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), WORLD_SIZE: String(world), RANK: String(rank), LOCAL_RANK: String(rank), OMP_NUM_THREADS: '1' };
    const child = spawn(python.path, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  });
  const results = await Promise.all(runs);
  for (const r of results) expect(r.stderr).not.toMatch(/Traceback/);
  expect(results.map((r) => r.code)).toEqual(results.map(() => 0));
  const events = results[0]!.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, number> & { event: string });
  const last = events[events.length - 1]!;
  expect(last.event).toBe('stopped');
  return last;
}

test('2 processes equal 1 process on the whole batch within 1e-4 after 4 steps (weights and moving statistics)', async () => {
  const [one, two] = [join(root, 'one'), join(root, 'two')];
  const single = await train(1, 4, one);
  const pair = await train(2, 4, two);
  // The epoch's sums cover the same examples: 4 batches of 32.
  expect(single['examples']).toBe(128);
  expect(pair['examples']).toBe(128);
  expect(Math.abs(single['lossSum']! - pair['lossSum']!)).toBeLessThan(1e-3);
  expect(pair['correct']).toBe(single['correct']);

  const a = new Map(readTensorBundle(one).map((w) => [w.name, w]));
  const b = new Map(readTensorBundle(two).map((w) => [w.name, w]));
  expect([...b.keys()]).toEqual([...a.keys()]);
  let most = 0;
  for (const [key, w] of a) for (let i = 0; i < w.values.length; i++) most = Math.max(most, Math.abs(w.values[i]! - b.get(key)!.values[i]!));
  expect(most).toBeLessThan(1e-4);
  // Training moved them: the comparison is not of two untouched copies.
  const trained = a.get('bn_2.running_mean')!.values;
  expect(Math.max(...initialMean.map((v, i) => Math.abs(v - trained[i]!)))).toBeGreaterThan(1e-3);
  expect(a.get('dense_10.weight')!.values.length).toBe(16 * 144);
  expect(a.get('bn_2.num_batches_tracked')!.values[0]).toBe(4);
}, 240_000);
