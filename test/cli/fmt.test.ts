import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { netc } from './trainHelpers.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'netc-fmt-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('netc fmt', () => {
  test('--check passes on every shipped model', async () => {
    const models = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.net')).map((f) => join(root, 'models', f));
    const result = await netc(['fmt', '--check', ...models]);
    expect(result).toEqual({ code: 0, out: '', err: '' });
  });

  test('--check lists the files that would change, exits 1 and writes nothing', async () => {
    const messy = file('messy.net', 'input 784\ndense   10|sigmoid\n');
    const tidy = file('tidy.net', 'input 784\ndense 10 | sigmoid\n');
    const result = await netc(['fmt', '--check', messy, tidy]);
    expect(result.code).toBe(1);
    expect(result.out).toBe(`${messy}\n`);
    expect(readFileSync(messy, 'utf8')).toBe('input 784\ndense   10|sigmoid\n');
  });

  test('formats in place and keeps comments', async () => {
    const path = file('inplace.net', '# a model\ninput 784   # flat\ndense   10|sigmoid # out\n');
    const result = await netc(['fmt', path]);
    expect(result.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('# a model\ninput 784           # flat\ndense 10 | sigmoid  # out\n');
    expect(readdirSync(dir).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  test('refuses a file with syntax errors: says why, exit 1, file untouched', async () => {
    const text = 'input 784\ndense 10 | (sigmoid\n';
    const path = file('broken.net', text);
    const result = await netc(['fmt', path]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('error NN1007');
    expect(result.err).toContain('has syntax errors, so it was not formatted');
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  test('a missing file is an I/O error (exit 2)', async () => {
    const result = await netc(['fmt', join(dir, 'absent.net')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('no such file');
  });

  test('`-` formats stdin to stdout', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/cli/netcFromSource.ts', 'fmt', '-'], {
      cwd: root,
      input: 'input 784\ndense   10|sigmoid\n',
      encoding: 'utf8',
    });
    expect(out).toBe('input 784\ndense 10 | sigmoid\n');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'test/cli/netcFromSource.ts', 'fmt', '-'], { cwd: root, input: 'conv (\n', encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('<stdin>:1:6 - error NN1007');
  });
});
