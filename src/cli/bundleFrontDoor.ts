// `npm run build:cli`: bundles the CLI's front door (src/cli/run.ts and main.ts with every command's definition, the front end,
// yargs and chevrotain) into one file, dist/cli/run.bundle.cjs, which bin/netc.js loads through src/cli/frontDoor.ts
// with a V8 code cache. `netc check` and `netc summary` then start from one compiled script instead of about 130
// modules, so their cold start is mostly Node's own.
// Every dynamic import (tfjs, compiling, training, the backends: what `compile`, `train` and `inspect` load on use)
// stays a dynamic import of the unbundled module in dist/, so worker threads, the SIMD module and the kernels keep
// their own files and load only when a command needs them.
//
// The bundle is a script body, not a module (Node 20 caches the compiled code of scripts only): CommonJS in form,
// with `import.meta.url` and `import()` replaced by two names that frontDoor.ts hands in (`bundleParameters`).

import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where src/cli/frontDoor.ts looks for the bundle and its code cache. */
export const bundleFile = join(root, 'dist', 'cli', 'run.bundle.cjs');
export const codeCacheFile = join(root, 'dist', 'cli', 'run.bundle.cache');

/** What a lazy import's path starts with in esbuild's output, until it becomes a call of `netcImport`. */
const lazyMark = 'netc-lazy:';

/** Keeps every `import()` out of the bundle: a package stays a package, a file of src/ becomes its build in dist/. */
const lazyImports: Plugin = {
  name: 'netc-lazy-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      if (!args.path.startsWith('.')) return { path: `${lazyMark}${args.path}`, external: true };
      const source = join(dirname(args.importer), args.path);
      const fromSrc = relative(join(root, 'src'), source);
      if (fromSrc.startsWith('..')) throw new Error(`${args.importer}: a lazy import outside src/ (${args.path})`);
      const target = relative(dirname(bundleFile), join(root, 'dist', fromSrc)).split(sep).join('/');
      return { path: `${lazyMark}${target.startsWith('.') ? target : `./${target}`}`, external: true };
    });
  },
};

/**
 * Defers loading string-width (yargs, cliui and wrap-ansi measure every cell of the help text with it, and the help
 * of the command that runs is always laid out) until a string needs more than its length: each of its three copies
 * builds an `Intl.Segmenter` and Unicode-property regular expressions when loaded, about 30 ms of `netc check`'s
 * start. A string of printable ASCII is as wide as it is long in every version (no escape, control, combining or wide
 * character), which is all yargs measures in netc's help; anything else goes to the importer's own copy, loaded then.
 */
const lazyStringWidth: Plugin = {
  name: 'netc-lazy-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir, pluginData: 'real' });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      resolveDir: dirname(args.path),
      contents: [
        'let real;',
        'export default function stringWidth(text, options) {',
        '  if (typeof text === "string" && /^[\\x20-\\x7e]*$/.test(text)) return text.length;',
        `  real ??= require(${JSON.stringify(args.path)}).default;`,
        '  return real(text, options);',
        '}',
      ].join('\n'),
    }));
  },
};

/**
 * Loads the Node built-ins that `netc check` does not use (http for the playground, child_process, zlib, crypto,
 * fs/promises, os: about 3 ms at start) on their first use instead of at start. Such a built-in becomes a CommonJS
 * module of getters, one per export (the names this Node has), each loading the real module when read; esbuild
 * reads an import's property where the code uses it, so nothing loads before. Only these: esbuild copies every
 * export of a CommonJS module at each module that imports it, which for fs or path costs more than it saves.
 */
const deferredBuiltins = new Set(['child_process', 'crypto', 'fs/promises', 'http', 'os', 'zlib']);
const lazyBuiltins: Plugin = {
  name: 'netc-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!deferredBuiltins.has(args.path.replace(/^node:/, '')) || args.kind === 'dynamic-import') return undefined;
      if (args.namespace === 'lazy-builtin') return { path: args.path, external: true };
      return { path: args.path, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const names = Object.keys((await import(args.path)) as object).filter((name) => name !== 'default');
      return {
        loader: 'js',
        contents: [
          'let real;',
          `const load = () => (real ??= require(${JSON.stringify(args.path)}));`,
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
        ].join('\n'),
      };
    });
  },
};

/**
 * Builds dist/cli/run.bundle.cjs, makes its code cache by running `netc check` once through bin/netc.js, and
 * returns the modules the bundle requires at load time (Node's built-ins only).
 */
export async function bundleFrontDoor(): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, 'src', 'cli', 'run.ts')],
    outfile: bundleFile,
    write: false,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    // Class names stay readable in the rare stack trace a user reports.
    keepNames: true,
    define: { 'import.meta.url': 'netcImportMetaUrl' },
    metafile: true,
    plugins: [lazyImports, lazyStringWidth, lazyBuiltins],
    logLevel: 'warning',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const eager = output.imports.filter((i) => i.kind !== 'dynamic-import').map((i) => i.path);
  const foreign = eager.filter((p) => !/^(node:)?[a-z_/]+$/.test(p) || p.startsWith('.'));
  if (foreign.length > 0) throw new Error(`the CLI bundle would load ${foreign.join(', ')} at start-up`);
  const lazyCount = output.imports.filter((i) => i.kind === 'dynamic-import').length;
  let replaced = 0;
  const text = result.outputFiles[0]!.text.replace(/\bimport\((["'])netc-lazy:([^"']+)\1\)/g, (_all, quote: string, path: string) => {
    replaced += 1;
    return `netcImport(${quote}${path}${quote})`;
  });
  if (replaced !== lazyCount || text.includes(lazyMark)) {
    throw new Error(`the CLI bundle has ${lazyCount} lazy imports but ${replaced} became netcImport calls`);
  }
  // The id that ties a code cache to this bundle (src/cli/frontDoor.ts).
  writeFileSync(bundleFile, `// netc-bundle ${createHash('sha1').update(text).digest('hex')}\n${text}`);
  rmSync(codeCacheFile, { force: true });
  const warm = spawnSync(process.execPath, [join(root, 'bin', 'netc.js'), 'check', join(root, 'models', 'lenet-bn.net')], {
    encoding: 'utf8',
  });
  if (warm.status !== 0) throw new Error(`the bundled CLI failed its first check: ${warm.stderr}`);
  return eager;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await bundleFrontDoor();
