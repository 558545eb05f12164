// Loads the bundled front door (dist/cli/run.bundle.cjs, src/cli/bundleFrontDoor.ts) with a V8 code cache, so that
// `netc check` neither parses the bundle's half megabyte nor compiles the functions it runs: both come from
// dist/cli/run.bundle.cache. Node 20 has no code cache for ES modules, so the bundle is a script body that this
// module wraps in a function and compiles with `vm.Script`, handing in what an ES module would have had:
// `import.meta.url` and `import()` (a dynamic import inside a script compiled from a code cache loses its loader in
// Node 20, so the bundle calls `netcImport`, which imports from here on its behalf).
//
// The cache is an optimisation only: a missing, stale (made from another bundle) or rejected (another Node or other
// V8 flags) cache compiles the bundle from source and writes a fresh cache when the process exits; a cache that
// cannot be written (a read-only install) is left alone. The build writes an id (a hash of the bundle) on the
// bundle's first line and the cache starts with the id of the bundle it was made from, because V8's own check
// compares only the source's length; comparing ids costs nothing at start, hashing the bundle would.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The bundle and its cache, beside this module's build in dist/cli/. */
export const bundleUrl = new URL('./run.bundle.cjs', import.meta.url);
export const codeCacheUrl = new URL('./run.bundle.cache', import.meta.url);

/** The parameters of the function the bundle's text becomes: CommonJS's five, then what the bundle needs of ESM. */
export const bundleParameters = ['exports', 'require', 'module', '__filename', '__dirname', 'netcImportMetaUrl', 'netcImport'];

/** The bundle's first line, `// netc-bundle <id>`, where the id is 40 hex digits. */
export const bundleIdLine = /^\/\/ netc-bundle ([0-9a-f]{40})\n/;

/** What became of the code cache: used, or why the bundle was compiled from source. */
export type CodeCacheState = 'used' | 'missing' | 'stale' | 'rejected';

type RunCli = (argv?: readonly string[]) => void;

/** `import(specifier)` as the bundle would resolve it: a relative path from the bundle's folder, a package by name. */
function netcImport(specifier: string): Promise<unknown> {
  return import(specifier.startsWith('.') ? new URL(specifier, bundleUrl).href : specifier);
}

function readCache(id: string): { data?: Buffer; state: CodeCacheState } {
  let cache: Buffer;
  try {
    cache = readFileSync(codeCacheUrl);
  } catch {
    return { state: 'missing' };
  }
  return cache.toString('latin1', 0, id.length) === id ? { data: cache.subarray(id.length), state: 'used' } : { state: 'stale' };
}

/** Writes the cache beside the bundle, whole or not at all (a temporary file renamed over it). */
function writeCache(id: string, data: Buffer): void {
  const target = fileURLToPath(codeCacheUrl);
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([Buffer.from(id, 'latin1'), data]));
    renameSync(temporary, target);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/**
 * Compiles the bundle, from the code cache where it is good, and arranges for a fresh cache to be written at exit
 * where it was not. Undefined where the bundle is not built.
 */
export function compileFrontDoor(): { body: (...args: unknown[]) => void; cache: CodeCacheState } | undefined {
  let source: string;
  try {
    source = readFileSync(bundleUrl, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const id = bundleIdLine.exec(source)?.[1];
  const { data, state } = id === undefined ? { state: 'missing' as const } : readCache(id);
  const script = new Script(`(function (${bundleParameters.join(', ')}) {${source}\n})`, {
    filename: fileURLToPath(bundleUrl),
    cachedData: data,
  });
  const cache = state === 'used' && script.cachedDataRejected === true ? 'rejected' : state;
  // After the command has run, so that the cache holds the functions it compiled on the way.
  if (cache !== 'used' && id !== undefined) process.once('exit', () => writeCache(id, script.createCachedData()));
  return { body: script.runInThisContext() as (...args: unknown[]) => void, cache };
}

/**
 * The bundle's `runCli`, or undefined where the bundle is not built (a tsc-only build: bin/netc.js then runs
 * dist/cli/run.js).
 */
export function loadFrontDoor(): RunCli | undefined {
  const compiled = compileFrontDoor();
  if (compiled === undefined) return undefined;
  const file = fileURLToPath(bundleUrl);
  const module = { exports: {} as { runCli: RunCli } };
  compiled.body.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), bundleUrl.href, netcImport);
  return module.exports.runCli;
}
