import { describe, expect, test } from 'vitest';
import { check } from '../../src/check/check.js';
import { parse } from '../../src/syntax/parse.js';

const source = `train epochs=2
input 3x32x32
conv 8 k3 | relu | globalavgpool
dense 4
`;

const codes = (dataset?: string): string[] =>
  check(parse(source).ast, dataset === undefined ? {} : { dataset }).diagnostics.map((d) => `${d.code} ${d.message}`);

describe('check with the dataset a run trains on', () => {
  test("without it, the file's dataset (the default, fashion-mnist) is the one the class count is held to", () => {
    expect(codes().some((c) => c.startsWith('NN3101') && c.includes('fashion-mnist'))).toBe(true);
  });

  test('a catalogue dataset given by netc train --dataset replaces it', () => {
    expect(codes('cifar10').some((c) => c.startsWith('NN3101') && c.includes('`cifar10` has 10 classes'))).toBe(true);
  });

  test("user data (idx:, folder:, npz:) turns the dataset rules off: its size is known only once read", () => {
    expect(codes('folder:/data/shapes').filter((c) => c.startsWith('NN3101'))).toEqual([]);
  });
});
