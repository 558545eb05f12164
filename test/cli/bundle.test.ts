import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CliError } from '../../src/cli/io.js';
import { NetcError } from '../../src/diagnostics/NetcError.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = join(root, 'dist', 'cli', 'run.bundle.cjs');
const codeCache = join(root, 'dist', 'cli', 'run.bundle.cache');

/** Loads the front door from `dir` (its frontDoor.js), prints what became of its code cache and runs `args`. */
function runFrontDoor(dir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = [
    `const { compileFrontDoor, loadFrontDoor } = await import(${JSON.stringify(pathToFileURL(join(dir, 'frontDoor.js')).href)});`,
    `const compiled = compileFrontDoor();`,
    `console.log(compiled?.cache ?? 'missing bundle');`,
    `if (compiled) loadFrontDoor()(${JSON.stringify(args)});`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the front door in `dir` makes of its code cache, in a process of its own. */
function cacheState(dir: string): string {
  const url = pathToFileURL(join(dir, 'frontDoor.js')).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `console.log((await import('${url}')).compileFrontDoor().cache)`], {
    encoding: 'utf8',
  });
  return r.stdout.trim();
}

/** A fresh folder inside the project (so the copies find its node_modules), under tmp/, which a clean clone lacks. */
function scratchDir(): string {
  mkdirSync(join(root, 'tmp'), { recursive: true });
  return mkdtempSync(join(root, 'tmp', 'front-door-'));
}

function netc(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(root, 'bin', 'netc.js'), ...args], { cwd: root, encoding: 'utf8' });
}

describe('the bundled front door (dist/cli/run.bundle.cjs, built by npm run build)', () => {
  test('loads only Node built-ins at start; every lazy import names a built module in dist/ or a package', () => {
    const text = readFileSync(bundle, 'utf8');
    const eager = [...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
    expect(eager.length).toBeGreaterThan(0);
    for (const path of eager) expect(path).toMatch(/^(node:)?[a-z_/]+$/);
    // A script has no import(): frontDoor.ts hands in netcImport, and the build turned every import() into it.
    expect(text).not.toMatch(/\bimport\(/);
    const lazy = [...text.matchAll(/\bnetcImport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
    expect(lazy).toContain('@tensorflow/tfjs');
    for (const path of lazy.filter((p) => p.startsWith('.'))) expect(existsSync(join(dirname(bundle), path)), path).toBe(true);
  });

  test('the build leaves a code cache made from this bundle, and V8 takes it', () => {
    const id = /^\/\/ netc-bundle ([0-9a-f]{40})\n/.exec(readFileSync(bundle, 'utf8'))?.[1];
    expect(id).toBeDefined();
    expect(readFileSync(codeCache).subarray(0, 40).toString('latin1')).toBe(id);
    expect(cacheState(join(root, 'dist', 'cli'))).toBe('used');
  });

  test('a missing, stale or damaged cache is made again, and the command runs as well either way', () => {
    const dir = scratchDir();
    try {
      const cli = join(dir, 'dist', 'cli');
      mkdirSync(cli, { recursive: true });
      for (const file of ['frontDoor.js', 'run.bundle.cjs']) copyFileSync(join(root, 'dist', 'cli', file), join(cli, file));
      writeFileSync(join(dir, 'package.json'), readFileSync(join(root, 'package.json')));
      const copy = join(cli, 'run.bundle.cache');
      const good = readFileSync(codeCache);
      const cases: [string, (() => void) | undefined][] = [
        ['missing', undefined],
        ['stale', () => writeFileSync(copy, Buffer.concat([Buffer.from('0'.repeat(40)), good.subarray(40)]))],
        ['rejected', () => writeFileSync(copy, Buffer.concat([good.subarray(0, 40), Buffer.from('not a V8 code cache')]))],
      ];
      for (const [state, damage] of cases) {
        rmSync(copy, { force: true });
        damage?.();
        const run = runFrontDoor(cli, ['check', join(root, 'models', 'lenet-bn.net')]);
        expect(run, state).toEqual({ status: 0, stdout: `${state}\n1 file checked: no problems.\n`, stderr: '' });
        expect(readFileSync(copy).equals(good) || cacheState(cli) === 'used', state).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('netc check loads none of the built-ins that only other commands use', () => {
    const deferred = ['child_process', 'crypto', 'fs/promises', 'http', 'os', 'zlib'];
    const script = [
      `const { loadFrontDoor } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'cli', 'frontDoor.js')).href)});`,
      `process.on('exit', () => process.stderr.write(JSON.stringify(process.moduleLoadList)));`,
      `loadFrontDoor()(['check', ${JSON.stringify(join(root, 'models', 'lenet-bn.net'))}]);`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.stdout).toBe('1 file checked: no problems.\n');
    const loaded = new Set(JSON.parse(r.stderr) as string[]);
    expect(loaded.has('NativeModule fs')).toBe(true);
    expect(deferred.filter((name) => loaded.has(`NativeModule ${name}`))).toEqual([]);
  });

  test('without a bundle the front door reports none (bin/netc.js then runs dist/cli/run.js)', () => {
    const dir = scratchDir();
    try {
      copyFileSync(join(root, 'dist', 'cli', 'frontDoor.js'), join(dir, 'frontDoor.js'));
      expect(runFrontDoor(dir, []).stdout).toBe('missing bundle\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
