import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { simdExportNames } from '../../src/backend/simd/bindings.js';
import { bindingsSource, entryExports, entryPath, exportedFunctions, generateBindings } from '../../src/backend/simd/generateBindings.js';
import { simdModulePath, simdOn, wasmApi } from '../../src/backend/simd/module.js';

describe('the SIMD module\'s TypeScript bindings', () => {
  test('are what the AssemblyScript sources generate (run `npm run build:simd` after changing them)', () => {
    const { path, text } = generateBindings();
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  test('name exactly the functions the built module exports, with their parameter counts', () => {
    // The built module (dist/netc-simd.wasm, `npm run build`) must exist: the fast path's tests need it too.
    const bytes = readFileSync(simdModulePath);
    const wasm = (globalThis as unknown as { WebAssembly: { Module: { exports(m: object): { name: string; kind: string }[] } } }).WebAssembly;
    const exported = wasm.Module.exports(new wasmApi.Module(bytes)).filter((e) => e.kind === 'function').map((e) => e.name);
    expect([...exported].sort()).toEqual([...simdExportNames].sort());
    const functions = generateBindings().text;
    const kernels = simdOn(new wasmApi.Memory({ initial: 16 })) as unknown as Record<string, { length: number }>;
    const exports = entryExports(readFileSync(entryPath, 'utf8'));
    expect(exports.map(([name]) => name)).toEqual(simdExportNames);
    for (const [name, file] of exports) {
      const f = exportedFunctions(readFileSync(new URL(`../../src/backend/simd/assembly/${file}.ts`, import.meta.url), 'utf8')).find((g) => g.name === name)!;
      expect(kernels[name]?.length, `${name}'s parameters`).toBe(f.params.length);
      expect(functions).toContain(`  ${name}(`);
    }
  });

  test('the generator reads multi-line signatures and refuses types JavaScript cannot pass as numbers', () => {
    const source = 'export function f(\n  x: usize, n: i32,\n  eps: f32,\n): void {}\nfunction hidden(a: i32): i32 {}\nexport function g(c: i32): i32 {}\n';
    const fns = exportedFunctions(source);
    expect(fns).toEqual([
      { name: 'f', params: ['x', 'n', 'eps'], returns: 'void' },
      { name: 'g', params: ['c'], returns: 'number' },
    ]);
    expect(bindingsSource(fns, ['a.ts'])).toContain('  f(x: number, n: number, eps: number): void;\n  g(c: number): number;');
    expect(() => exportedFunctions('export function h(s: string): void {}', 'bad.ts')).toThrow("bad.ts: h(s: string) is not a number type");
  });
});
