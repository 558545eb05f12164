import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, test } from 'vitest';
import { readCifar10Archive } from '../../src/data/cifar10.js';
import { loadFolder } from '../../src/data/folder.js';
import { idxRole, loadIdxDir } from '../../src/data/idxDir.js';
import { loadNpz } from '../../src/data/npz.js';
import { parseNpy, writeNpy } from '../../src/data/npy.js';
import { readTar, writeTar } from '../../src/data/tar.js';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { writeIdxFixture } from './fixtures.js';
import { cifarRecords, runPython, writeCifarFixture, writeFolderFixture, writePng } from './userFixtures.js';

const root = mkdtempSync(join(tmpdir(), 'netc-userdata-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NetcError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'no error';
}

describe('.npy and .npz', () => {
  test('arrays written by NumPy read back with their dtype, shape and values', () => {
    const dir = join(root, 'npy');
    mkdirSync(dir);
    runPython(
      `import numpy as np\n` +
        `np.save('${dir}/a.npy', np.arange(24, dtype=np.uint8).reshape(2, 3, 4))\n` +
        `np.save('${dir}/b.npy', np.array([[1.5, -2.25]], dtype=np.float32))\n` +
        `np.save('${dir}/c.npy', np.array([7, 0, 3], dtype=np.int64))\n` +
        `np.save('${dir}/f.npy', np.asfortranarray(np.ones((2, 3))))\n`,
    );
    const read = (name: string): ReturnType<typeof parseNpy> => parseNpy(new Uint8Array(readFileSync(join(dir, name))));
    const a = read('a.npy');
    expect([a.dtype, a.shape, Array.from(a.data).slice(20)]).toEqual(['|u1', [2, 3, 4], [20, 21, 22, 23]]);
    const b = read('b.npy');
    expect([b.dtype, b.shape, Array.from(b.data)]).toEqual(['<f4', [1, 2], [1.5, -2.25]]);
    expect(Array.from(read('c.npy').data)).toEqual([7, 0, 3]);
    expect(() => read('f.npy')).toThrow(/Fortran order/);
  });

  test('writeNpy writes what NumPy reads', () => {
    const path = join(root, 'ours.npy');
    writeFileSync(path, writeNpy('<f4', [2, 2], [1, 2.5, -3, 4]));
    expect(runPython(`import numpy as np; a = np.load('${path}'); print(a.dtype, a.shape, a.tolist())`).trim()).toBe('float32 (2, 2) [[1.0, 2.5], [-3.0, 4.0]]');
  });

  test('an .npz of Keras-layout uint8 images (N x H x W x 3, labels N x 1) loads scaled, channels-last', async () => {
    const path = join(root, 'keras.npz');
    runPython(
      `import numpy as np\n` +
        `x = np.arange(5 * 4 * 6 * 3, dtype=np.uint8).reshape(5, 4, 6, 3)\n` +
        `np.savez_compressed('${path}', x_train=x, y_train=np.array([[0], [1], [2], [1], [0]]), x_test=x[:2], y_test=np.array([2, 0]))\n`,
    );
    const data = await loadNpz(path);
    expect([data.train.count, data.train.rows, data.train.cols, data.train.channels]).toEqual([5, 4, 6, 3]);
    expect(Array.from(data.train.labels)).toEqual([0, 1, 2, 1, 0]);
    expect(data.train.images[5]).toBeCloseTo(5 / 255, 6);
    expect(data.classNames).toEqual(['0', '1', '2']);
    expect(data.test.count).toBe(2);
  });

  test('channels-first float images are moved to channels-last', async () => {
    const path = join(root, 'torch.npz');
    runPython(
      `import numpy as np\n` +
        `x = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2) / 100\n` +
        `np.savez('${path}', x_train=x, y_train=np.array([0, 1]), x_test=x, y_test=np.array([1, 0]))\n`,
    );
    const data = await loadNpz(path);
    expect(data.train.channels).toBe(3);
    // Pixel (0, 0) of image 0: channels 0, 1, 2 were at 0, 4, 8.
    expect(Array.from(data.train.images.subarray(0, 3)).map((v) => Math.round(v * 100))).toEqual([0, 4, 8]);
  });

  test('a missing array, a label count that differs and a non-zip are NN5002 naming the problem', async () => {
    const missing = join(root, 'missing.npz');
    runPython(`import numpy as np; np.savez('${missing}', x_train=np.zeros((2, 4, 4)), y_train=np.zeros(2))`);
    expect(await code(loadNpz(missing))).toMatch(/^NN5002: .*has no array `x_test`/);
    const uneven = join(root, 'uneven.npz');
    runPython(`import numpy as np; z = np.zeros((3, 4, 4)); np.savez('${uneven}', x_train=z, y_train=np.zeros(2, dtype=int), x_test=z, y_test=np.zeros(3, dtype=int))`);
    expect(await code(loadNpz(uneven))).toMatch(/^NN5002: .*3 images in `x_train` but 2 labels in `y_train`/);
    const junk = join(root, 'junk.npz');
    writeFileSync(junk, 'not a zip');
    expect(await code(loadNpz(junk))).toMatch(/^NN5002: .*not a readable \.npz/);
    expect(await code(loadNpz(join(root, 'absent.npz')))).toMatch(/^NN5001: .*no such file/);
  });
});

describe('idx:DIR', () => {
  test('names decide each file\'s role', () => {
    expect(idxRole('train-images-idx3-ubyte.gz')).toBe('train-images');
    expect(idxRole('t10k-labels-idx1-ubyte')).toBe('test-labels');
    expect(idxRole('emnist-letters-test-images-idx3-ubyte.gz')).toBe('test-images');
    expect(idxRole('README.md')).toBeNull();
  });

  test('reads a pair for each split with classes up to the largest label', async () => {
    const fixture = writeIdxFixture(join(root, 'idx'), { train: 40, test: 12, rows: 12, cols: 10, classes: 3 });
    const data = await loadIdxDir(fixture.dir);
    expect([data.train.count, data.test.count, data.train.rows, data.train.cols, data.train.channels]).toEqual([40, 12, 12, 10, 1]);
    expect(data.classNames).toEqual(['0', '1', '2']);
    expect(data.train.images[3]).toBeCloseTo(fixture.train.pixels[3]! / 255, 6);
  });

  test('a missing file is NN5001 saying which', async () => {
    const dir = join(root, 'idx-missing');
    writeIdxFixture(dir, { train: 4, test: 4 });
    rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
    expect(await code(loadIdxDir(dir))).toMatch(/^NN5001: .*no test labels file/);
  });
});

describe('folder:DIR', () => {
  test('one sub-folder per class, every fifth image held out for testing, grey PNGs as one channel', async () => {
    const dir = join(root, 'folder');
    writeFolderFixture(dir, 40, { side: 10, classes: 4 });
    const data = await loadFolder(dir);
    expect(data.classNames).toEqual(['class_a', 'class_b', 'class_c', 'class_d']);
    expect([data.train.count, data.test.count, data.train.channels, data.train.rows]).toEqual([32, 8, 1, 10]);
  });

  test('train/ and test/ folders are the splits; a colour image makes every image RGB; JPEG decodes', async () => {
    const dir = join(root, 'folder-split');
    writeFolderFixture(join(dir, 'train'), 12, { side: 8, classes: 2, rgb: true });
    writeFolderFixture(join(dir, 'test'), 4, { side: 8, classes: 2, seed: 9 });
    const rgba = Buffer.alloc(8 * 8 * 4, 200);
    writeFileSync(join(dir, 'test', 'class_a', 'extra.jpg'), jpeg.encode({ data: rgba, width: 8, height: 8 }, 95).data);
    const data = await loadFolder(dir);
    expect([data.train.count, data.test.count, data.train.channels]).toEqual([12, 5, 3]);
    const red = data.train.images[0]!;
    expect(data.train.images[1]).toBeCloseTo(Math.round((red * 255 * 2) / 3) / 255, 5);
  });

  test('images of different sizes, a single class, or a file that is not an image are NN5002', async () => {
    const dir = join(root, 'folder-sizes');
    writeFolderFixture(dir, 10, { side: 8, classes: 2 });
    writePng(join(dir, 'class_a', 'big.png'), 9, 8, new Uint8Array(72));
    expect(await code(loadFolder(dir))).toMatch(/^NN5002: .*big\.png' is 8x9 pixels but .* is 8x8; every image of a folder dataset must have the same size/);
    const one = join(root, 'folder-one');
    writeFolderFixture(one, 5, { side: 8, classes: 1 });
    expect(await code(loadFolder(one))).toMatch(/^NN5002: .*has one class folder/);
    const broken = join(root, 'folder-broken');
    writeFolderFixture(broken, 10, { side: 8, classes: 2 });
    writeFileSync(join(broken, 'class_b', 'zz.png'), 'text, not a PNG');
    expect(await code(loadFolder(broken))).toMatch(/^NN5002: .*zz\.png' is not a PNG or JPEG image/);
  });
});

describe('CIFAR-10 binary archive', () => {
  test('an archive written by Python\'s tarfile reads back; records become channels-last floats', async () => {
    const dir = join(root, 'cifar-py');
    const { train } = writeCifarFixture(join(root, 'cifar-ours'), 10, 5);
    mkdirSync(join(dir, 'cifar-10-batches-bin'), { recursive: true });
    // The members as loose files, archived by Python (GNU tar format, as the published archive is).
    const records = cifarRecords(train);
    const per = 3073;
    for (let b = 0; b < 5; b++) writeFileSync(join(dir, 'cifar-10-batches-bin', `data_batch_${b + 1}.bin`), records.slice(b * 2 * per, (b + 1) * 2 * per));
    writeFileSync(join(dir, 'cifar-10-batches-bin', 'test_batch.bin'), records.slice(0, per));
    runPython(`import tarfile\nwith tarfile.open('${dir}/a.tar.gz', 'w:gz', format=tarfile.GNU_FORMAT) as t: t.add('${dir}/cifar-10-batches-bin', arcname='cifar-10-batches-bin')`);
    const bytes = new Uint8Array(readFileSync(join(dir, 'a.tar.gz')));
    const data = await readCifar10Archive(bytes, 'a.tar.gz');
    expect([data.train.count, data.test.count, data.train.channels, data.train.rows]).toEqual([10, 1, 3, 32]);
    expect(Array.from(data.train.labels)).toEqual(Array.from(train.labels));
    // Image 0, pixel 5: red is the bar image's value, green 0.7 of it, blue 0.4 of it.
    const v = train.pixels[5]!;
    expect(Array.from(data.train.images.subarray(15, 18)).map((x) => Math.round(x * 255))).toEqual([v, Math.round(v * 0.7), Math.round(v * 0.4)]);
  });

  test('tar round trip, and damaged archives are NN5002', async () => {
    const files = new Map([['a/b.bin', new Uint8Array([1, 2, 3])], ['c.txt', new Uint8Array(600).fill(7)]]);
    const back = readTar(writeTar(files));
    expect([...back.keys()]).toEqual(['a/b.bin', 'c.txt']);
    expect(Array.from(back.get('c.txt')!).every((b) => b === 7)).toBe(true);
    expect(await code(readCifar10Archive(new Uint8Array([1, 2, 3]), 'x.tar.gz'))).toMatch(/^NN5002: .*not a readable gzip/);
    const noBatches = gzipSync(writeTar(new Map([['other.bin', new Uint8Array(4)]])));
    expect(await code(readCifar10Archive(noBatches, 'y.tar.gz'))).toMatch(/^NN5002: .*has no cifar-10-batches-bin\/data_batch_1\.bin/);
    const damaged = writeTar(files);
    damaged[10] ^= 0xff;
    expect(await code(readCifar10Archive(gzipSync(damaged), 'z.tar.gz'))).toMatch(/^NN5002: .*fails its checksum/);
  });
});
