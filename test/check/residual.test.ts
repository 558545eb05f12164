import { describe, expect, test } from 'vitest';
import { joinResidual, projectionStride } from '../../src/check/residual.js';

// An unpadded 1x1 convolution with stride s turns n into floor((n - 1) / s) + 1 = ceil(n / s) (PyTorch's formula).
const conv1x1 = (n: number, s: number): number => Math.floor((n - 1) / s) + 1;

describe('projectionStride', () => {
  test.each([
    [28, 28, 1],
    [28, 14, 2],
    [7, 4, 2],
    [14, 7, 2],
    [9, 3, 3],
    [10, 4, 3],
    [5, 1, 5],
    [2_000_000_000, 1_000_000_000, 2],
  ])('%i to %i: stride %i', (from, to, stride) => {
    expect(projectionStride(from, to)).toBe(stride);
    expect(conv1x1(from, stride)).toBe(to);
  });

  test.each([
    [28, 24],
    [7, 8],
    [10, 6],
    [5, 0],
  ])('%i to %i: no stride', (from, to) => {
    expect(projectionStride(from, to)).toBeNull();
    for (let s = 1; s <= from; s++) expect(conv1x1(from, s)).not.toBe(to);
  });

  test('agrees with a search over every stride for every size up to 64', () => {
    for (let from = 1; from <= 64; from++) {
      for (let to = 1; to <= 64; to++) {
        const strides = Array.from({ length: from }, (_, i) => i + 1).filter((s) => conv1x1(from, s) === to);
        expect(projectionStride(from, to), `${from} -> ${to}`).toBe(strides[0] ?? null);
      }
    }
  });
});

describe('joinResidual', () => {
  test('equal shapes join directly, with or without proj', () => {
    expect(joinResidual([16, 7, 7], [16, 7, 7], false)).toEqual({ kind: 'same' });
    expect(joinResidual([16, 7, 7], [16, 7, 7], true)).toEqual({ kind: 'same' });
    expect(joinResidual([10], [10], true)).toEqual({ kind: 'same' });
  });

  test('proj on maps: a 1x1 convolution to the body\'s channels, with its stride, without bias', () => {
    expect(joinResidual([16, 14, 14], [32, 7, 7], true)).toEqual({
      kind: 'project',
      op: 'conv',
      args: { out: 32, kernel: [1, 1], stride: [2, 2], pad: [0, 0], bias: false },
    });
  });

  test('proj on flat vectors: a dense layer without bias', () => {
    expect(joinResidual([12], [20], true)).toEqual({ kind: 'project', op: 'dense', args: { out: 20, bias: false } });
  });

  test.each([
    [[16, 14, 14], [32, 7, 7], false, 'NN3005'],
    [[12], [20], false, 'NN3005'],
    [[1, 4, 4], [16], true, 'NN3006'],
    [[16], [4, 2, 2], false, 'NN3006'],
    [[1, 28, 28], [4, 24, 24], true, 'NN3007'],
    [[1, 8, 8], [1, 9, 9], true, 'NN3007'],
  ] as const)('%j to %j (proj %s): %s', (skip, body, proj, code) => {
    const join = joinResidual(skip, body, proj);
    expect(join).toMatchObject({ kind: 'error', code });
  });
});
