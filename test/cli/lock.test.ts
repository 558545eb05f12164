import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { netc } from './trainHelpers.js';

const root = resolve(import.meta.dirname, '../..');

/** A fresh directory with copies of some shipped models. */
function workspace(...models: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'netc-lock-'));
  for (const model of models) copyFileSync(join(root, 'models', `${model}.net`), join(dir, `${model}.net`));
  return dir;
}

function edit(path: string, from: string, to: string): void {
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

describe('netc lock and netc check --locked', () => {
  test('lock, check passes; conv 6 k5 -> conv 8 k5 fails at that line; lock again, check passes', async () => {
    const dir = workspace('lenet-bn', 'resnet-mini');
    const lockfile = join(dir, 'netc.lock');
    const files = [join(dir, 'lenet-bn.net'), join(dir, 'resnet-mini.net')];
    const lock = await netc(['lock', ...files, '--lockfile', lockfile]);
    expect(lock).toMatchObject({ code: 0, err: '' });
    expect(lock.out).toBe(
      'lenet-bn.net: 16 layers, 45,330 parameters, 281,640 MACs\n' +
        'resnet-mini.net: 37 layers, 96,730 parameters, 3,539,840 MACs\n' +
        `${lockfile}: 2 files locked.\n`,
    );
    const written = JSON.parse(readFileSync(lockfile, 'utf8'));
    expect(Object.keys(written.files)).toEqual(['lenet-bn.net', 'resnet-mini.net']);
    expect(written.files['lenet-bn.net'].totals).toEqual({ trainable: 44_878, nonTrainable: 452, macs: 281_640, flops: 563_280, activations: 15_438 });
    // Atomic: no temporary file is left beside the lock.
    expect(readdirSync(dir).sort()).toEqual(['lenet-bn.net', 'netc.lock', 'resnet-mini.net']);

    expect(await netc(['check', '--lockfile', lockfile, ...files])).toEqual({ code: 0, out: '2 files checked: no problems.\n', err: '' });

    edit(files[0]!, 'conv 6 k5', 'conv 8 k5');
    const drifted = await netc(['check', '--locked', '--lockfile', lockfile, ...files]);
    expect(drifted.code).toBe(1);
    expect(drifted.out).toContain(
      `${files[0]}:7:1 - error NN6001: Layer 1 is \`conv 8 k5\` but netc.lock has \`conv 6 k5\`: output 6x24x24 -> 8x24x24, ` +
        'parameters 156 -> 208, MACs 86,400 -> 115,200;',
    );
    expect(drifted.out).toMatch(/2 files checked: 1 error\.\n$/);
    const json = await netc(['check', '--locked', '--lockfile', lockfile, '--format', 'json', files[0]!]);
    expect(JSON.parse(json.out)).toMatchObject([{ code: 'NN6001', severity: 'error', line: 7, column: 1 }]);

    // `netc lock` with no files refreshes the files the lock holds.
    expect((await netc(['lock', '--lockfile', lockfile])).code).toBe(0);
    expect((await netc(['check', '--lockfile', lockfile, ...files])).code).toBe(0);
  });

  test('netc.lock in the working directory by default; keys are relative to the lockfile', async () => {
    const dir = workspace('lenet');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect((await netc(['lock', 'lenet.net'])).code).toBe(0);
      expect(existsSync(join(dir, 'netc.lock'))).toBe(true);
      expect((await netc(['check', '--locked', 'lenet.net'])).code).toBe(0);
      expect((await netc(['check', '--locked', join(dir, 'lenet.net')])).code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });

  test('a file not in the lock is an error under --locked, not without it', async () => {
    const dir = workspace('lenet', 'mlp-bn');
    const lockfile = join(dir, 'netc.lock');
    await netc(['lock', join(dir, 'lenet.net'), '--lockfile', lockfile]);
    const run = await netc(['check', '--lockfile', lockfile, join(dir, 'lenet.net'), join(dir, 'mlp-bn.net')]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`${join(dir, 'mlp-bn.net')}:3:1 - error NN6002: mlp-bn.net is not in netc.lock;`);
    expect((await netc(['check', join(dir, 'lenet.net'), join(dir, 'mlp-bn.net')])).code).toBe(0);
  });

  test('a file with errors is not locked, and the old lock stays as it was', async () => {
    const dir = workspace('lenet');
    const lockfile = join(dir, 'netc.lock');
    await netc(['lock', join(dir, 'lenet.net'), '--lockfile', lockfile]);
    const before = readFileSync(lockfile, 'utf8');
    edit(join(dir, 'lenet.net'), 'flatten\n', '');
    const run = await netc(['lock', join(dir, 'lenet.net'), '--lockfile', lockfile]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('error NN3001');
    expect(run.err).toContain('not written: fix the errors first.');
    expect(readFileSync(lockfile, 'utf8')).toBe(before);
  });

  test.each([
    ['a missing lockfile', null, /^netc: cannot read .*nope\.lock: no such file; write it with `netc lock FILE\.\.\.`\.\n/],
    ['a lockfile that is not JSON', '{"lockfileVersion": 1, "files": {', /^netc: cannot use .*nope\.lock: it is not JSON/],
    ['a lockfile of another version', '{"lockfileVersion": 9, "files": {}}', /lockfileVersion is 9, and this netc reads version 1/],
  ])('%s is a usage error (exit 2) naming the file', async (_name, text, message) => {
    const dir = workspace('lenet');
    const lockfile = join(dir, 'nope.lock');
    if (text !== null) writeFileSync(lockfile, text);
    const run = await netc(['check', '--lockfile', lockfile, join(dir, 'lenet.net')]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
  });

  test('netc lock with no files and no lockfile asks for files', async () => {
    const dir = workspace();
    const run = await netc(['lock', '--lockfile', join(dir, 'netc.lock')]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/no files named and no .*netc\.lock to refresh; name the \.net files to lock\./);
  });
});

describe('netc diff', () => {
  test('text: aligned rows marked, old -> new where they differ, totals and their change', async () => {
    const dir = workspace('lenet-bn');
    const b = join(dir, 'b.net');
    writeFileSync(b, readFileSync(join(dir, 'lenet-bn.net'), 'utf8').replace('conv 6 k5', 'conv 8 k5').replace('dense 84 | bn | sigmoid', 'dense 84 | bn | sigmoid | dropout 0.3'));
    const run = await netc(['diff', join(dir, 'lenet-bn.net'), b]);
    expect(run.code).toBe(0);
    const lines = run.out.split('\n');
    expect(lines[3]).toMatch(/^\s+a\s+b\s+layer\s+output\s+params\s+MACs$/);
    expect(lines[4]).toMatch(/^~\s+7:1\s+7:1\s+conv 6 k5 -> conv 8 k5\s+6x24x24 -> 8x24x24\s+156 -> 208\s+86,400 -> 115,200$/);
    expect(lines[8]).toMatch(/^~\s+8:1\s+8:1\s+conv 16 k5\s+16x8x8\s+2,416 -> 3,216\s+153,600 -> 204,800$/);
    expect(lines[9]).toMatch(/^\s+8:14\s+8:14\s+bn\s+16x8x8\s+64\s+0$/);
    expect(lines).toContainEqual(expect.stringMatching(/^\+\s+11:27\s+dropout 0\.3\s+84\s+0\s+0$/));
    expect(run.out).toMatch(/\nparams\s+45,330\s+46,190\s+\+860\n/);
    expect(run.out).toMatch(/\nMACs\s+281,640\s+361,640\s+\+80,000\n/);
    expect(run.out).toMatch(/\nactivation floats\s+15,438\s+19,266\s+\+3,828\n/);
    expect(run.out).toMatch(/\n5 changed, 1 added\.\n$/);
    expect((await netc(['diff', '--exit-code', join(dir, 'lenet-bn.net'), b])).code).toBe(1);
  });

  test('json: every row with both sides, the fields that changed, and the totals with their delta', async () => {
    const run = await netc(['diff', join(root, 'models/lenet.net'), join(root, 'models/lenet-bn.net'), '--format', 'json']);
    expect(run.code).toBe(0);
    const diff = JSON.parse(run.out);
    expect(diff.a).toEqual({ file: join(root, 'models/lenet.net'), model: 'lenet', input: [1, 28, 28] });
    expect(diff.changed).toBe(true);
    expect(diff.layers[0]).toEqual({
      status: 'changed',
      fields: ['args', 'output', 'macs'],
      a: { index: 0, line: 7, column: 1, op: 'conv', variant: null, args: { bias: true, kernel: [5, 5], out: 6, pad: [2, 2], stride: [1, 1] }, output: [6, 28, 28], params: { trainable: 156, nonTrainable: 0 }, macs: 117_600 },
      b: { index: 0, line: 7, column: 1, op: 'conv', variant: null, args: { bias: true, kernel: [5, 5], out: 6, pad: [0, 0], stride: [1, 1] }, output: [6, 24, 24], params: { trainable: 156, nonTrainable: 0 }, macs: 86_400 },
    });
    expect(diff.layers[1]).toMatchObject({ status: 'added', a: null, b: { op: 'bn', variant: 'BatchNorm2d' } });
    expect(diff.layers.filter((row: { status: string }) => row.status === 'added')).toHaveLength(4);
    expect(diff.totals.delta).toEqual({ trainable: 44_878 - 61_706, nonTrainable: 452, macs: 281_640 - 416_520, flops: 2 * (281_640 - 416_520), activations: 15_438 - 15_002 });
  });

  test('the same model written two ways has no differences', async () => {
    const run = await netc(['diff', '--exit-code', join(root, 'models/lenet-bn.net'), join(root, 'models/lenet-bn-blocks.net')]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\nno differences in layers, shapes, parameters or MACs\.\n$/);
    expect(run.out).not.toMatch(/^[~+-] /m);
  });

  test('a file with errors: its diagnostics, exit 1', async () => {
    const dir = workspace();
    const bad = join(dir, 'bad.net');
    writeFileSync(bad, 'input 784\nconv 6 k5\n');
    const run = await netc(['diff', join(root, 'models/lenet.net'), bad]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('error NN3002');
  });
});
