import { describe, expect, test } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { loadFashionMnist, subset, type ImageSet } from '../../src/data/fashionMnist.js';
import { encodeIdxImages, encodeIdxLabels, syntheticSplit, seededRandom, writeIdxFixture } from './fixtures.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'netc-fmnist-'));
}

async function loadError(dir: string): Promise<NetcError> {
  try {
    await loadFashionMnist({ dataDir: dir, env: {}, systemDir: null, download: false });
  } catch (error) {
    if (error instanceof NetcError) return error;
    throw error;
  }
  throw new Error('expected a NetcError');
}

describe('loadFashionMnist on synthetic files', () => {
  test('loads both splits from --data: counts, 28x28, pixels as b / 255, labels as integers', async () => {
    const dir = scratch();
    const fixture = writeIdxFixture(dir, { train: 300, test: 100, seed: 7 });
    const data = await loadFashionMnist({ dataDir: dir, env: {}, systemDir: null, download: false });
    expect(data.name).toBe('fashion-mnist');
    expect(data.source).toBe(dir);
    expect(data.classes).toBe(10);
    expect(data.classNames).toHaveLength(10);
    expect(data.classNames[9]).toBe('Ankle boot');
    for (const [set, split] of [[data.train, fixture.train], [data.test, fixture.test]] as const) {
      expect(set).toMatchObject({ count: split.count, rows: 28, cols: 28 });
      expect(set.images).toBeInstanceOf(Float32Array);
      expect(set.images.length).toBe(split.count * 784);
      expect(set.labels).toBeInstanceOf(Int32Array);
      expect(Array.from(set.labels)).toEqual(Array.from(split.labels));
      for (const i of [0, 1, 783, 784, 5000, set.images.length - 1]) {
        expect(set.images[i]).toBe(Math.fround(split.pixels[i]! / 255));
      }
    }
  });

  test('loads uncompressed files too, through NETC_DATA', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 20, test: 10, gzip: false });
    const data = await loadFashionMnist({ env: { NETC_DATA: dir }, systemDir: null, cacheDir: scratch(), download: false });
    expect(data.train.count).toBe(20);
    expect(data.source).toBe(dir);
  });

  test('swapped files: an images file under a labels name is refused, naming the file', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 20, test: 10 });
    copyFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
    const error = await loadError(dir);
    expect(error.code).toBe('NN5002');
    expect(error.message).toContain(`'${join(dir, 't10k-labels-idx1-ubyte.gz')}' is an IDX images file`);
    expect(error.message).toContain('swapped or misnamed');
  });

  test('a truncated .gz is refused, naming the file, with a fix for where it lives', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 200, test: 10 });
    const path = join(dir, 'train-images-idx3-ubyte.gz');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    const error = await loadError(dir);
    expect(error.code).toBe('NN5002');
    expect(error.message).toMatch(/train-images-idx3-ubyte\.gz' is truncated: its gzip stream ends early/);
    expect(error.message).toContain('Replace it with the published file from http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/');
  });

  test('a corrupt .gz (bytes overwritten in the middle) is refused, naming the file', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 200, test: 10 });
    const path = join(dir, 'train-images-idx3-ubyte.gz');
    const bytes = readFileSync(path);
    bytes.fill(0xa5, bytes.length >> 2, (bytes.length >> 2) + 64);
    writeFileSync(path, bytes);
    const error = await loadError(dir);
    expect(error.code).toBe('NN5002');
    expect(error.message).toMatch(/train-images-idx3-ubyte\.gz' is corrupt: gzip reports "/);
  });

  test('images of the wrong size are refused', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 20, test: 10, rows: 32, cols: 32 });
    const error = await loadError(dir);
    expect(error.code).toBe('NN5002');
    expect(error.message).toMatch(/images-idx3-ubyte\.gz' holds images of 32x32; Fashion-MNIST's are 28x28/);
  });

  test('a label of 10 or more is refused with its position', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 20, test: 10 });
    const labels = new Uint8Array(20).fill(3);
    labels[17] = 12;
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdxLabels(labels)));
    const error = await loadError(dir);
    expect(error.message).toMatch(/train-labels-idx1-ubyte\.gz' has label 12 at position 17; Fashion-MNIST's labels are 0 to 9/);
  });

  test('images and labels of different counts are refused, naming both', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 20, test: 10 });
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdxLabels(new Uint8Array(11))));
    const error = await loadError(dir);
    expect(error.message).toMatch(/t10k-images-idx3-ubyte\.gz' holds 10 images but '.*t10k-labels-idx1-ubyte\.gz' holds 11 labels: they are not a pair/);
  });

  test('a header that promises more images than the file holds is refused', async () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 20, test: 10 });
    const { pixels } = syntheticSplit(10, seededRandom(3));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(encodeIdxImages(12, 28, 28, pixels)));
    const error = await loadError(dir);
    expect(error.message).toMatch(/t10k-images-idx3-ubyte\.gz' is truncated: its header promises 12 images of 28x28 \(9,424 bytes\) but it holds 7,856/);
  });
});

describe('subset', () => {
  const set: ImageSet = {
    images: Float32Array.from({ length: 5 * 4 }, (_, i) => i),
    labels: Int32Array.from([0, 1, 2, 3, 4]),
    count: 5,
    rows: 2,
    cols: 2,
  };
  test('keeps the first n examples, copied', () => {
    const first = subset(set, 2);
    expect(first.count).toBe(2);
    expect(Array.from(first.images)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(first.labels)).toEqual([0, 1]);
    expect(first.images.buffer).not.toBe(set.images.buffer);
  });
  test('clamps to the set size and refuses a negative or fractional size', () => {
    expect(subset(set, 99).count).toBe(5);
    expect(subset(set, 0).images.length).toBe(0);
    expect(() => subset(set, -1)).toThrow(RangeError);
    expect(() => subset(set, 1.5)).toThrow(RangeError);
  });
});

test('the synthetic fixture is learnable: nearest class mean on train classifies test well above chance', () => {
  const fixture = writeIdxFixture(scratch(), { train: 500, test: 200, seed: 11 });
  const size = 784;
  const means = Array.from({ length: 10 }, () => new Float64Array(size));
  const counts = new Array<number>(10).fill(0);
  for (let n = 0; n < fixture.train.count; n++) {
    const label = fixture.train.labels[n]!;
    counts[label]!++;
    for (let p = 0; p < size; p++) means[label]![p]! += fixture.train.pixels[n * size + p]!;
  }
  means.forEach((m, c) => m.forEach((v, p) => (m[p] = v / counts[c]!)));
  let correct = 0;
  for (let n = 0; n < fixture.test.count; n++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < 10; c++) {
      let d = 0;
      for (let p = 0; p < size; p++) d += (fixture.test.pixels[n * size + p]! - means[c]![p]!) ** 2;
      if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    if (best === fixture.test.labels[n]) correct++;
  }
  expect(counts).toEqual(new Array(10).fill(50));
  expect(correct / fixture.test.count).toBeGreaterThan(0.9);
});

test('the fixture is repeatable: the same seed writes the same bytes, another seed different ones', () => {
  const a = writeIdxFixture(scratch(), { train: 30, test: 10, seed: 5 });
  const b = writeIdxFixture(scratch(), { train: 30, test: 10, seed: 5 });
  const c = writeIdxFixture(scratch(), { train: 30, test: 10, seed: 6 });
  expect(readFileSync(a.paths['train-images-idx3-ubyte']!)).toEqual(readFileSync(b.paths['train-images-idx3-ubyte']!));
  expect(Array.from(a.train.pixels)).not.toEqual(Array.from(c.train.pixels));
});
