import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { netc } from './trainHelpers.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'netc-check-'));
function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const missingFlatten = file(
  'bad.net',
  `model bad
input 1x28x28
conv 6 k5 | bn | sigmoid | avgpool 2
conv 16 k5 | bn | sigmoid | avgpool 2
dense 120 | bn | sigmod
dense 10
`,
);

describe('netc check', () => {
  test('every shipped model checks clean: exit 0 and a count', async () => {
    const models = readdirSync(join(root, 'models'))
      .filter((f) => f.endsWith('.net'))
      .map((f) => join(root, 'models', f));
    expect(models.length).toBeGreaterThanOrEqual(7);
    const run = await netc(['check', ...models]);
    expect(run.code).toBe(0);
    expect(run.out).toBe(`${models.length} files checked: no problems.\n`);
  });

  test('errors: file:line:col - error CODE: message, a code frame with a caret, a count, exit 1', async () => {
    const run = await netc(['check', missingFlatten]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      `${missingFlatten}:5:1 - error NN3001: dense expects a flat input but receives 16x4x4; add \`flatten\` before it.\n` +
        '  4 | conv 16 k5 | bn | sigmoid | avgpool 2\n' +
        '  5 | dense 120 | bn | sigmod\n' +
        '    | ^~~~~~~~~\n',
    );
    expect(run.out).toContain(`${missingFlatten}:5:18 - error NN2001: Unknown layer \`sigmod\`; did you mean \`sigmoid\`?`);
    expect(run.out).toMatch(/1 file checked: 2 errors\.\n$/);
  });

  test('warnings alone exit 0', async () => {
    const path = file('warn.net', 'input 784\ndense 32 | relu | relu\ndense 5\n');
    const run = await netc(['check', path]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/warning NN3103/);
    expect(run.out).toMatch(/warning NN3101/);
    expect(run.out).toMatch(/2 warnings\.\n$/);
  });

  test('--format json prints one array of located diagnostics and nothing else', async () => {
    const run = await netc(['check', missingFlatten, '--format', 'json']);
    expect(run.code).toBe(1);
    const parsed = JSON.parse(run.out) as Record<string, unknown>[];
    expect(parsed).toEqual([
      {
        file: missingFlatten,
        line: 5,
        column: 1,
        endLine: 5,
        endColumn: 10,
        severity: 'error',
        code: 'NN3001',
        message: 'dense expects a flat input but receives 16x4x4; add `flatten` before it.',
      },
      expect.objectContaining({ line: 5, column: 18, endColumn: 24, code: 'NN2001', severity: 'error' }),
    ]);
  });

  test('--format json on a clean file is an empty array', async () => {
    const run = await netc(['check', join(root, 'models/lenet-bn.net'), '--format', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual([]);
  });

  test('a missing file is an I/O problem: exit 2, other files still checked', async () => {
    const run = await netc(['check', join(dir, 'nope.net'), join(root, 'models/lenet.net')]);
    expect(run.code).toBe(2);
    expect(run.err).toBe(`netc: cannot read ${join(dir, 'nope.net')}: no such file.\n`);
    expect(run.out).toBe('1 file checked: no problems; 1 could not be read.\n');
  });

  test('only a missing file: no "no problems" about nothing (issue 15)', async () => {
    const run = await netc(['check', join(dir, 'nope.net')]);
    expect(run.code).toBe(2);
    expect(run.err).toBe(`netc: cannot read ${join(dir, 'nope.net')}: no such file.\n`);
    expect(run.out).toBe('0 files checked; 1 could not be read.\n');
  });

  test('a directory stands for the .net files in it; one without any is refused with exit 2', async () => {
    const models = await netc(['check', join(root, 'models')]);
    expect(models.code).toBe(0);
    expect(models.out).toMatch(/^\d+ files checked: no problems\.\n$/);
    const empty = mkdtempSync(join(tmpdir(), 'netc-empty-'));
    const run = await netc(['check', empty]);
    expect(run.code).toBe(2);
    expect(run.err).toBe(`netc: ${empty} is a directory with no .net files in it.\n`);
    expect(run.out).toBe('0 files checked; 1 could not be read.\n');
  });

  test.each([
    ['an empty file', ''],
    ['binary junk', Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 10, 7, 0x80])],
    ['a line of 100,000 pipes', `input 784\n${'|'.repeat(100_000)}\n`],
    ['deep nonsense', '((((((((((((((([[[[[{{{{{'.repeat(2000)],
    ['negative and fractional sizes', 'input 1x28x28\nconv -6 k2.5 | dense 0\n'],
    ['unknown keys', 'input 784\ntrain epoch=3 lr=x\ndense 10 units=4\n'],
  ])('%s: diagnostics and exit 1, never a stack trace', async (_name, text) => {
    const run = await netc(['check', file('junk.net', text)]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/error NN\d{4}: /);
    expect(run.out + run.err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });

  // The timeout is a hang guard on a loaded 2-core machine, not a speed claim (the bench measures speed).
  test('a 10 MB file is checked, with a capped list of diagnostics', { timeout: 300_000 }, async () => {
    const line = 'conv 6 k5 | bn | sigmoid | avgpool 2 | dense 10 | bogus 3\n';
    const big = file('big.net', `input 1x28x28\n${line.repeat(Math.ceil(10_000_000 / line.length))}`);
    const run = await netc(['check', big, '--format', 'json']);
    expect(run.code).toBe(1);
    const list = JSON.parse(run.out) as unknown[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.length).toBe(201);
    expect(list[200]).toMatchObject({ code: 'NN1005', severity: 'error' });
  });
});

describe('netc check does not load TensorFlow.js', () => {
  test('after a check in a fresh process, no tfjs engine exists', () => {
    const script = `
      const { main } = await import('./src/cli/main.ts');
      const io = { out() {}, err() {}, isTTY: false };
      const code = await main(['check', 'models/lenet-bn.net'], io);
      console.log(JSON.stringify({ code, tfjs: typeof globalThis._tfengine }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ code: 0, tfjs: 'undefined' });
  });
});

describe('netc summary', () => {
  test('text: one row per layer as written, with line, variant, shape and params, then totals', async () => {
    const run = await netc(['summary', join(root, 'models/lenet-bn.net')]);
    expect(run.code).toBe(0);
    const rows = run.out.split('\n').filter((l) => /^\s*\d+\s+\d+:\d+/.test(l));
    expect(rows).toHaveLength(16);
    expect(run.out.split('\n')[2]).toMatch(/^ #\s+line\s+layer\s+variant\s+output\s+trainable\s+non-trainable\s+MACs$/);
    // MACs: 6 * 24 * 24 * 1 * 5 * 5 for the first convolution, 256 * 120 for the first dense layer.
    expect(rows[0]).toMatch(/^\s*1\s+7:1\s+conv\s+-\s+6x24x24\s+156\s+0\s+86,400$/);
    expect(rows[1]).toMatch(/^\s*2\s+7:13\s+bn\s+BatchNorm2d\s+6x24x24\s+12\s+12\s+0$/);
    expect(rows[8]).toMatch(/^\s*9\s+9:1\s+flatten\s+-\s+256\s+0\s+0\s+0$/);
    expect(rows[9]).toMatch(/^\s*10\s+10:1\s+dense\s+-\s+120\s+30,840\s+0\s+30,720$/);
    expect(rows[10]).toMatch(/^\s*11\s+10:13\s+bn\s+BatchNorm1d\s+120\s+240\s+240\s+0$/);
    expect(run.out).toContain(
      'total params: 45,330\ntrainable params: 44,878\nnon-trainable params: 452\n' +
        'MACs: 281,640 (FLOPs: 563,280)\nactivation memory: 15,438 floats (60.3 KiB) per example\n',
    );
  });

  test('json: the documented shape', async () => {
    const run = await netc(['summary', join(root, 'models/mlp-bn.net'), '--format', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      model: 'mlp_bn',
      input: [1, 28, 28],
      layers: [
        { op: 'flatten', variant: null, line: 6, column: 1, output: [784], params: { trainable: 0, nonTrainable: 0 }, macs: 0, inputs: [-1], block: null, blocks: [] },
        { op: 'dense', variant: null, line: 7, column: 1, output: [256], params: { trainable: 200_960, nonTrainable: 0 }, macs: 200_704, inputs: [0], block: null, blocks: [] },
        { op: 'bn', variant: 'BatchNorm1d', line: 7, column: 13, output: [256], params: { trainable: 512, nonTrainable: 512 }, macs: 0, inputs: [1], block: null, blocks: [] },
        { op: 'relu', variant: null, line: 7, column: 18, output: [256], params: { trainable: 0, nonTrainable: 0 }, macs: 0, inputs: [2], block: null, blocks: [] },
        { op: 'dense', variant: null, line: 8, column: 1, output: [128], params: { trainable: 32_896, nonTrainable: 0 }, macs: 32_768, inputs: [3], block: null, blocks: [] },
        { op: 'bn', variant: 'BatchNorm1d', line: 8, column: 13, output: [128], params: { trainable: 256, nonTrainable: 256 }, macs: 0, inputs: [4], block: null, blocks: [] },
        { op: 'relu', variant: null, line: 8, column: 18, output: [128], params: { trainable: 0, nonTrainable: 0 }, macs: 0, inputs: [5], block: null, blocks: [] },
        { op: 'dense', variant: null, line: 9, column: 1, output: [10], params: { trainable: 1_290, nonTrainable: 0 }, macs: 1_280, inputs: [6], block: null, blocks: [] },
      ],
      // MACs from test/check/pytorch_macs.py; 1,946 floats = 784 + 256 * 3 + 128 * 3 + 10.
      totals: { trainable: 235_914, nonTrainable: 768, macs: 234_752, flops: 469_504, activations: 1_946 },
    });
  });

  test('`linear` is reported as `dense`', async () => {
    const run = await netc(['summary', file('linear.net', 'input 784\nlinear 10\n'), '--format', 'json']);
    expect(JSON.parse(run.out).layers[0].op).toBe('dense');
  });

  test('a file with errors prints its diagnostics and exits 1', async () => {
    const run = await netc(['summary', missingFlatten]);
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toContain('error NN3001');
  });
});

describe('netc usage', () => {
  test('--help lists the commands', async () => {
    const run = await netc(['--help']);
    expect(run.code).toBe(0);
    for (const c of ['check', 'summary', 'compile', 'train', 'inspect']) expect(run.out).toContain(`netc ${c}`);
  });

  test('--version prints the package version', async () => {
    const run = await netc(['--version']);
    expect(run.code).toBe(0);
    expect(run.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test.each([
    [['frobnicate']],
    [['check', 'models/lenet.net', '--bogus']],
    [['check']],
    [['summary', '--format', 'xml', 'models/lenet.net']],
  ])('%j is a one-line error with usage, exit 2', async (args) => {
    const run = await netc(args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^netc: .+\nRun `netc --help` for usage\.\n$/);
  });
});
