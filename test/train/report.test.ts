import { describe, expect, test } from 'vitest';
import { formatDuration, formatEpochLine, formatFinalLines } from '../../src/train/report.js';

describe('report lines', () => {
  const record = { epoch: 3, loss: 0.40412, trainAcc: 0.85108, testAcc: 0.8061, examplesPerSec: 2103.4 };

  test('the epoch line has the issue\'s exact form', () => {
    expect(formatEpochLine(record, 10, 'wasm')).toBe(
      'epoch 3/10: loss 0.404, train acc 0.851, test acc 0.806, 2,103 examples/sec on wasm',
    );
  });

  test('the closing lines are the seed\'s two lines', () => {
    expect(formatFinalLines(record, 2103.44, 'wasm (CPU)')).toBe(
      'loss 0.404, train acc 0.851, test acc 0.806\n2103.4 examples/sec on wasm (CPU)\n',
    );
  });

  test.each([
    [0, '0:00'],
    [59.4, '0:59'],
    [65, '1:05'],
    [3723, '1:02:03'],
  ])('formatDuration(%s) = %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
