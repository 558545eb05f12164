// The one test on the real Fashion-MNIST: Debian's dataset-fashion-mnist, which .ci/run installs.
import { expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadFashionMnist } from '../../src/data/fashionMnist.js';
import { dataFiles, debianDataDir } from '../../src/data/files.js';

const installed = existsSync(join(debianDataDir, 'train-images-idx3-ubyte.gz'));
const skipReason = `${debianDataDir} is absent: install it with \`sudo apt-get install dataset-fashion-mnist\``;
// In CI (.ci/run installs the package and sets CI=true) a missing dataset is a failure, not a skip.
const required = process.env['CI'] === 'true';

test(`real Fashion-MNIST from ${debianDataDir}: 60,000 / 10,000 images of 28x28, 6,000 per class in train`, async (ctx) => {
  if (!installed && required) throw new Error(`CI=true but ${skipReason}`);
  ctx.skip(!installed, skipReason);
  const started = performance.now();
  const data = await loadFashionMnist({ env: {}, download: false });
  const seconds = (performance.now() - started) / 1000;
  console.log(`loaded Fashion-MNIST (train and test) from ${data.source} in ${seconds.toFixed(2)} s`);
  expect(data.source).toBe(debianDataDir);
  expect(data.train).toMatchObject({ count: 60000, rows: 28, cols: 28 });
  expect(data.test).toMatchObject({ count: 10000, rows: 28, cols: 28 });
  expect(data.train.images.length).toBe(60000 * 784);
  const histogram = (labels: Int32Array): number[] => {
    const counts = new Array<number>(10).fill(0);
    for (const label of labels) counts[label]!++;
    return counts;
  };
  expect(histogram(data.train.labels)).toEqual(new Array(10).fill(6000));
  expect(histogram(data.test.labels)).toEqual(new Array(10).fill(1000));
  // Pixels in [0, 1], and the known first labels of the published training set (ankle boot, T-shirt, T-shirt, dress).
  let min = Infinity;
  let max = -Infinity;
  for (const v of data.train.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  expect([min, max]).toEqual([0, 1]);
  expect(Array.from(data.train.labels.subarray(0, 4))).toEqual([9, 0, 0, 3]);
});

test("Debian's copies are the published release: decompressed MD5s match upstream's", (ctx) => {
  ctx.skip(!installed, skipReason);
  // Debian recompresses the .gz files, so their own MD5s differ from the published .gz sums; the contents do not.
  for (const file of dataFiles) {
    const bytes = gunzipSync(readFileSync(join(debianDataDir, `${file.name}.gz`)));
    expect([file.name, createHash('md5').update(bytes).digest('hex')]).toEqual([file.name, file.rawMd5]);
  }
});
