/**
 * Fetching the published Fashion-MNIST files into the cache: streamed to a temporary file beside the target, checked
 * against the published MD5, then renamed into place, so an interrupted or bad download never leaves a file that
 * looks complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { dataFiles, defaultMirrors, fileUrl, type DataFile } from './files.js';

/** One progress report while a file downloads. */
export interface DownloadProgress {
  /** The file's name, `train-images-idx3-ubyte.gz`. */
  readonly file: string;
  /** Bytes received so far. */
  readonly received: number;
  /** The file's size from Content-Length, or null when the server does not say. */
  readonly total: number | null;
}

/** How to download. */
export interface DownloadOptions {
  /** The directory the files land in (created when absent). */
  readonly dir: string;
  /** Which files; all four by default. */
  readonly files?: readonly DataFile[];
  /** Base URLs tried in order for each file; the published mirrors by default. */
  readonly mirrors?: readonly string[];
  readonly fetchImpl?: typeof fetch;
  /** Expected MD5 per file name (without `.gz`), replacing the published ones: for tests serving synthetic files. */
  readonly checksums?: Readonly<Record<string, string>>;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** A download that receives nothing for this long is abandoned (default 30 s). */
  readonly idleTimeoutMs?: number;
}

/** A download that did not produce a verified file: why, per mirror tried. The loader turns it into NN5001. */
export class DownloadFailure extends Error {
  constructor(
    readonly file: string,
    readonly reasons: readonly string[],
  ) {
    super(`${file}: ${reasons.join('; ')}`);
    this.name = 'DownloadFailure';
  }
}

const defaultIdleTimeoutMs = 30_000;

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the useful part (ENOTFOUND host, ECONNREFUSED address) in `cause`.
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? cause.message : '';
  return detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message;
}

/**
 * Downloads one URL to `dest` atomically, verifying its MD5. Returns nothing on success; throws an Error whose
 * message is the reason (HTTP status, network error, checksum mismatch) otherwise.
 */
export async function downloadFile(
  url: string,
  dest: string,
  expectedMd5: string,
  options: Pick<DownloadOptions, 'fetchImpl' | 'onProgress' | 'idleTimeoutMs'> = {},
): Promise<void> {
  const fetchImpl = options.fetchImpl ?? globalThis.fetch;
  const file = basename(dest);
  const idleMs = options.idleTimeoutMs ?? defaultIdleTimeoutMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${Math.round(idleMs / 1000)} s`)), idleMs);
  };
  const temp = join(dirname(dest), `.${file}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    arm();
    const response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} from ${url}`);
    }
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : null;
    const hash = createHash('md5');
    let received = 0;
    options.onProgress?.({ file, received, total });
    handle = await open(temp, 'wx');
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        arm();
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        await handle.write(value);
        received += value.length;
        options.onProgress?.({ file, received, total });
      }
    }
    if (total !== null && received !== total) {
      throw new Error(`the connection closed after ${received} of ${total} bytes from ${url}`);
    }
    const md5 = hash.digest('hex');
    if (md5 !== expectedMd5.toLowerCase()) {
      throw new Error(`checksum mismatch for ${url}: MD5 ${md5}, expected ${expectedMd5}`);
    }
    // Durable before it becomes visible under the final name.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, dest);
  } catch (error) {
    const reason = controller.signal.aborted && controller.signal.reason instanceof Error
      ? `${controller.signal.reason.message} from ${url}`
      : describeError(error);
    throw new Error(reason);
  } finally {
    clearTimeout(timer);
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * Downloads the missing files into `options.dir`, each from the first mirror that serves it with the right
 * checksum. Stops at the first file no mirror could supply (the rest would fail the same way) with DownloadFailure.
 */
export async function downloadFashionMnist(options: DownloadOptions): Promise<void> {
  const files = options.files ?? dataFiles;
  const mirrors = options.mirrors ?? defaultMirrors;
  try {
    await mkdir(options.dir, { recursive: true });
  } catch (error) {
    throw new DownloadFailure(files[0]?.name ?? options.dir, [`cannot create ${options.dir}: ${describeError(error)}`]);
  }
  for (const file of files) {
    const expected = options.checksums?.[file.name] ?? file.gzMd5;
    const dest = join(options.dir, `${file.name}.gz`);
    const reasons: string[] = [];
    let done = false;
    for (const mirror of mirrors) {
      try {
        await downloadFile(fileUrl(mirror, file), dest, expected, options);
        done = true;
        break;
      } catch (error) {
        reasons.push(describeError(error));
      }
    }
    if (!done) throw new DownloadFailure(`${file.name}.gz`, reasons);
  }
}
