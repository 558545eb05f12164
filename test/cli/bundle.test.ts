import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CliError } from '../../src/cli/io.js';
import { NetcError } from '../../src/diagnostics/NetcError.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = join(root, 'dist', 'cli', 'run.bundle.js');

function netc(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(root, 'bin', 'netc.js'), ...args], { cwd: root, encoding: 'utf8' });
}

describe('the bundled front door (dist/cli/run.bundle.js, built by npm run build)', () => {
  test('loads only Node built-ins at start; every lazy import names a built module in dist/ or a package', () => {
    const text = readFileSync(bundle, 'utf8');
    const eager = [...text.matchAll(/(?:^|[;}\s])import\s*(?:[\w$*{][^;'"]*?from\s*)?["']([^"']+)["']/g)].map((m) => m[1]!);
    expect(eager.length).toBeGreaterThan(0);
    for (const path of eager) expect(path).toMatch(/^(node:)?[a-z_/]+$/);
    const lazy = [...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
    expect(lazy).toContain('@tensorflow/tfjs');
    for (const path of lazy.filter((p) => p.startsWith('.'))) expect(existsSync(join(dirname(bundle), path)), path).toBe(true);
  });

  test('checks a model and reports a usage error from the bundle', () => {
    const ok = netc('check', 'models/lenet-bn.net');
    expect(ok.stdout).toBe('1 file checked: no problems.\n');
    expect(ok.status).toBe(0);
    const bad = netc('train', 'models/lenet-bn.net', '--lr', '-1');
    expect(bad.stderr).toBe('netc: error NN2011: `--lr` must be above 0, not -1.\n');
    expect(bad.status).toBe(2);
  });

  test('an error thrown by a lazily loaded dist/ module is still a coded message, not a stack trace', () => {
    const r = netc('inspect', join(root, 'tmp', 'no-such-run-dir'));
    expect(r.stderr).toMatch(/^netc: error NN5005: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(1);
  });
});

describe('error classes recognise their copies in other module instances', () => {
  test.each([
    ['CliError', CliError, 'netc.CliError'],
    ['NetcError', NetcError, 'netc.NetcError'],
  ] as const)('%s: instanceof goes by the brand', (_name, Class, brand) => {
    const copy = Object.assign(new Error('from another copy of the module'), { [Symbol.for(brand)]: true });
    expect(copy instanceof Class).toBe(true);
    expect(new Error('plain') instanceof Class).toBe(false);
    expect((null as unknown as object) instanceof Class).toBe(false);
  });
  test('real instances and subclass behaviour are unchanged', () => {
    expect(new CliError('x', 2) instanceof CliError).toBe(true);
    expect(new CliError('x', 2) instanceof Error).toBe(true);
    expect(new NetcError('NN5005', 'x') instanceof NetcError).toBe(true);
    expect(new NetcError('NN5005', 'x') instanceof CliError).toBe(false);
  });
});
