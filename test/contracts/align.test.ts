import { describe, expect, test } from 'vitest';
import { alignRows, commonSubsequence } from '../../src/contracts/align.js';

/** Rows written `op:args`; the op is the part before the colon. */
const align = (a: string[], b: string[]) =>
  alignRows(a, b, (row) => row, (row) => row.split(':')[0]!).map((step) =>
    step.kind === 'same' || step.kind === 'changed' ? `${step.kind} ${a[step.a]}/${b[step.b]}` : step.kind === 'removed' ? `- ${a[step.a]}` : `+ ${b[step.b]}`,
  );

describe('alignRows', () => {
  test('an argument change pairs the two layers as changed, the rest kept', () => {
    expect(align(['conv:6', 'bn', 'relu', 'conv:16'], ['conv:8', 'bn', 'relu', 'conv:16'])).toEqual([
      'changed conv:6/conv:8',
      'same bn/bn',
      'same relu/relu',
      'same conv:16/conv:16',
    ]);
  });

  test('an inserted layer is one added row; a deleted one is one removed row', () => {
    expect(align(['dense:84', 'bn', 'dense:10'], ['dense:84', 'bn', 'dropout:0.3', 'dense:10'])).toEqual([
      'same dense:84/dense:84',
      'same bn/bn',
      '+ dropout:0.3',
      'same dense:10/dense:10',
    ]);
    expect(align(['conv:6', 'bn', 'sigmoid', 'avgpool:2'], ['conv:6', 'sigmoid', 'avgpool:2'])).toEqual([
      'same conv:6/conv:6',
      '- bn',
      'same sigmoid/sigmoid',
      'same avgpool:2/avgpool:2',
    ]);
  });

  test('a replaced layer of another kind is removed and added, not changed', () => {
    expect(align(['conv:6', 'sigmoid', 'avgpool:2'], ['conv:6', 'relu', 'avgpool:2'])).toEqual([
      'same conv:6/conv:6',
      '- sigmoid',
      '+ relu',
      'same avgpool:2/avgpool:2',
    ]);
  });

  test('moved blocks keep the longest common run; empty sides', () => {
    expect(align([], ['relu'])).toEqual(['+ relu']);
    expect(align(['relu'], [])).toEqual(['- relu']);
    expect(align(['a', 'b', 'c', 'd'], ['c', 'd', 'a', 'b'])).toHaveLength(6);
  });

  test('commonSubsequence finds a longest one', () => {
    const a = 'ABCBDAB'.split('');
    const b = 'BDCABA'.split('');
    const pairs = commonSubsequence(a, b);
    expect(pairs).toHaveLength(4);
    for (const [i, j] of pairs) expect(a[i]).toBe(b[j]);
    // Strictly increasing on both sides.
    for (let k = 1; k < pairs.length; k++) {
      expect(pairs[k]![0]).toBeGreaterThan(pairs[k - 1]![0]);
      expect(pairs[k]![1]).toBeGreaterThan(pairs[k - 1]![1]);
    }
  });
});
