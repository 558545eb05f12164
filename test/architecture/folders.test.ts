import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { folderCycles, folderGraph, sourceImports } from './importGraph.js';

// The folder layout is the pipeline (docs: /work/shared/STYLE.md, README "Layout"): dependencies point one way.
const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const graph = folderGraph(srcDir);

/** The front end: shared by every tool, runs in a browser; it never reaches into the back half. */
const frontEnd = ['diagram', 'frontend', 'contracts', 'check', 'layers', 'syntax', 'ir', 'diagnostics'];

/**
 * What each back-half folder may import besides the front end: cli -> train -> compile -> backend, with data beside
 * (read by train and cli). Other front doors stand beside the CLI (export: the exporters, eval and the PyTorch
 * engine; lsp: the language server, on the front end alone); the CLI may use them, they never use it. Nothing
 * imports cli.
 */
const backHalf: Readonly<Record<string, readonly string[]>> = {
  cli: ['export', 'lsp', 'playground', 'train', 'compile', 'backend', 'data'],
  lsp: [],
  export: ['train', 'compile', 'backend', 'data'],
  // The playground's server reads data; its page trains with netc's own compiler and step.
  playground: ['train', 'compile', 'backend', 'data'],
  train: ['compile', 'backend', 'data'],
  compile: ['backend'],
  backend: [],
  data: [],
};


describe('src/ folders', () => {
  test('every folder has a place in the layout', () => {
    const placed = new Set([...frontEnd, ...Object.keys(backHalf)]);
    expect([...graph.keys()].filter((folder) => !placed.has(folder))).toEqual([]);
  });

  test('no import cycle between folders', () => {
    const cycles = folderCycles(graph).map((cycle) => {
      const steps = cycle.slice(1).map((to, i) => `  ${graph.get(cycle[i]!)!.get(to)}`);
      return { cycle: cycle.join(' -> '), because: steps.join('\n') };
    });
    expect(cycles.map((c) => `${c.cycle}\n${c.because}`)).toEqual([]);
  });

  test('the back half points down: cli -> train -> compile -> backend, data beside; nothing imports cli', () => {
    const wrong: string[] = [];
    for (const [from, edges] of graph) {
      for (const [to, why] of edges) {
        const allowed = frontEnd.includes(from) ? frontEnd.includes(to) : frontEnd.includes(to) || (backHalf[from] ?? []).includes(to);
        if (!allowed) wrong.push(`${from} -> ${to}: ${why}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('the import graph itself', () => {
  test('it sees value, type-only, side-effect and dynamic imports', () => {
    expect(sourceImports("import * as tf from '@tensorflow/tfjs';\nimport type { A } from './a.js';")).toEqual([
      { specifier: '@tensorflow/tfjs', typeOnly: false },
      { specifier: './a.js', typeOnly: true },
    ]);
    expect(sourceImports("import { type A,\n  type B } from './a.js';\nexport { c } from './c.js';\nimport './d.js';\nawait import('./e.js');")).toEqual([
      { specifier: './a.js', typeOnly: true },
      { specifier: './c.js', typeOnly: false },
      { specifier: './d.js', typeOnly: false },
      { specifier: './e.js', typeOnly: false },
    ]);
  });

  test('it finds a cycle and names each folder once', () => {
    const g = new Map([
      ['a', new Map([['b', 'a/x.ts']])],
      ['b', new Map([['c', 'b/y.ts']])],
      ['c', new Map([['a', 'c/z.ts'], ['d', 'c/w.ts']])],
      ['d', new Map<string, string>()],
    ]);
    expect(folderCycles(g)).toEqual([['a', 'b', 'c', 'a']]);
    expect(folderCycles(new Map([['a', new Map([['b', '']])], ['b', new Map<string, string>()]]))).toEqual([]);
  });
});
