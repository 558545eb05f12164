import { describe, expect, test } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { decodeIdx, decompressIfGzip, readIdxFile, scalePixels } from '../../src/data/idx.js';
import { encodeIdxImages, encodeIdxLabels } from './fixtures.js';

function caught(fn: () => unknown): NetcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NetcError) return error;
    throw error;
  }
  throw new Error('expected a NetcError');
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<NetcError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof NetcError) return error;
    throw error;
  }
  throw new Error('expected a NetcError');
}

const pixels = Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => i * 4);
const images = encodeIdxImages(3, 4, 5, pixels);
const labels = encodeIdxLabels(Uint8Array.from([7, 0, 9]));

describe('decodeIdx', () => {
  test('decodes an images file: header sizes and the pixel bytes after it', () => {
    const decoded = decodeIdx(images, 'x', 'images');
    expect(decoded).toMatchObject({ kind: 'images', count: 3, rows: 4, cols: 5 });
    expect(Array.from(decoded.pixels)).toEqual(Array.from(pixels));
  });

  test('decodes a labels file', () => {
    const decoded = decodeIdx(labels, 'y', 'labels');
    expect(decoded.count).toBe(3);
    expect(Array.from(decoded.labels)).toEqual([7, 0, 9]);
  });

  const bad: [string, Uint8Array, 'images' | 'labels', RegExp][] = [
    ['a labels file where images are expected', labels, 'images', /is an IDX labels file \(magic number 2049\) where the images file \(magic 2051\) was expected: the files are swapped/],
    ['an images file where labels are expected', images, 'labels', /is an IDX images file \(magic number 2051\) where the labels file/],
    ['an empty file', new Uint8Array(0), 'images', /too short to be an IDX images file: 0 bytes/],
    ['text', new TextEncoder().encode('hello world'), 'labels', /is not an IDX file: it starts with bytes 68 65 6c 6c/],
    ['an IDX file of floats', Uint8Array.from([0, 0, 0x0d, 3, 0, 0, 0, 1]), 'images', /has magic number 3331 \(0x00000d03\), not 2051/],
    ['a header cut short', images.subarray(0, 10), 'images', /is truncated: 10 bytes, shorter than its 16-byte header/],
    ['a body cut short', images.subarray(0, images.length - 1), 'images', /is truncated: its header promises 3 images of 4x5 \(76 bytes\) but it holds 75/],
    ['labels cut short', labels.subarray(0, 9), 'labels', /is truncated: its header promises 3 labels \(11 bytes\) but it holds 9/],
    ['trailing bytes', Uint8Array.from([...labels, 1, 2]), 'labels', /is 2 bytes longer than its header promises \(3 labels, 11 bytes\)/],
    ['no images', encodeIdxImages(0, 28, 28, new Uint8Array(0)), 'images', /holds no data: its header says 0 images of 28x28/],
  ];
  test.each(bad)('refuses %s with NN5002 naming the file', (_name, bytes, kind, message) => {
    const error = caught(() => decodeIdx(bytes, '/data/some-file', kind, 'Fix it.'));
    expect(error.code).toBe('NN5002');
    expect(error.message).toMatch(/^'\/data\/some-file' /);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/Fix it\.$/);
  });
});

describe('decompressIfGzip', () => {
  const gz = gzipSync(labels);

  test('gunzips gzip bytes whatever the name, and passes plain IDX bytes through', async () => {
    expect(Array.from(await decompressIfGzip(gz, 'labels'))).toEqual(Array.from(labels));
    expect(await decompressIfGzip(labels, 'labels.gz')).toBe(labels);
  });

  test('a truncated gzip stream is NN5002 "truncated"', async () => {
    const error = await caughtAsync(() => decompressIfGzip(gz.subarray(0, gz.length - 6), 'f.gz'));
    expect(error.code).toBe('NN5002');
    expect(error.message).toMatch(/^'f\.gz' is truncated: its gzip stream ends early/);
  });

  test('a damaged gzip stream is NN5002 "corrupt" with zlib\'s reason', async () => {
    const damaged = Uint8Array.from(gz);
    // Flip the stored CRC: the data inflates but fails its check.
    damaged[damaged.length - 8]! ^= 0xff;
    const error = await caughtAsync(() => decompressIfGzip(damaged, 'f.gz'));
    expect(error.code).toBe('NN5002');
    expect(error.message).toMatch(/^'f\.gz' is corrupt: gzip reports "incorrect data check"/);
  });

  test('a .gz that is an HTML page says so', async () => {
    const page = new TextEncoder().encode('<!DOCTYPE html><title>404</title>');
    const error = await caughtAsync(() => decompressIfGzip(page, 'train-images-idx3-ubyte.gz'));
    expect(error.message).toMatch(/is neither gzip-compressed nor an IDX file: it starts with bytes 3c 21 44 4f \(it looks like an HTML or XML page\)/);
  });
});

test('readIdxFile reads a compressed file from disk, and names an unreadable one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netc-idx-'));
  const path = join(dir, 'train-images-idx3-ubyte.gz');
  writeFileSync(path, gzipSync(images));
  const decoded = await readIdxFile(path, 'images');
  expect(decoded.count).toBe(3);
  const error = await caughtAsync(() => readIdxFile(join(dir, 'nothing.gz'), 'labels'));
  expect(error.code).toBe('NN5002');
  expect(error.message).toMatch(/nothing\.gz' cannot be read: ENOENT/);
});

describe('scalePixels', () => {
  test('every byte value becomes float32(b / 255), as float32 division in PyTorch', () => {
    const all = Uint8Array.from({ length: 256 }, (_, b) => b);
    const scaled = scalePixels(all);
    for (let b = 0; b < 256; b++) expect(scaled[b]).toBe(Math.fround(Math.fround(b) / Math.fround(255)));
    expect(scaled[0]).toBe(0);
    expect(scaled[255]).toBe(1);
  });

  test('unaligned views and lengths that are not a multiple of 4 give the same values', () => {
    const bytes = Uint8Array.from({ length: 23 }, (_, i) => (i * 37) % 256);
    const expected = Array.from(bytes, (b) => Math.fround(b / 255));
    expect(Array.from(scalePixels(bytes))).toEqual(expected);
    expect(Array.from(scalePixels(bytes.subarray(1)))).toEqual(expected.slice(1));
    expect(Array.from(scalePixels(bytes.subarray(4, 11)))).toEqual(expected.slice(4, 11));
  });
});
