import { expect, test } from 'vitest';
import { formatShape, fromChannelsLast, isFlat, isImage, layoutOf, toChannelsLast } from '../../src/ir/layout.js';

test.each([
  { shape: [784], kind: 'flat', axes: 'F', batchNorm: 'BatchNorm1d', channelsLast: [784] },
  { shape: [6, 28, 24], kind: 'image', axes: 'C x H x W', batchNorm: 'BatchNorm2d', channelsLast: [28, 24, 6] },
])('$shape is $kind ($axes), channels-last $channelsLast', ({ shape, kind, axes, batchNorm, channelsLast }) => {
  const layout = layoutOf(shape)!;
  expect(layout).toMatchObject({ kind, axes, batchNorm, rank: shape.length });
  expect(toChannelsLast(shape)).toEqual(channelsLast);
  expect(fromChannelsLast(channelsLast)).toEqual(shape);
  expect(isFlat(shape)).toBe(kind === 'flat');
  expect(isImage(shape)).toBe(kind === 'image');
});

test('ranks the language does not have have no layout and keep their order', () => {
  expect(layoutOf(2)).toBeNull();
  expect(layoutOf([1, 2, 3, 4])).toBeNull();
  expect(toChannelsLast([5, 7])).toEqual([5, 7]);
  expect(formatShape([16, 4, 4])).toBe('16x4x4');
});
