import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { debianDataDir } from '../../src/data/files.js';
import { epochLines, netc } from './trainHelpers.js';

// The one test on the real data (Debian's dataset-fashion-mnist, which .ci/run installs). It trains the seed's
// LeNet-BN for one epoch on the first 5,000 training images and tests on all 10,000 test images.
// Not with the seed's sgd lr 1.0 / batch 256: that is 20 steps, and at lr 1.0 the test accuracy swings while the
// moving statistics lag the weights (measured 0.235 after one such epoch, 0.736 after three). Momentum 0.9, lr 0.1,
// batch 64 (79 steps) measured 0.731, 0.712 and 0.700 with seeds 1, 2 and 3 on wasm.
const present = existsSync(join(debianDataDir, 'train-images-idx3-ubyte.gz'));
// In CI (.ci/run installs the package and sets CI=true) a missing dataset fails the test instead of skipping it.
const required = process.env['CI'] === 'true';
const out = mkdtempSync(join(tmpdir(), 'netc-real-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!present && !required)(`real Fashion-MNIST (${debianDataDir}; skipped when the package is not installed, except in CI)`, () => {
  test('one epoch of LeNet-BN on 5,000 images reaches a test accuracy above 0.6', { timeout: 300_000 }, async () => {
    if (!present) throw new Error(`CI=true but ${debianDataDir} is absent: .ci/run installs dataset-fashion-mnist`);
    const result = await netc([
      'train',
      'models/lenet-bn.net',
      '--data',
      debianDataDir,
      '--epochs',
      '1',
      '--subset',
      '5000',
      '--optimizer',
      'momentum',
      '--lr',
      '0.1',
      '--batch',
      '64',
      '--seed',
      '1',
      '--out',
      join(out, 'run'),
    ]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const [epoch] = epochLines(result.out);
    expect(result.out).toContain('5,000 training and 10,000 test images');
    expect(epoch!.testAcc).toBeGreaterThan(0.6);
  });
});
