/**
 * Issue 15: the edges of `netc train` as a user meets them, each reproduced first: two runs into one directory, a
 * stale lock, a full disk, a read-only file system, a diverging rate, a batch larger than the data, --threads
 * beyond the cores, and a finished run resumed. The concurrency tests run real `netc` processes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { lockFileName } from '../../src/train/runLock.js';
import { epochLines, netc, workspace } from './trainHelpers.js';

const root = resolve(import.meta.dirname, '../..');
const ws = workspace();
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));
const common = ['--data', ws.data, '--backend', 'cpu', '--seed', '7'];

/** Mounts a tmpfs at `dir` (root only); false where this machine does not allow it. */
function mountTmpfs(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}

/** A `netc` process of its own, with its output collected. */
function start(args: readonly string[]): { child: ChildProcess; done: Promise<{ code: number | null; out: string; err: string }>; out: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/cli/netcEntry.ts'), ...args], { cwd: root });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => void (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (err += chunk.toString()));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolveDone) => {
    child.on('close', (code) => resolveDone({ code, out, err }));
  });
  return { child, done, out: () => out };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('one run per directory', () => {
  test('a second run into the same --out fails loudly (NN4006) while the first completes', async () => {
    const out = join(ws.dir, 'shared');
    const first = start(['train', ws.net, ...common, '--epochs', '2', '--out', out]);
    // The header names the run directory once the lock is held; the first run is then paused, so that the second
    // certainly meets it running, however slow the machine.
    await until(() => first.out().includes('saving to'), 'the first run to start');
    first.child.kill('SIGSTOP');
    const lock = JSON.parse(readFileSync(join(out, lockFileName), 'utf8')) as { pid: number; host: string; started: string };
    expect(lock).toMatchObject({ pid: first.child.pid, host: hostname() });
    const second = await start(['train', ws.net, ...common, '--epochs', '2', '--out', out]).done;
    first.child.kill('SIGCONT');
    const firstResult = await first.done;

    expect(second.code).toBe(1);
    expect(second.err).toMatch(
      new RegExp(`^netc: error NN4006: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another netc train \\(process ${first.child.pid} on ${hostname()}, started ${lock.started}\\); wait for it to finish, or train into another --out\\.\n$`),
    );
    // (TensorFlow.js prints a banner about tfjs-node on stderr; netc itself says nothing there.)
    expect(firstResult.err).not.toMatch(/netc:|error|warning/i);
    expect(firstResult.code).toBe(0);
    expect(epochLines(firstResult.out).map((e) => e.epoch)).toEqual([1, 2]);
    // The checkpoint is the first run's, whole; the lock is gone.
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')) as { epochsDone: number };
    expect(state.epochsDone).toBe(2);
    expect(existsSync(join(out, lockFileName))).toBe(false);
  });

  test('a lock left by a process that is gone is taken over with a note; Ctrl-C twice still releases the lock', async () => {
    const out = join(ws.dir, 'stale');
    mkdirSync(out, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(out, lockFileName), `${JSON.stringify({ pid: dead, host: hostname(), started: '2026-01-01T00:00:00.000Z' })}\n`);
    mkdirSync(join(out, '.checkpoint-writing-999999'));
    const run = await netc(['train', ws.net, ...common, '--epochs', '1', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.err).toBe(
      `netc: note: took over the lock of netc process ${dead}, started 2026-01-01T00:00:00.000Z, which is no longer running.\n`,
    );
    expect(readdirSync(out).sort()).toEqual(['checkpoint', 'curves.csv', 'curves.json', 'curves.svg']);

    // A second Ctrl-C quits at once through process.exit: the exit hook still removes the lock.
    const quit = join(ws.dir, 'quit');
    const running = start(['train', ws.net, ...common, '--epochs', '50', '--out', quit]);
    await until(() => /epoch 1\/50/.test(running.out()), 'the first epoch');
    running.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 1500));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect([130, 0]).toContain(result.code);
    expect(existsSync(join(quit, lockFileName))).toBe(false);
  });

  test('a lock held by a live process on another host is refused, naming the file to delete', async () => {
    const out = join(ws.dir, 'elsewhere');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, lockFileName), `${JSON.stringify({ pid: 1, host: 'other-host', started: '2026-01-01T00:00:00.000Z' })}\n`);
    const run = await netc(['train', ws.net, ...common, '--epochs', '1', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('error NN4006');
    expect(run.err).toContain(`If no netc runs on other-host any more, delete ${join(out, lockFileName)}.`);
  });
});

