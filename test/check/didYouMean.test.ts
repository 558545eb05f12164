import { describe, expect, test } from 'vitest';
import { didYouMean, editDistance, listNames } from '../../src/check/didYouMean.js';

describe('editDistance', () => {
  test.each([
    ['dense', 'dense', 0],
    ['dens', 'dense', 1],
    ['dropuot', 'dropout', 1], // a swap is one edit
    ['kernal', 'kernel', 1],
    ['sigmod', 'sigmoid', 1],
    ['', 'bn', 2],
    ['conv', 'dense', 4],
  ])('%s -> %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('didYouMean', () => {
  const layers = ['conv', 'dense', 'linear', 'bn', 'avgpool', 'maxpool', 'flatten', 'sigmoid', 'relu', 'tanh', 'softmax', 'dropout'];
  test.each([
    ['dens', 'dense'],
    ['flaten', 'flatten'],
    ['maxpol', 'maxpool'],
    ['avgpoll', 'avgpool'],
    ['rleu', 'relu'],
    ['nb', 'bn'],
    ['xyz', undefined],
    ['convolution', undefined],
    ['relu', undefined], // an exact name is not a suggestion
  ])('%s -> %s', (word, expected) => {
    expect(didYouMean(word, layers)).toBe(expected);
  });
});

test('listNames joins quoted names for a sentence', () => {
  expect(listNames(['a'])).toBe('`a`');
  expect(listNames(['a', 'b'])).toBe('`a` or `b`');
  expect(listNames(['a', 'b', 'c'], 'and')).toBe('`a`, `b` and `c`');
});
