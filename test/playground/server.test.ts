import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadPlaygroundData } from '../../src/playground/data.js';
import { assetPath, startPlaygroundServer, type PlaygroundServer } from '../../src/playground/server.js';
import { writeStaticPlayground } from '../../src/playground/staticBuild.js';
import { writeIdxFixture } from '../data/fixtures.js';

// The server against hostile requests: it must answer only with its own files. Raw requests through node:http
// keep the path exactly as written (a browser or fetch would normalise `..` away before sending).

const dir = mkdtempSync(join(tmpdir(), 'netc-playground-server-'));
const site = join(dir, 'static');
const secret = join(dir, 'secret.txt');
mkdirSync(site);
writeFileSync(join(site, 'index.html'), '<!doctype html><title>page</title>');
writeFileSync(join(site, 'app.js'), 'console.log("app");');
writeFileSync(secret, 'SECRET');
symlinkSync(secret, join(site, 'leak.js'));
mkdirSync(join(site, 'sub'));
writeFileSync(join(site, 'sub', 'inner.js'), 'inner');
const fixture = writeIdxFixture(join(dir, 'data'), { train: 50, test: 20 });

let server: PlaygroundServer;
let noData: PlaygroundServer;

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function raw(target: PlaygroundServer, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: target.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

beforeAll(async () => {
  const data = await loadPlaygroundData({ dataDir: fixture.dir, systemDir: null }, { trainSize: 30, testSize: 100 });
  server = await startPlaygroundServer({ staticDir: site, data, port: 0 });
  noData = await startPlaygroundServer({ staticDir: site, data: { error: 'NN5001: not here' }, port: 0 });
});

afterAll(async () => {
  await server.close();
  await noData.close();
});

describe('playground server', () => {
  test('binds 127.0.0.1 on a free port and serves the page with a strict policy', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await raw(server, '/');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<title>page</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await raw(server, '/app.js?v=1')).body.toString()).toBe('console.log("app");');
  });

  test.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/data/..%2f..%2fsecret.txt',
    '/sub%2finner.js',
    '/sub/inner.js',
    '/..\\secret.txt',
    '/%5c..%5csecret.txt',
    '/%00',
    '/%zz',
    '//etc/passwd',
    '/leak.js',
  ])('%s is refused and never shows a file outside the page', async (path) => {
    const reply = await raw(server, path);
    expect([400, 404]).toContain(reply.status);
    expect(reply.body.toString()).not.toContain('SECRET');
    expect(reply.body.toString()).not.toContain('inner');
  });

  test('a symbolic link in the page directory is not served, even to a file beside it', async () => {
    expect(readFileSync(join(site, 'leak.js'), 'utf8')).toBe('SECRET');
    expect((await raw(server, '/leak.js')).status).toBe(404);
  });

  test('assetPath decodes once and refuses separators and dot segments', () => {
    expect(assetPath('/app.js')).toBe('/app.js');
    expect(assetPath('/a%20b.js')).toBe('/a b.js');
    expect(assetPath('/%252e%252e/x')).toBe('/%2e%2e/x');
    expect(assetPath('/%2e%2e/x')).toBe(400);
    expect(assetPath('/a%2fb')).toBe(400);
    expect(assetPath('x')).toBe(400);
    expect(assetPath(`/${'a'.repeat(3000)}`)).toBe(414);
  });

  test.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s is 405 with Allow: GET, HEAD', async (method) => {
    const reply = await raw(server, '/', { method });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
  });

  test('HEAD has the headers and no body', async () => {
    const reply = await raw(server, '/app.js', { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe(String('console.log("app");'.length));
    expect(reply.body.length).toBe(0);
  });

  test('request bodies, long addresses and big headers are refused', async () => {
    expect((await raw(server, '/', { body: 'x'.repeat(100), headers: { 'Content-Length': '100' } })).status).toBe(413);
    expect((await raw(server, `/${'a'.repeat(5000)}`)).status).toBe(414);
    expect((await raw(server, '/', { headers: { 'X-Big': 'b'.repeat(20_000) } })).status).toBe(431);
  });

  test('a page reached through another host name (DNS rebinding) gets 421', async () => {
    expect((await raw(server, '/', { headers: { Host: 'evil.example:80' } })).status).toBe(421);
    expect((await raw(server, '/', { headers: { Host: `localhost:${server.port}` } })).status).toBe(200);
  });

  test('data: meta.json and the first N examples as bytes, equal to the IDX files', async () => {
    const meta = JSON.parse((await raw(server, '/data/meta.json')).body.toString()) as { train: number; test: number };
    expect(meta).toEqual({ dataset: 'fashion-mnist', train: 30, test: 20, side: 28 });
    const images = (await raw(server, '/data/train-images.bin')).body;
    expect(images.length).toBe(30 * 784);
    expect(Buffer.from(fixture.train.pixels.subarray(0, 30 * 784)).equals(images)).toBe(true);
    const labels = (await raw(server, '/data/test-labels.bin')).body;
    expect(Buffer.from(fixture.test.labels).equals(labels)).toBe(true);
  });

  test('without data the page still loads and meta.json says why (503)', async () => {
    expect((await raw(noData, '/')).status).toBe(200);
    const meta = await raw(noData, '/data/meta.json');
    expect(meta.status).toBe(503);
    expect(JSON.parse(meta.body.toString())).toEqual({ error: 'NN5001: not here' });
    expect((await raw(noData, '/data/train-images.bin')).status).toBe(404);
  });

  test('--build writes the page and its data as static files, into a new or empty directory only', async () => {
    const data = await loadPlaygroundData({ dataDir: fixture.dir, systemDir: null }, { trainSize: 10, testSize: 5 });
    const out = join(dir, 'site');
    const files = await writeStaticPlayground(site, data, out);
    expect(files.sort()).toEqual(['app.js', 'data/meta.json', 'data/test-images.bin', 'data/test-labels.bin', 'data/train-images.bin', 'data/train-labels.bin', 'index.html']);
    expect(readdirSync(out).sort()).toEqual(['app.js', 'data', 'index.html']);
    expect(readFileSync(join(out, 'data', 'train-images.bin')).length).toBe(10 * 784);
    await expect(writeStaticPlayground(site, data, out)).rejects.toThrow(/is not empty/);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
