import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { loadFashionMnist, type LoadFashionMnistOptions } from '../../src/data/fashionMnist.js';
import { downloadFashionMnist, downloadFile, type DownloadProgress } from '../../src/data/download.js';
import { writeIdxFixture } from './fixtures.js';

// A local server plays the mirror: /good/ serves synthetic files, /fail/ answers 500, /half/ cuts the body short.
const source = writeIdxFixture(mkdtempSync(join(tmpdir(), 'netc-served-')), { train: 120, test: 40, seed: 3 });
const served = new Map(Object.entries(source.paths).map(([name, path]) => [`${name}.gz`, readFileSync(path)]));
const checksums = Object.fromEntries(
  Object.entries(source.paths).map(([name, path]) => [name, createHash('md5').update(readFileSync(path)).digest('hex')]),
);
const requests: string[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const [, mode, name] = url.split('/');
    const body = served.get(name ?? '');
    if (mode === 'fail' || body === undefined) {
      res.writeHead(mode === 'fail' ? 500 : 404, { 'content-type': 'text/html' });
      res.end('<html>no</html>');
    } else if (mode === 'half') {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body.subarray(0, body.length >> 1));
      req.socket.destroy();
    } else {
      res.writeHead(200, { 'content-length': String(body.length) });
      // Two writes, so progress is reported more than once.
      res.write(body.subarray(0, body.length >> 1));
      setTimeout(() => res.end(body.subarray(body.length >> 1)), 5);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function cache(): string {
  return mkdtempSync(join(tmpdir(), 'netc-cache-'));
}

function options(cacheDir: string, mirror: string, extra: Partial<LoadFashionMnistOptions> = {}): LoadFashionMnistOptions {
  return { env: {}, systemDir: null, cacheDir, mirror, checksums, ...extra };
}

async function loadError(opts: LoadFashionMnistOptions): Promise<NetcError> {
  try {
    await loadFashionMnist(opts);
  } catch (error) {
    if (error instanceof NetcError) return error;
    throw error;
  }
  throw new Error('expected a NetcError');
}

describe('downloading into the cache', () => {
  test('fetches all four files, reports progress, verifies them and loads them', async () => {
    const dir = cache();
    const progress: DownloadProgress[] = [];
    const data = await loadFashionMnist(options(dir, `${base}/good/`, { onProgress: (p) => progress.push(p) }));
    expect(data.source).toBe(dir);
    expect(data.train.count).toBe(120);
    expect(Array.from(data.test.labels)).toEqual(Array.from(source.test.labels));
    expect(readdirSync(dir).sort()).toEqual([...served.keys()].sort());
    const images = progress.filter((p) => p.file === 'train-images-idx3-ubyte.gz');
    const size = served.get('train-images-idx3-ubyte.gz')!.length;
    expect(images[0]).toEqual({ file: 'train-images-idx3-ubyte.gz', received: 0, total: size });
    expect(images.at(-1)).toEqual({ file: 'train-images-idx3-ubyte.gz', received: size, total: size });
    expect(images.length).toBeGreaterThanOrEqual(2);
    expect(images.every((p, i) => i === 0 || p.received >= images[i - 1]!.received)).toBe(true);
    // A second load finds the cache and asks the server for nothing.
    const before = requests.length;
    await loadFashionMnist(options(dir, `${base}/good/`));
    expect(requests.length).toBe(before);
  });

  test('a partly filled cache downloads only the missing files', async () => {
    const dir = cache();
    await loadFashionMnist(options(dir, `${base}/good/`));
    rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
    const before = requests.length;
    await loadFashionMnist(options(dir, `${base}/good/`));
    expect(requests.slice(before)).toEqual(['/good/t10k-labels-idx1-ubyte.gz']);
  });

  test('a checksum mismatch is NN5001 with both sums, and leaves no file behind', async () => {
    const dir = cache();
    const wrong = { ...checksums, 'train-images-idx3-ubyte': '0'.repeat(32) };
    const error = await loadError(options(dir, `${base}/good/`, { checksums: wrong }));
    expect(error.code).toBe('NN5001');
    expect(error.message).toContain(`checksum mismatch for ${base}/good/train-images-idx3-ubyte.gz: MD5 ${checksums['train-images-idx3-ubyte']}, expected ${'0'.repeat(32)}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a server error is NN5001 with the status, and the message says how to get the files', async () => {
    const dir = cache();
    const error = await loadError(options(dir, `${base}/fail/`));
    expect(error.code).toBe('NN5001');
    expect(error.message).toContain(`downloading it failed: train-images-idx3-ubyte.gz: HTTP 500 Internal Server Error from ${base}/fail/train-images-idx3-ubyte.gz`);
    expect(error.message).toContain('sudo apt-get install dataset-fashion-mnist');
    expect(error.message).toContain(`download these four files into ${dir}:`);
    expect(error.message).toContain(`${base}/fail/t10k-labels-idx1-ubyte.gz`);
    expect(error.message).toContain('`--data DIR` or set NETC_DATA=DIR');
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a body cut short is a failed download, not a file in the cache', async () => {
    const dir = cache();
    const error = await loadError(options(dir, `${base}/half/`));
    expect(error.code).toBe('NN5001');
    expect(error.message).toMatch(/downloading it failed: train-images-idx3-ubyte\.gz: /);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('an unreachable mirror is NN5001 naming the network error', async () => {
    // A port that was just listened on and closed: nothing is there, so the connection is refused at once.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await loadError(options(cache(), `http://127.0.0.1:${port}/`));
    expect(error.code).toBe('NN5001');
    expect(error.message).toMatch(/downloading it failed: train-images-idx3-ubyte\.gz: fetch failed \(.*ECONNREFUSED/);
  });

  test('with downloading switched off nothing is fetched, and the message still says how to get the files', async () => {
    const before = requests.length;
    const error = await loadError(options(cache(), `${base}/good/`, { download: false }));
    expect(requests.length).toBe(before);
    expect(error.message).toMatch(/^Fashion-MNIST was not found \(looked in .*\) and downloading is switched off\. Get it in one of these ways:/);
  });

  test('a failing mirror is passed over for the next one', async () => {
    const dir = cache();
    const before = requests.length;
    await downloadFashionMnist({ dir, mirrors: [`${base}/fail/`, `${base}/good/`], checksums });
    expect(requests.slice(before, before + 2)).toEqual(['/fail/train-images-idx3-ubyte.gz', '/good/train-images-idx3-ubyte.gz']);
    expect(readdirSync(dir).sort()).toEqual([...served.keys()].sort());
  });

  test('downloadFile abandons a server that goes silent', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/x.gz`;
    const dir = cache();
    await expect(downloadFile(url, join(dir, 'x.gz'), '0'.repeat(32), { idleTimeoutMs: 200 })).rejects.toThrow(
      `no data for 0 s from ${url}`,
    );
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    expect(readdirSync(dir)).toEqual([]);
  });
});
