import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parseLock, printLock, type LockFile } from '../contracts/lock.js';
import { CliError } from './io.js';
import { writeFileAtomic } from '../compile/atomicWrite.js';

/** The lockfile `netc lock` writes and `netc check --locked` reads when `--lockfile` is not given. */
export const defaultLockfile = 'netc.lock';

/** Reads and validates a lockfile; a missing, unreadable or malformed one is a usage error (exit 2). */
export function readLockFile(path: string): LockFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`cannot read ${path}: no such file; write it with \`netc lock FILE...\`.`);
    if (code === 'EISDIR') throw new CliError(`${path} is a directory, not a lockfile.`);
    throw new CliError(`cannot read ${path}: ${code === 'EACCES' ? 'permission denied' : (error as Error).message}.`);
  }
  const parsed = parseLock(text);
  if (parsed.error !== undefined) throw new CliError(`cannot use ${path}: ${parsed.error}; write it again with \`netc lock\`.`);
  return parsed.lock;
}

/** Writes a lockfile atomically; a directory that cannot be written is a usage error (exit 2). */
export function writeLockFile(path: string, lock: LockFile): void {
  try {
    writeFileAtomic(path, printLock(lock));
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}.`);
  }
}

/** A file's key in the lock: its path relative to the lockfile's directory, with `/` on every system. */
export function lockKey(lockPath: string, file: string): string {
  const key = relative(dirname(resolve(lockPath)), resolve(file));
  // A file on another drive has no relative path; its absolute one is still a stable key.
  return (isAbsolute(key) ? resolve(file) : key).split(sep).join('/');
}

/** The path of a locked file, from its key, for the process's working directory. */
export function lockedPath(lockPath: string, key: string): string {
  const path = relative(process.cwd(), resolve(dirname(resolve(lockPath)), key));
  return path === '' ? key : path;
}

/** How messages name the lockfile: its base name (`netc.lock`). */
export function lockName(lockPath: string): string {
  return basename(lockPath);
}
