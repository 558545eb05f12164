import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';

/** Where runs go when no directory is named. */
export const runsDir = 'runs';

/** `20250131-235959` in local time: sorts by time and reads as a date. */
export function runTimestamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

/** The run directory of a new run: `out`, or `runs/<model>-<YYYYMMDD-HHMMSS>`. */
export function newRunDir(out: string | undefined, modelName: string, now: Date = new Date()): string {
  return out ?? join(runsDir, `${modelName}-${runTimestamp(now)}`);
}

/** Why a new run may not use `dir` (it already holds a run: never overwritten), or null when it may. */
export function newRunDirProblem(dir: string, hasCheckpoint: (dir: string) => boolean): string | null {
  return hasCheckpoint(dir) ? `${dir} already holds a run; continue it with --resume ${dir}, or choose another --out.` : null;
}

/**
 * Creates the run directory and checks that checkpoints can be written there (NN4002 otherwise, naming the real
 * cause: a read-only file system or a missing permission on the nearest folder that exists, not the ENOENT that
 * `mkdir -p` reports for the folder it could not make).
 */
export function ensureRunDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new NetcError('NN4002', `Cannot write the run directory ${dir}: ${whyNotWritable(dir, error as NodeJS.ErrnoException)}.`);
  }
}

const causes: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'the disk is full',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
};

/** The cause of a failed mkdir/access in words, found on the nearest existing ancestor when the error is ENOENT. */
function whyNotWritable(dir: string, error: NodeJS.ErrnoException): string {
  if (error.code !== 'ENOENT') return `${causes[error.code ?? ''] ?? error.message} (${error.code ?? 'error'})`;
  let parent = resolve(dir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  try {
    if (!statSync(parent).isDirectory()) return `${parent} is a file, not a folder (ENOTDIR)`;
    accessSync(parent, constants.W_OK);
  } catch (inner) {
    const code = (inner as NodeJS.ErrnoException).code ?? 'error';
    return `${parent} cannot be written: ${causes[code] ?? (inner as Error).message} (${code})`;
  }
  return `${error.message} (${error.code})`;
}
