import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { lockFileName, lockRunDir, type LockEnvironment } from '../../src/train/runLock.js';

const root = mkdtempSync(join(tmpdir(), 'netc-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const fresh = (): string => {
  const dir = join(root, `run-${n++}`);
  mkdirSync(dir);
  return dir;
};
const env = (pid: number, alive: readonly number[] = [pid]): LockEnvironment => ({
  pid,
  host: 'here',
  now: () => new Date('2026-12-06T03:00:00.000Z'),
  alive: (p) => alive.includes(p),
});

describe('lockRunDir', () => {
  test('one holder at a time; release frees it for the next; a second release does nothing', () => {
    const dir = fresh();
    const first = lockRunDir(dir, env(100, [100, 200]));
    expect(JSON.parse(readFileSync(join(dir, lockFileName), 'utf8'))).toEqual({ pid: 100, host: 'here', started: '2026-12-06T03:00:00.000Z' });
    expect(() => lockRunDir(dir, env(200, [100, 200]))).toThrow(/NN4006|in use by another netc train \(process 100 on here/);
    first.release();
    first.release();
    expect(existsSync(join(dir, lockFileName))).toBe(false);
    const second = lockRunDir(dir, env(200, [200]));
    expect(second.tookOver).toBeNull();
    second.release();
  });

  test('a release never removes a lock that another process took over meanwhile', () => {
    const dir = fresh();
    const mine = lockRunDir(dir, env(100));
    writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: 300, host: 'here', started: 'later' }));
    mine.release();
    expect(existsSync(join(dir, lockFileName))).toBe(true);
  });

  test('an empty lock file is its owner writing it: refused while young, taken over when old', () => {
    const dir = fresh();
    const path = join(dir, lockFileName);
    writeFileSync(path, '');
    const now = new Date();
    const at = (date: Date): LockEnvironment => ({ ...env(100), now: () => date });
    expect(() => lockRunDir(dir, at(now))).toThrow(/is being written/);
    utimesSync(path, new Date(now.getTime() - 60_000), new Date(now.getTime() - 60_000));
    const taken = lockRunDir(dir, at(now));
    expect(taken.tookOver).toBe(`took over ${path}, which was empty or damaged`);
    taken.release();
  });
});
