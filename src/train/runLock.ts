import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';

/** The lock file of a run directory: while it exists, one `netc train` owns the directory. */
export const lockFileName = '.netc-lock';

/** What a lock file holds: who owns the directory, for the refusal message and the stale-lock test. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the owner took the lock. */
  readonly started: string;
}

/** A run directory held by this process. */
export interface RunLock {
  readonly path: string;
  /** A note when a stale lock of a process that is gone was taken over, else null. */
  readonly tookOver: string | null;
  /** Removes the lock if it is still this process's; safe to call more than once (also from an exit handler). */
  release(): void;
}

/** How long a lock file may stay empty (its owner between creating and writing it) before it counts as stale. */
const emptyLockGraceMs = 5_000;

/** Process probes, injectable so that tests can play a process that is gone or one on another host. */
export interface LockEnvironment {
  readonly pid: number;
  readonly host: string;
  readonly now: () => Date;
  /** Whether a process with this id runs on this host. */
  readonly alive: (pid: number) => boolean;
}

/** This process on this machine. */
export const processLockEnvironment: LockEnvironment = {
  pid: process.pid,
  host: hostname(),
  now: () => new Date(),
  alive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it exists but belongs to another user.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

/**
 * Takes the run directory `dir` (which must exist) for this process: creates `dir/.netc-lock` exclusively (O_EXCL)
 * with the pid, host and start time. A lock of a live process, or of a process on another host (which cannot be
 * probed), is refused with NN4006; a lock of a process on this host that is gone is taken over with a note. The
 * lock is released by `release()` and, should the process exit first (a crash, a second Ctrl-C), by an exit hook.
 * Staging directories that crashed saves left behind are removed once the lock is held: nobody else writes there.
 */
export function lockRunDir(dir: string, env: LockEnvironment = processLockEnvironment): RunLock {
  const path = join(dir, lockFileName);
  const me: LockOwner = { pid: env.pid, host: env.host, started: env.now().toISOString() };
  let tookOver: string | null = null;
  for (let attempt = 0; ; attempt++) {
    if (tryCreate(path, me)) break;
    const held = readOwner(path);
    if (held === 'gone') continue;
    const stale = staleness(path, held, env);
    if (stale === null || attempt >= 3) throw inUse(dir, path, held, env);
    // Moved aside before it is removed: of two processes taking over the same stale lock, only one can move it.
    const aside = `${path}.stale-${env.pid}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = readOwner(aside);
    if (held !== 'unreadable' && (moved === 'gone' || moved === 'unreadable' || moved.pid !== held.pid || moved.started !== held.started)) {
      // Another process took the stale lock over between our read and our move: put its fresh lock back.
      renameSync(aside, path);
      throw inUse(dir, path, moved === 'gone' || moved === 'unreadable' ? held : moved, env);
    }
    rmSync(aside, { force: true });
    tookOver = stale;
  }
  removeStaging(dir);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const owner = readOwner(path);
    if (owner !== 'gone' && owner !== 'unreadable' && owner.pid === me.pid && owner.started === me.started) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, tookOver, release };
}

function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(path);
    throw error;
  }
  closeSync(fd);
  return true;
}

function readOwner(path: string): LockOwner | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.started === 'string') {
      return { pid: value.pid, host: value.host, started: value.started };
    }
  } catch {
    // Empty (its owner is writing it, or died doing so) or damaged.
  }
  return 'unreadable';
}

/** Why a held lock is stale (a note for the user), or null when its owner may still be running. */
function staleness(path: string, held: LockOwner | 'unreadable', env: LockEnvironment): string | null {
  if (held === 'unreadable') {
    let age = 0;
    try {
      age = env.now().getTime() - statSync(path).mtimeMs;
    } catch {
      return null;
    }
    return age > emptyLockGraceMs ? `took over ${path}, which was empty or damaged` : null;
  }
  if (held.host !== env.host) return null;
  if (held.pid !== env.pid && env.alive(held.pid)) return null;
  return `took over the lock of netc process ${held.pid}, started ${held.started}, which is no longer running`;
}

function inUse(dir: string, path: string, held: LockOwner | 'unreadable', env: LockEnvironment): NetcError {
  if (held === 'unreadable') {
    return new NetcError('NN4006', `${dir} is in use by another netc train that is starting (${path} is being written); wait for it, or train into another --out.`);
  }
  const elsewhere =
    held.host === env.host ? '' : ` If no netc runs on ${held.host} any more, delete ${path}.`;
  return new NetcError(
    'NN4006',
    `${dir} is in use by another netc train (process ${held.pid} on ${held.host}, started ${held.started}); ` +
      `wait for it to finish, or train into another --out.${elsewhere}`,
  );
}

/** Staging directories of checkpoint saves that never finished (a crash, a full disk): garbage once we hold the lock. */
function removeStaging(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    // replaceDirectory's staging names (src/compile/atomicWrite.ts), and those of netc before it.
    if (entry.startsWith('.checkpoint.netc-tmp-') || entry.startsWith('.checkpoint-writing-')) {
      rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
}
