import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadCatalogueDataset } from '../../src/data/fetchDataset.js';
import { datasets } from '../../src/ir/catalogue.js';
import { parseCurvesCsv } from '../../src/train/curves.js';
import { writeIdxFixture } from '../data/fixtures.js';
import { writeCifarFixture, writeFolderFixture, writePng } from '../data/userFixtures.js';
import { netc, workspace } from './trainHelpers.js';

const ws = workspace();
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));

/** A model for 12x12 grey images of 4 classes (the folder and idx fixtures). */
const small = `model small
input 1x12x12
train epochs=2 batch=16 lr=0.01 optimizer=adamw schedule=cosine warmup=1 wd=5e-4
conv 4 k3 | bn | relu | maxpool 2
flatten
dense 4
`;

describe('netc check: the recipe keys, located', () => {
  test.each([
    ['train schedule=linear', 'NN2016', 1, 7, /`schedule` must be `constant`, `step`, `cosine` or `onecycle`, not `linear`/],
    ['train optimizer=adam nesterov=true', 'NN2040', 1, 22, /`nesterov=true` needs `optimizer=momentum`, but the optimizer is `adam`/],
    ['train epochs=3 warmup=3', 'NN2040', 1, 16, /`warmup=3` is as long as the run's 3 epochs/],
    ['train label_smoothing=1', 'NN2011', 1, 7, /label_smoothing/],
    ['train crop=20', 'NN2011', 1, 7, /at most 16 pixels/],
    ['train wd_all=yes', 'NN2004', 1, 7, /`true` or `false`/],
    ['train keep=first', 'NN2016', 1, 7, /`last` or `best`/],
    ['train weight_decay=0.1', 'NN2005', 1, 7, /no key `weight_decay`/],
  ])('%s -> %s', async (line, code, lineNo, column, message) => {
    const file = join(ws.dir, `bad-${code}-${column}.net`);
    writeFileSync(file, `${line}\ninput 1x28x28\nflatten | dense 10\n`);
    const result = await netc(['check', file, '--format', 'json']);
    expect(result.code).toBe(1);
    const diagnostics = JSON.parse(result.out) as { code: string; line: number; column: number; message: string }[];
    const found = diagnostics.find((d) => d.code === code);
    expect(found, JSON.stringify(diagnostics)).toBeDefined();
    expect([found!.line, found!.column]).toEqual([lineNo, column]);
    expect(found!.message).toMatch(message);
  });

  test.each([
    ['model m\ninput 3x32x32\ntrain dataset=fashion-mnist\nconv 8 k3 | relu | globalavgpool | dense 10\n', '3x32x32', '`fashion-mnist` images are 1x28x28'],
    ['model m\ntrain dataset=cifar10 epochs=2\ninput 1x28x28\nconv 8 k3 | relu | globalavgpool | dense 10\n', '1x28x28', '`cifar10` images are 3x32x32 (3072 values when flat)'],
    ['model m\ntrain dataset=kmnist\ninput 784\ndense 10\n', null, null],
    ['model m\ntrain dataset=cifar10\ninput 3072\ndense 10\n', null, null],
  ])('an input that is not the named dataset\'s images is NN5003 at the input line (%#)', async (source, shape, words) => {
    const file = join(ws.dir, 'fit.net');
    writeFileSync(file, source);
    const result = await netc(['check', file, '--format', 'json']);
    const diagnostics = JSON.parse(result.out) as { code: string; line: number; column: number; message: string }[];
    if (shape === null) {
      expect(result.code).toBe(0);
      return;
    }
    expect(result.code).toBe(1);
    const inputLine = source.split('\n').findIndex((l) => l.startsWith('input')) + 1;
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['NN5003', inputLine, 1]]);
    expect(diagnostics[0]!.message).toContain(`The input is ${shape} but ${words}`);
  });

  test('every model in models/ still checks, the CIFAR-10 one included', async () => {
    const result = await netc(['check', 'models/cifar-resnet.net']);
    expect(result.err + result.out).not.toMatch(/error/);
    expect(result.code).toBe(0);
  });

  test('flags use the same specs: a wrong value is a usage error with the checker\'s code', async () => {
    const bad = await netc(['train', ws.net, '--schedule', 'linear', '--data', ws.data]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/NN2016|`--schedule` must be/);
    const augment = await netc(['train', ws.net, '--augment', 'flip,rotate']);
    expect(augment.code).toBe(2);
    expect(augment.err).toMatch(/`--augment` takes flip and cropN/);
    const nesterov = await netc(['train', ws.net, '--optimizer', 'adam', '--nesterov', '--data', ws.data]);
    expect(nesterov.code).toBe(2);
    expect(nesterov.err).toMatch(/`nesterov=true` needs `optimizer=momentum`/);
  });
});

