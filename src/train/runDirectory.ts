import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
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

/** Creates the run directory and checks that checkpoints can be written there (NN4002 otherwise). */
export function ensureRunDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new NetcError('NN4002', `Cannot write the run directory ${dir}: ${(error as Error).message}.`);
  }
}
