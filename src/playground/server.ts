import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlaygroundData } from './data.js';

// The playground's HTTP server. It serves a fixed set of files: the regular files of the built page, read into
// memory at start (no symbolic links, no subdirectories, nothing resolved from a request's path), and the data
// bytes. Everything else is 404, before any file system access; only GET and HEAD, no request bodies, short URLs.

/** The built page: dist/playground/static under the package root (two levels up from src/playground and dist/playground). */
export const defaultStaticDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'playground', 'static');

/** The longest request target accepted (a `#src=` hash never reaches the server). */
export const maxUrlLength = 2048;
/** The most header bytes accepted (Node's own limit is 16 KiB). */
export const maxHeaderSize = 8192;

/** Options of `startPlaygroundServer`. */
export interface PlaygroundServerOptions {
  readonly staticDir: string;
  /** The data served under `data/`, or why there is none (shown on the page when Train is clicked). */
  readonly data: PlaygroundData | { readonly error: string };
  /** 127.0.0.1 unless told otherwise. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

/** A running server. */
export interface PlaygroundServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** One file the server may send. */
interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
  readonly cache: string;
}

const types: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  bin: 'application/octet-stream',
  wasm: 'application/wasm',
};

const securityHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // CodeMirror sets element styles; TensorFlow.js compiles WebAssembly for its wasm backend. No other script runs.
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
};

/** The page's files: every regular file directly in `dir` (symbolic links and directories are left out). */
export function readStaticFiles(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!lstatSync(path).isFile()) continue;
    const extension = name.slice(name.lastIndexOf('.') + 1);
    const type = types[extension];
    if (type === undefined || name.startsWith('.')) continue;
    assets.set(`/${name}`, { body: readFileSync(path), type, cache: 'no-cache' });
  }
  const index = assets.get('/index.html');
  if (index === undefined) throw new Error(`${dir} holds no index.html: the playground page is not built (run \`npm run build\`)`);
  assets.set('/', index);
  return assets;
}

/** Everything under `data/`: meta.json and the byte files, or meta.json with the error. */
export function dataAssets(data: PlaygroundServerOptions['data']): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const json = (value: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(value)}\n`);
  if ('error' in data) {
    assets.set('/data/meta.json', { body: json({ error: data.error }), type: types.json!, cache: 'no-store' });
    return assets;
  }
  assets.set('/data/meta.json', { body: json(data.meta), type: types.json!, cache: 'no-cache' });
  for (const [name, bytes] of data.files) {
    assets.set(`/data/${name}`, { body: bytes, type: types.bin!, cache: 'max-age=86400' });
  }
  return assets;
}

/**
 * The asset path a request target names, or an HTTP status for a bad one. Each segment is decoded once; a segment
 * that decodes to a separator, a dot segment or a control character is refused, so `..`, `%2e%2e` and `%2f` never
 * reach the lookup (which is an exact match in a map, never a file system path).
 */
export function assetPath(target: string): string | number {
  if (target.length > maxUrlLength) return 414;
  if (!target.startsWith('/')) return 400;
  const path = target.split(/[?#]/, 1)[0]!;
  const segments: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return 400;
    }
    if (segment === '.' || segment === '..' || /[/\\\u0000-\u001f\u007f]/.test(segment)) return 400;
    segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  const bytes = Buffer.from(body);
  res.writeHead(status, { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(bytes.length), ...extra });
  res.end(bytes);
}

/** Hostnames a loopback server answers to: a page on another name (DNS rebinding) gets 421. */
const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostAllowed(req: IncomingMessage, host: string): boolean {
  if (!isLoopback(host)) return true;
  const header = req.headers.host;
  if (header === undefined) return false;
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]!;
  return loopbackNames.has(name.toLowerCase());
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Starts the server; resolves once it listens. */
export async function startPlaygroundServer(options: PlaygroundServerOptions): Promise<PlaygroundServer> {
  const host = options.host ?? '127.0.0.1';
  const assets = new Map([...readStaticFiles(options.staticDir), ...dataAssets(options.data)]);
  const server = createServer({ maxHeaderSize, requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'Only GET and HEAD are allowed.\n', { Allow: 'GET, HEAD' });
      req.resume();
      return;
    }
    const length = Number(req.headers['content-length'] ?? '0');
    if (req.headers['transfer-encoding'] !== undefined || !(length === 0)) {
      send(res, 413, 'Requests may not have a body.\n', { Connection: 'close' });
      req.destroy();
      return;
    }
    if (!hostAllowed(req, host)) {
      send(res, 421, 'Unknown host name.\n');
      return;
    }
    const path = assetPath(req.url ?? '');
    if (typeof path === 'number') {
      send(res, path, path === 414 ? 'The address is too long.\n' : 'Bad request path.\n');
      return;
    }
    const asset = assets.get(path);
    if (asset === undefined) {
      send(res, 404, 'Not found.\n');
      return;
    }
    res.writeHead(path === '/data/meta.json' && asset.cache === 'no-store' ? 503 : 200, {
      ...securityHeaders,
      'Content-Type': asset.type,
      'Content-Length': String(asset.body.length),
      'Cache-Control': asset.cache,
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
