import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { netc, workspace } from '../cli/trainHelpers.js';
import { writeCifarFixture } from '../data/userFixtures.js';

// The fast path changes how netc computes, not what: `netc train --seed S` for 2 epochs gives the same loss curve
// with it on and off (within 1e-3), and the scratch and built-in batch norms still agree, on each backend.

const modelsDir = join(import.meta.dirname, '..', '..', 'models');
const lenetBn = readFileSync(join(modelsDir, 'lenet-bn.net'), 'utf8');

/** The CLI reads NETC_FAST_PATH once per command and passes the fast path down from there. */
function setFastPath(on: boolean): void {
  if (on) delete process.env['NETC_FAST_PATH'];
  else process.env['NETC_FAST_PATH'] = '0';
}

/**
 * Trains models/lenet-bn.net for 2 epochs of 2 batches on synthetic images (256 a batch on wasm, 128 on the slower
 * cpu backend); returns the epochs' losses.
 */
async function lossCurve(backend: 'wasm' | 'cpu', fast: boolean, bn: 'builtin' | 'scratch', threads = 1): Promise<{ losses: number[]; out: string }> {
  setFastPath(fast);
  const batch = backend === 'wasm' ? 256 : 128;
  const ws = workspace(lenetBn, { train: 2 * batch, test: 64 });
  const out = join(ws.dir, 'run');
  const r = await netc([
    'train', ws.net, '--data', ws.data, '--seed', '7', '--epochs', '2', '--subset', String(2 * batch), '--batch', String(batch),
    '--backend', backend, '--bn', bn, '--out', out, '--threads', String(threads),
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  // curves.csv: a header, then epoch,loss,train_acc,test_acc with every digit the run computed.
  const rows = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n').slice(1);
  return { losses: rows.map((line) => Number(line.split(',')[1])), out: r.out };
}

afterAll(() => setFastPath(true));

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`netc train on ${backend}, fast path on and off`, () => {
    test('the same loss curves for built-in and scratch batch norm, and both batch norms agree', async () => {
      const curves: Record<string, number[]> = {};
      for (const bn of ['builtin', 'scratch'] as const) {
        for (const fast of [false, true]) {
          const { losses, out } = await lossCurve(backend, fast, bn);
          expect(losses).toHaveLength(2);
          expect(out).toContain(fast ? 'netc fast path on' : `trains on ${backend}`);
          if (!fast) expect(out).not.toContain('netc fast path on');
          curves[`${bn} ${fast ? 'on' : 'off'}`] = losses;
        }
      }
      const base = curves['builtin off']!;
      // It trained: the second epoch's loss is below the first's.
      expect(base[1]!).toBeLessThan(base[0]!);
      for (const [name, losses] of Object.entries(curves)) {
        losses.forEach((loss, i) => expect(Math.abs(loss - base[i]!), `${name}, epoch ${i + 1}`).toBeLessThan(1e-3));
      }
    });
  });
}

describe('every model in models/: the same loss curve with the fast path on and off (wasm)', () => {
  // Small batches keep it cheap: 2 epochs of 2 batches of 32, each model's own optimizer and learning rate.
  test.each(readdirSync(modelsDir).filter((f) => f.endsWith('.net')).sort())('%s', async (file) => {
    const source = readFileSync(join(modelsDir, file), 'utf8');
    const curves: number[][] = [];
    for (const fast of [false, true]) {
      setFastPath(fast);
      const ws = workspace(source, { train: 64, test: 32 });
      // The workspace holds Fashion-MNIST-shaped files; a model trained on CIFAR-10 gets a small CIFAR-10 archive there.
      if (/dataset=cifar10\b/.test(source)) writeCifarFixture(ws.data, 64, 32);
      const out = join(ws.dir, 'run');
      const r = await netc([
        'train', ws.net, '--data', ws.data, '--seed', '3', '--epochs', '2', '--subset', '64', '--batch', '32', '--backend', 'wasm', '--out', out,
        '--threads', '1',
      ]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      curves.push(readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n').slice(1).map((line) => Number(line.split(',')[1])));
    }
    const [off, on] = curves as [number[], number[]];
    expect(off).toHaveLength(2);
    expect(off.every(Number.isFinite)).toBe(true);
    on.forEach((loss, i) => expect(Math.abs(loss - off[i]!), `epoch ${i + 1}: off ${off[i]}, on ${loss}`).toBeLessThan(1e-3));
  });
});

describe('netc train --threads', () => {
  test('2 threads (synchronised batch norm) give the loss curve of 1 thread on wasm, and say so', async () => {
    const one = await lossCurve('wasm', true, 'builtin', 1);
    const two = await lossCurve('wasm', true, 'builtin', 2);
    expect(one.out).toContain('trains on 1 thread');
    expect(two.out).toContain('trains on 2 threads (data-parallel, synchronised batch norm)');
    two.losses.forEach((loss, i) => expect(Math.abs(loss - one.losses[i]!), `epoch ${i + 1}`).toBeLessThan(1e-3));
  });

  test('usage mistakes are one line: a bad count, or threads without the fast path', async () => {
    const ws = workspace(lenetBn, { train: 64, test: 16 });
    const bad = await netc(['train', ws.net, '--data', ws.data, '--threads', 'two']);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toContain('--threads must be auto or a whole number above 0, got two.');
    setFastPath(false);
    const off = await netc(['train', ws.net, '--data', ws.data, '--backend', 'wasm', '--threads', '2', '--out', join(ws.dir, 'off')]);
    setFastPath(true);
    expect(off.code).not.toBe(0);
    expect(off.err).toContain("--threads needs netc's fast path");
    expect(off.err).not.toMatch(/\n\s+at /);
  });
});
