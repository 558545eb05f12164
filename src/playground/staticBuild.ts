import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NetcError } from '../diagnostics/NetcError.js';
import type { PlaygroundData } from './data.js';
import { readStaticFiles } from './server.js';

/**
 * `netc playground --build DIR`: the page and its data as static files, for any web server. The directory is
 * written whole (staged next to it, then renamed) and must be missing or empty.
 */
export async function writeStaticPlayground(staticDir: string, data: PlaygroundData, target: string): Promise<string[]> {
  const out = resolve(target);
  if (existsSync(out)) {
    if (!(await stat(out)).isDirectory()) throw new NetcError('NN4002', `${target} exists and is not a directory; choose another one.`);
    if ((await readdir(out)).length > 0) throw new NetcError('NN4002', `${target} is not empty; choose a new or empty directory.`);
  }
  const staging = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.tmp`);
  const written: string[] = [];
  try {
    await mkdir(join(staging, 'data'), { recursive: true });
    for (const [path, asset] of readStaticFiles(staticDir)) {
      if (path === '/') continue;
      await writeFile(join(staging, path.slice(1)), asset.body);
      written.push(path.slice(1));
    }
    await writeFile(join(staging, 'data', 'meta.json'), `${JSON.stringify(data.meta)}\n`);
    written.push('data/meta.json');
    for (const [name, bytes] of data.files) {
      await writeFile(join(staging, 'data', name), bytes);
      written.push(`data/${name}`);
    }
    await rename(staging, out);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return written;
}