describe('netc train on user data, then netc predict', () => {
  const folder = join(ws.dir, 'shapes');
  const idx = join(ws.dir, 'idxdata');
  const net = join(ws.dir, 'small.net');
  beforeAll(() => {
    writeFileSync(net, small);
    writeFolderFixture(folder, 120, { side: 12, classes: 4 });
    writeIdxFixture(idx, { train: 120, test: 40, rows: 12, cols: 12, classes: 4 });
  });

  test('dataset=folder:DIR trains with the schedule, prints the rate per epoch, and predict names an image\'s class', async () => {
    const run = join(ws.dir, 'run-folder');
    const result = await netc(['train', net, '--dataset', `folder:${folder}`, '--out', run, '--backend', 'cpu', '--seed', '1', '--val-split', '0.2', '--keep', 'best']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/on folder from .*shapes: 77 training, 19 validation and 24 test images/);
    expect(result.out).toMatch(/adamw lr 0\.01 cosine warmup 1, wd 0\.0005/);
    expect(result.out).toMatch(/^epoch 1\/2: .*val acc \d\.\d{3}, test acc \d\.\d{3}, lr 1e-4->0\.00\d+, /m);
    expect(result.out).toMatch(/^best: +epoch \d, val acc \d\.\d{3} \(checkpoint .*best\/checkpoint\)$/m);
    const csv = parseCurvesCsv(readFileSync(join(run, 'curves.csv'), 'utf8'));
    expect(csv[0]!.lr).toBeCloseTo(1e-4, 10);
    expect(csv[1]!.lr).toBe(0.01);

    // An image of class_c (a bar at the third place) as a user would save it.
    const { syntheticSplit, seededRandom } = await import('../data/fixtures.js');
    const probe = syntheticSplit(40, seededRandom(77), 12, 12, 4, 0);
    const n = Array.from(probe.labels).indexOf(2);
    const png = join(ws.dir, 'probe.png');
    writePng(png, 12, 12, probe.pixels.subarray(n * 144, (n + 1) * 144));
    const text = await netc(['predict', run, png, '--backend', 'cpu']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^probe\.png: class_[a-d] \(class \d\) \d\.\d{3}; then class_[a-d] \d\.\d{3}, class_[a-d] \d\.\d{3}$/m);
    const json = await netc(['predict', run, png, join(idx, 't10k-images-idx3-ubyte.gz'), '--format', 'json', '--backend', 'cpu', '--best']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.out);
    expect(body.classes).toEqual(['class_a', 'class_b', 'class_c', 'class_d']);
    expect(body.predictions).toHaveLength(41);
    expect(body.predictions[1].input).toBe('t10k-images-idx3-ubyte.gz[0]');
    const p = body.predictions[0];
    expect(p.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p.label).toBe(body.classes[p.class]);
    // Trained two epochs on 77 images the bars are learnt well enough to name this one.
    expect(p.label).toBe('class_c');
  });

  test('dataset=idx:DIR trains; a model for another image size is NN5003 at its input line', async () => {
    const run = join(ws.dir, 'run-idx');
    const result = await netc(['train', net, '--dataset', `idx:${idx}`, '--out', run, '--backend', 'cpu', '--seed', '2', '--epochs', '1', '--warmup', '0']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/120 training and 40 test images/);
    const wrong = join(ws.dir, 'wrong.net');
    writeFileSync(wrong, small.replace('input 1x12x12', 'input 1x28x28'));
    const misfit = await netc(['train', wrong, '--dataset', `idx:${idx}`, '--out', join(ws.dir, 'run-wrong'), '--backend', 'cpu']);
    expect(misfit.code).toBe(1);
    expect(misfit.err).toMatch(/wrong\.net:2:1 - error NN5003: The model's input is 1x28x28 but idx:.* images are 1x12x12/);
  });

  test('predict refuses an image of another size and a file that is not an image, naming them', async () => {
    const run = join(ws.dir, 'run-idx');
    const big = join(ws.dir, 'big.png');
    writePng(big, 20, 20, new Uint8Array(400));
    const result = await netc(['predict', run, big, '--backend', 'cpu']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/NN5002.*big\.png' holds 20x20-pixel images but the model takes 1x12x12/);
  });
});

describe('CIFAR-10 from a local server, and the example model trained end to end', () => {
  let server: Server;
  let base = '';
  let archive: Uint8Array = new Uint8Array();
  const cache = join(ws.dir, 'cache', 'cifar10');
  const mnistSource = join(ws.dir, 'mnist-src');
  beforeAll(async () => {
    archive = writeCifarFixture(join(ws.dir, 'cifar-src'), 60, 20).bytes;
    writeIdxFixture(mnistSource, { train: 30, test: 10 });
    server = createServer((req, res) => {
      if (req.url === '/cifar-10-binary.tar.gz') {
        res.writeHead(200, { 'content-length': archive.length });
        res.end(Buffer.from(archive));
      } else if (req.url?.startsWith('/mnist/')) {
        res.writeHead(200);
        res.end(readFileSync(join(mnistSource, req.url.slice('/mnist/'.length))));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('downloads into the cache with progress, verified against the MD5; a wrong MD5 is NN5001 and leaves nothing', async () => {
    const md5 = createHash('md5').update(archive).digest('hex');
    await expect(
      loadCatalogueDataset(datasets.cifar10!, { cacheDir: join(ws.dir, 'bad-cache'), mirrors: [base], checksums: { 'cifar-10-binary.tar.gz': '0'.repeat(32) } }),
    ).rejects.toThrow(/NN5001|checksum mismatch/);
    const progress: number[] = [];
    const data = await loadCatalogueDataset(datasets.cifar10!, { cacheDir: cache, mirrors: [base], checksums: { 'cifar-10-binary.tar.gz': md5 }, onProgress: (p) => progress.push(p.received) });
    expect(progress[progress.length - 1]).toBe(archive.length);
    expect([data.train.count, data.test.count, data.train.channels, data.classNames[0]]).toEqual([60, 20, 3, 'airplane']);
    expect(readFileSync(join(cache, 'cifar-10-binary.tar.gz')).length).toBe(archive.length);
  });

  test('MNIST\'s four IDX files download the same way into their own cache', async () => {
    const files = datasets.mnist!.download.files;
    const checksums = Object.fromEntries(files.map((f) => [f.name, createHash('md5').update(readFileSync(join(mnistSource, f.name))).digest('hex')]));
    const seen = new Set<string>();
    const data = await loadCatalogueDataset(datasets.mnist!, { cacheDir: join(ws.dir, 'cache', 'mnist'), mirrors: [`${base}mnist/`], checksums, onProgress: (p) => seen.add(p.file) });
    expect([...seen]).toEqual(files.map((f) => f.name));
    expect([data.train.count, data.test.count, data.classNames[3]]).toEqual([30, 10, '3']);
  });

  test('models/cifar-resnet.net (schedule, weight decay, augmentation) trains on it end to end', async () => {
    const run = join(ws.dir, 'run-cifar');
    const result = await netc([
      'train', 'models/cifar-resnet.net', '--data', cache, '--out', run, '--backend', 'wasm', '--threads', '1',
      '--epochs', '2', '--batch', '20', '--seed', '3',
    ]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/on cifar10 from .*cifar-10-binary\.tar\.gz: 60 training and 20 test images/);
    expect(result.out).toMatch(/momentum 0\.9 nesterov lr 0\.1 cosine warmup 1, wd 0\.0005 \(L2\), label smoothing 0\.1, augment flip,crop4/);
    const csv = parseCurvesCsv(readFileSync(join(run, 'curves.csv'), 'utf8'));
    expect(csv.map((r) => r.lr)).toEqual([0.001, 0.1]);
    expect(csv.every((r) => Number.isFinite(r.loss))).toBe(true);
  });
});

describe('the dataset flag and the catalogue', () => {
  test('a catalogue dataset\'s misfit is refused before anything is loaded, by the checker told the dataset', async () => {
    mkdirSync(join(ws.dir, 'empty'), { recursive: true });
    const result = await netc(['train', ws.net, '--dataset', 'cifar10', '--data', join(ws.dir, 'empty'), '--backend', 'cpu']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/tiny\.net:2:1 - error NN5003: The model's input is 1x28x28 but cifar10 images are 3x32x32/);
  });
});

describe('--help', () => {
  test('train lists every recipe flag and predict its options', async () => {
    const train = await netc(['train', '--help']);
    for (const flag of ['--dataset', '--schedule', '--warmup', '--step', '--gamma', '--wd', '--wd-all', '--nesterov', '--clip', '--label-smoothing', '--augment', '--val-split', '--patience', '--keep']) {
      expect(train.out, flag).toContain(flag);
    }
    const predict = await netc(['predict', '--help']);
    for (const flag of ['--format', '--best', '--top']) expect(predict.out, flag).toContain(flag);
    const top = await netc(['--help']);
    expect(top.out).toMatch(/netc predict <run> <files\.\.>/);
  });
});
