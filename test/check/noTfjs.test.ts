import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

test('nothing reachable from src/check/check.ts imports TensorFlow.js as a value', () => {
  const seen = new Set<string>();
  const offenders: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of valueImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('@tensorflow/')) offenders.push(`${file.slice(root.length + 1)} imports ${specifier}`);
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  };
  visit(resolve(root, 'src/check/check.ts'));
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
