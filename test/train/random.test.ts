import { describe, expect, test } from 'vitest';
import { isRngState, permutation, Rng } from '../../src/train/random.js';

describe('Rng', () => {
  test('the same seed gives the same stream; nearby seeds give different ones', () => {
    const a = Rng.fromSeed(42);
    const b = Rng.fromSeed(42);
    const c = Rng.fromSeed(43);
    const draw = (rng: Rng): number[] => Array.from({ length: 8 }, () => rng.nextUint32());
    const first = draw(a);
    expect(draw(b)).toEqual(first);
    expect(draw(c)).not.toEqual(first);
  });

  test('a generator rebuilt from its saved state continues the same stream', () => {
    const rng = Rng.fromSeed(7);
    for (let i = 0; i < 100; i++) rng.nextUint32();
    const saved = rng.state();
    const expected = Array.from({ length: 5 }, () => rng.nextUint32());
    const restored = new Rng(JSON.parse(JSON.stringify(saved)) as typeof saved);
    expect(Array.from({ length: 5 }, () => restored.nextUint32())).toEqual(expected);
  });

  test('nextBelow is uniform enough: each of 10 values within 5% of its share over 100,000 draws', () => {
    const rng = Rng.fromSeed(1);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.nextBelow(10)]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  test('isRngState accepts four uint32 words only', () => {
    const rng = Rng.fromSeed(3);
    // Every state along the stream, not only the first, must pass: a checkpoint may be taken at any point.
    for (let i = 0; i < 1000; i++) {
      rng.nextUint32();
      expect(isRngState(rng.state())).toBe(true);
    }
    expect(isRngState([1, 2, 3])).toBe(false);
    expect(isRngState([1, 2, 3, -1])).toBe(false);
    expect(isRngState([1, 2, 3, 2 ** 32])).toBe(false);
    expect(isRngState('abcd')).toBe(false);
  });
});

describe('permutation', () => {
  test('is a permutation of 0..n-1 and differs between draws', () => {
    const rng = Rng.fromSeed(5);
    const p1 = permutation(1000, rng);
    const p2 = permutation(1000, rng);
    expect([...p1].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p1]).not.toEqual([...p2]);
  });

  test('each position is equally likely to receive each element (n = 4, 40,000 draws)', () => {
    const rng = Rng.fromSeed(9);
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (let i = 0; i < 40_000; i++) {
      const p = permutation(4, rng);
      for (let pos = 0; pos < 4; pos++) counts[pos]![p[pos]!]! += 1;
    }
    for (const row of counts) for (const count of row) expect(Math.abs(count - 10_000)).toBeLessThan(400);
  });
});
