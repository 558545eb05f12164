import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { resolveHyperparameters } from '../../src/train/hyperparameters.js';
import { resumedHyperparameters } from '../../src/train/resume.js';
import { ensureRunDir, newRunDir, newRunDirProblem, runTimestamp } from '../../src/train/runDirectory.js';

const saved = resolveHyperparameters({ epochs: 2, batch: 64 }, { optimizer: 'momentum', seed: 3 });

describe('resume policy', () => {
  test('epochs, lr, patience and keep may change; everything else keeps the checkpoint', () => {
    expect(resumedHyperparameters(saved, { epochs: 5, lr: 0.01 })).toEqual({ ok: true, hyperparameters: { ...saved, epochs: 5, lr: 0.01 } });
    expect(resumedHyperparameters(saved, { patience: 3, keep: 'best' })).toEqual({ ok: true, hyperparameters: { ...saved, patience: 3, keep: 'best' } });
    expect(resumedHyperparameters(saved, {})).toEqual({ ok: true, hyperparameters: saved });
    // Restating a saved value is no change.
    expect(resumedHyperparameters(saved, { batch: 64, optimizer: 'momentum', seed: 3 }).ok).toBe(true);
  });

  test.each([
    ['batch', 128, '--batch 128 differs from the run\'s batch (64)'],
    ['optimizer', 'adam', '--optimizer adam differs from the run\'s optimizer (momentum)'],
    ['bn', 'scratch', '--bn scratch differs from the run\'s bn (none)'],
    ['schedule', 'cosine', '--schedule cosine differs from the run\'s schedule (constant)'],
    ['labelSmoothing', 0.1, '--label-smoothing 0.1 differs from the run\'s labelSmoothing (0)'],
    ['dataset', 'cifar10', '--dataset cifar10 differs from the run\'s dataset (fashion-mnist)'],
  ] as const)('--%s is refused with the saved value', (key, value, message) => {
    const result = resumedHyperparameters(saved, { [key]: value });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toBe(`${message}; a resumed run keeps it. Only --epochs, --lr, --patience, --keep, --backend and --data may change with --resume.`);
  });
});

describe('run directories', () => {
  test('runs/<model>-<YYYYMMDD-HHMMSS> in local time unless --out names one', () => {
    const when = new Date(2025, 0, 31, 23, 59, 7);
    expect(runTimestamp(when)).toBe('20250131-235907');
    expect(newRunDir(undefined, 'lenet_bn', when)).toBe(join('runs', 'lenet_bn-20250131-235907'));
    expect(newRunDir('out/x', 'lenet_bn', when)).toBe('out/x');
  });

  test('a directory holding a run is refused; a writable one is created', () => {
    expect(newRunDirProblem('r', () => true)).toBe('r already holds a run; continue it with --resume r, or choose another --out.');
    expect(newRunDirProblem('r', () => false)).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'netc-rundir-'));
    try {
      ensureRunDir(join(dir, 'a', 'b'));
      expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
      writeFileSync(join(dir, 'file'), '');
      expect(() => ensureRunDir(join(dir, 'file', 'run'))).toThrow(`Cannot write the run directory ${join(dir, 'file', 'run')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
