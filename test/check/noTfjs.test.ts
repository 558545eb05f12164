import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';

// `netc check` must not load TensorFlow.js (it would cost a second or more per keystroke). Type imports are
// erased by tsc, so the rule is: no value import of '@tensorflow/*' anywhere reachable from check.ts.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Value imports and re-exports of a TypeScript file: the specifiers that survive compilation. */
function valueImports(source: string): string[] {
  const found: string[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*'([^']+)'/gms;
  for (const match of source.matchAll(pattern)) {
    if (match[2] !== undefined) continue;
    // `import { type A, type B } from ...` is erased too.
    const names = match[3]!.replace(/[{}]/g, '').split(',').map((name) => name.trim()).filter(Boolean);
    if (names.length > 0 && names.every((name) => name.startsWith('type '))) continue;
    found.push(match[4]!);
  }
  for (const match of source.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push(match[1]!);
  for (const match of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(match[1]!);
  return found;
}

/**
 * Visits every source file reachable by value imports from `entries` (paths from the repository root); `problems`
 * says what is wrong with one file and the imports it makes. Returns the files seen and every problem.
 */
function walkValueImports(
  entries: readonly string[],
  problems: (file: string, specifiers: readonly string[]) => string[],
): { seen: Set<string>; offenders: string[] } {
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const specifiers = valueImports(readFileSync(file, 'utf8'));
    offenders.push(...problems(file, specifiers));
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  };
  for (const entry of entries) visit(resolve(root, entry));
  return { seen, offenders };
}

/** The TensorFlow.js packages a file imports as values, as offender lines. */
const tfjsImports = (file: string, specifiers: readonly string[]): string[] =>
  specifiers.filter((s) => s.startsWith('@tensorflow/')).map((s) => `${file.slice(root.length + 1)} imports ${s}`);

test('nothing reachable from src/check/check.ts imports TensorFlow.js as a value', () => {
  const { seen, offenders } = walkValueImports(['src/check/check.ts'], tfjsImports);
  expect(offenders).toEqual([]);
  // The walk really covered the layers, which are the files at risk.
  expect([...seen].some((file) => file.endsWith('src/layers/maxpool.ts'))).toBe(true);
  // netc's own tfjs layer classes live in src/compile; layers reach them only through LowerContext.custom.
  expect([...seen].filter((file) => file.includes('/src/compile/'))).toEqual([]);
});

test('the import scanner sees value imports and skips type-only ones', () => {
  expect(valueImports("import * as tf from '@tensorflow/tfjs';")).toEqual(['@tensorflow/tfjs']);
  expect(valueImports("import type * as tf from '@tensorflow/tfjs';")).toEqual([]);
  expect(valueImports("import { type A,\n  type B } from './a.js';\nimport { c } from './c.js';")).toEqual(['./c.js']);
  expect(valueImports("export { x } from './x.js';\nconst t = await import('@tensorflow/tfjs');")).toEqual(['./x.js', '@tensorflow/tfjs']);
});

// The front end is a library that runs in a browser too (a playground, a language server in an editor's web
// worker): nothing reachable from src/frontend/index.ts may load tfjs or a node built-in, and no module there may
// use a top-level await (a bundler cannot order such modules, and every importer would have to be async).
const frontEndFolders = ['syntax', 'check', 'layers', 'diagnostics', 'ir', 'frontend', 'contracts'];
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Why a value import is not allowed in the front end, or null when it is. */
function forbidden(specifier: string): string | null {
  if (specifier.startsWith('@tensorflow/')) return 'TensorFlow.js';
  if (specifier.startsWith('node:') || nodeBuiltins.has(specifier.split('/')[0]!)) return 'a node built-in';
  return null;
}

/** The `await`s of a TypeScript source that run while the module loads (outside every function). */
function topLevelAwaits(file: string, source: string): number[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node)) return;
    const isAwait = ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier !== undefined);
    if (isAwait) lines.push(sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return lines;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('nothing reachable from src/frontend/index.ts imports TensorFlow.js or a node built-in, or leaves the front end', () => {
  const { seen, offenders } = walkValueImports(['src/frontend/index.ts'], (file, specifiers) => {
    const where = relative(resolve(root, 'src'), file);
    const found = frontEndFolders.includes(where.split(/[\\/]/)[0]!) ? [] : [`${where} is reached from the front end`];
    for (const specifier of specifiers) {
      const why = forbidden(specifier);
      if (why !== null) found.push(`${where} imports ${specifier} (${why})`);
    }
    return found;
  });
  expect(offenders).toEqual([]);
  // The walk went through every phase, down to one file per layer kind.
  for (const file of ['src/syntax/parse.ts', 'src/check/check.ts', 'src/layers/conv.ts', 'src/ir/layout.ts', 'src/diagnostics/format.ts']) {
    expect(seen, file).toContain(resolve(root, file));
  }
});

test('no file of the front-end folders imports TensorFlow.js or a node built-in at run time, or awaits at top level', () => {
  const offenders: string[] = [];
  for (const folder of frontEndFolders) {
    for (const file of filesUnder(resolve(root, 'src', folder))) {
      const source = readFileSync(file, 'utf8');
      const where = relative(root, file);
      for (const specifier of valueImports(source)) {
        const why = forbidden(specifier);
        if (why !== null) offenders.push(`${where} imports ${specifier} (${why})`);
      }
      for (const line of topLevelAwaits(file, source)) offenders.push(`${where}:${line} awaits at top level`);
    }
  }
  expect(offenders).toEqual([]);
});

test('the front-end scanners see node built-ins and top-level awaits, and let type imports and awaits in functions be', () => {
  expect(['node:fs', 'fs', 'path/posix', '@tensorflow/tfjs', 'chevrotain', '#chevrotain', './x.js'].map(forbidden)).toEqual([
    'a node built-in',
    'a node built-in',
    'a node built-in',
    'TensorFlow.js',
    null,
    null,
    null,
  ]);
  const source = [
    "import type { Stats } from 'node:fs';",
    'const a = await load();',
    'async function f() { await load(); }',
    'const g = async () => { for await (const x of xs) use(x); };',
    'for await (const y of ys) use(y);',
    "export const { b } = await import('chevrotain');",
  ].join('\n');
  expect(valueImports(source)).toEqual(['chevrotain']);
  expect(topLevelAwaits('x.ts', source)).toEqual([2, 5, 6]);
});

test('nothing reachable from the language server or `netc fmt` imports TensorFlow.js as a value', () => {
  const { seen, offenders } = walkValueImports(['src/cli/commands/lsp.ts', 'src/lsp/server.ts', 'src/cli/commands/fmt.ts'], tfjsImports);
  expect(offenders).toEqual([]);
  expect([...seen].some((file) => file.endsWith('src/syntax/format.ts'))).toBe(true);
  expect([...seen].some((file) => file.endsWith('src/frontend/analyze.ts'))).toBe(true);
});
