import { describe, expect, test } from 'vitest';
import { EpochProgress } from '../../src/train/progress.js';

function sums(batchesDone: number, seconds: number) {
  return { batchesDone, examples: batchesDone * 100, lossSum: batchesDone * 100 * 0.5, correct: batchesDone * 80, trainSeconds: seconds };
}

describe('EpochProgress', () => {
  test('on a terminal: a bar redrawn with \\r, at most every 100 ms, cleared at the end', () => {
    let now = 0;
    let written = '';
    const progress = new EpochProgress({ write: (t) => (written += t), isTTY: true, now: () => now });
    progress.start(2, 10, 50);
    for (let b = 1; b <= 50; b++) {
      now += 10; // 10 ms per batch: 500 ms in all, so about 5 redraws plus the final one
      progress.update(sums(b, b * 0.01));
    }
    progress.finish();
    const draws = written.split('\r').filter((part) => part.startsWith('epoch'));
    expect(draws.length).toBeGreaterThanOrEqual(5);
    expect(draws.length).toBeLessThanOrEqual(7);
    expect(draws[0]).toMatch(/^epoch 2\/10 \[=*>? *\] 1\/50 +10,000 ex\/s +loss 0\.500 +acc 0\.800 +ETA 0:00/);
    expect(draws[draws.length - 1]).toContain('50/50');
    expect(written.endsWith('\r\x1b[K')).toBe(true);
    expect(written).not.toContain('\n');
  });

  test('in a log: nothing for a fast epoch, and no \\r at all', () => {
    let now = 0;
    let written = '';
    const progress = new EpochProgress({ write: (t) => (written += t), isTTY: false, now: () => now });
    progress.start(1, 3, 20);
    for (let b = 1; b <= 20; b++) {
      now += 100;
      progress.update(sums(b, b * 0.1));
    }
    progress.finish();
    expect(written).toBe('');
  });

  test('in a log: a slow epoch gets a plain line about every 30 s, with an ETA', () => {
    let now = 0;
    let written = '';
    const progress = new EpochProgress({ write: (t) => (written += t), isTTY: false, now: () => now });
    progress.start(1, 3, 100);
    for (let b = 1; b <= 100; b++) {
      now += 1000; // one second a batch: 100 s, so three lines
      progress.update(sums(b, b));
    }
    const lines = written.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('  epoch 1/3: batch 30/100, loss 0.500, train acc 0.800, 100 examples/sec, about 1:10 left in this epoch');
    expect(written).not.toContain('\r');
  });

  test('the bar never reaches the terminal\'s last column', () => {
    let written = '';
    const progress = new EpochProgress({ write: (t) => (written += t), isTTY: true, now: () => 0, columns: 40 });
    progress.start(1, 1, 10);
    progress.update(sums(1, 1));
    const line = written.split('\r')[1]!.replace('\x1b[K', '');
    expect(line.length).toBe(39);
  });
});