describe('the disk and the file system', () => {
  const big = join(ws.dir, 'big.net');
  // 1.6 MB of weights: its checkpoint cannot fit a 1 MB disk.
  writeFileSync(big, 'input 1x28x28\nflatten | dense 512 | relu | dense 10\n');

  // Mounting needs root; where it is refused, test/train/checkpointDiskFull.test.ts injects ENOSPC instead.
  const canMount = mountTmpfs(join(ws.dir, 'probe'), 'size=1m') && spawnSync('umount', [join(ws.dir, 'probe')]).status === 0;
  test.runIf(canMount)('a full disk (1 MB tmpfs): NN4002, no staging directory, no stack', async () => {
    const disk = join(ws.dir, 'full');
    expect(mountTmpfs(disk, 'size=1m')).toBe(true);
    try {
      const run = await netc(['train', big, ...common, '--epochs', '1', '--out', join(disk, 'run')]);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^netc: error NN4002: Cannot save a checkpoint in .*run: the disk is full \(ENOSPC\)\. Nothing half-written is left behind and no checkpoint was saved; free some space and start the run again\.\n$/);
      // Nothing is left: no staging directory, no empty run directory, no lock.
      expect(readdirSync(disk)).toEqual([]);
    } finally {
      spawnSync('umount', [disk]);
    }
  });

  test('a nested --out under a folder that cannot be written names the real cause, not ENOENT', async () => {
    const top = join(ws.dir, 'readonly');
    let expected: RegExp;
    if (mountTmpfs(top, 'ro,size=1m')) {
      expected = /cannot be written: the file system is read-only \(EROFS\)\.\n$/;
    } else {
      mkdirSync(top, { recursive: true });
      chmodSync(top, 0o555);
      expected = /cannot be written: permission denied \(EACCES\)\.\n$/;
    }
    try {
      const run = await netc(['train', ws.net, ...common, '--epochs', '1', '--out', join(top, 'a', 'b')]);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^netc: error NN4002: Cannot write the run directory .*a\/b: .*readonly cannot be written/);
      expect(run.err).toMatch(expected);
      expect(run.err).not.toContain('ENOENT');
    } finally {
      spawnSync('umount', [top]);
    }
  });
});

describe('rates that diverge', () => {
  test('lr 1e6: stopped with a coded error that names a rate, and that rate trains; no empty run directory', async () => {
    const out = join(ws.dir, 'diverged');
    const run = await netc(['train', ws.net, ...common, '--lr', '1e6', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^netc: error NN500[46]: /);
    expect(run.err).toMatch(/[Tt]raining diverged/);
    const suggested = /--lr (\S+?)\.?$/m.exec(run.err)?.[1];
    expect(suggested).toBe('1');
    expect(existsSync(out)).toBe(false);

    const retry = await netc(['train', ws.net, ...common, '--lr', suggested!, '--out', out]);
    expect(retry.code).toBe(0);
    const epochs = epochLines(retry.out);
    expect(epochs[epochs.length - 1]!.loss).toBeLessThan(epochs[0]!.loss);
    expect(epochs[epochs.length - 1]!.trainAcc).toBeGreaterThan(0.3);
  });
});

describe('threads and batches', () => {
  test('--batch far above the data (500 images, batch 50,000) with measured threads trains instead of crashing', async () => {
    const small = workspace(undefined, { train: 500, test: 100 });
    const lenetBn = readFileSync(join(root, 'models/lenet-bn.net'), 'utf8');
    writeFileSync(small.net, lenetBn);
    const run = await netc(['train', small.net, '--data', small.data, '--batch', '50000', '--epochs', '1', '--threads', 'auto', '--out', join(small.dir, 'run')]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^trains on \d threads? /m);
    expect(epochLines(run.out)).toHaveLength(1);
    rmSync(small.dir, { recursive: true, force: true });
  });

  test('--threads 64: a warning, capped at the cores; the first and closing lines say what ran', async () => {
    const cores = availableParallelism();
    const run = await netc(['train', ws.net, '--data', ws.data, '--backend', 'wasm', '--epochs', '1', '--threads', '64', '--out', join(ws.dir, 'threads')]);
    expect(run.err).toBe(`netc: warning: --threads 64 is more than the ${cores} cores of this machine; training on ${cores} threads.\n`);
    expect(run.code).toBe(0);
    expect(run.out.split('\n')[0]).not.toMatch(/\d+ threads?/);
    const used = cores === 1 ? '1 training thread' : `${cores} training threads`;
    expect(run.out).toMatch(new RegExp(`examples/sec on wasm \\(SIMD\\) on the CPU \\(.+\\), ${used}\n`));
  });
});

describe('resuming', () => {
  test('a finished run resumed does nothing but say so: no measuring, no rewritten curves', async () => {
    const out = join(ws.dir, 'finished');
    expect((await netc(['train', ws.net, ...common, '--epochs', '1', '--out', out])).code).toBe(0);
    const before = statSync(join(out, 'curves.svg')).mtimeMs;
    const run = await netc(['train', '--resume', out, '--data', ws.data]);
    expect(run.code).toBe(0);
    expect(run.out).toBe(`${out} already has 1 of 1 epochs; nothing to do. Pass --epochs above 1 to train further.\n`);
    expect(statSync(join(out, 'curves.svg')).mtimeMs).toBe(before);
    expect(existsSync(join(out, lockFileName))).toBe(false);
  });
});
