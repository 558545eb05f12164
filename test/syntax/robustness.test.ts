import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { PipelineNode } from '../../src/syntax/ast.js';
import { maxSyntaxDiagnostics, parse } from '../../src/syntax/parse.js';
import { diagnosticsOf, layersOf, parseClean, showLayer } from './helpers.js';

// Hostile inputs: each must come back quickly with an AST and diagnostics, never an exception or a hang.

const model = readFileSync(fileURLToPath(new URL('../../models/lenet-bn.net', import.meta.url)), 'utf8');

describe('bad input', () => {
  test('empty file: empty AST, no syntax diagnostics', () => {
    expect(parse('')).toMatchObject({ ast: { kind: 'File', statements: [] }, diagnostics: [] });
  });

  test('binary junk: one NN1003, not thousands', () => {
    const bytes = Buffer.alloc(100_000);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      bytes[i] = seed >> 23;
    }
    const { ast, diagnostics } = parse(bytes.toString('utf8'));
    expect(diagnostics.map((d) => d.code)).toEqual(['NN1003']);
    expect(ast.statements).toEqual([]);
  });

  test('a 10 MB file parses in seconds', () => {
    const source = `${model}\n`.repeat(Math.ceil(10e6 / (model.length + 1)));
    const started = performance.now();
    const { ast, diagnostics } = parse(source);
    const seconds = (performance.now() - started) / 1000;
    expect(diagnostics).toEqual([]);
    expect(ast.statements).toHaveLength((source.length / (model.length + 1)) * 9);
    // A loose bound on a shared machine (the bench, test/syntax/bench.ts, reports the real figure): it catches a
    // quadratic slide, not a slow day.
    expect(seconds).toBeLessThan(60);
  });

  test('a line of 100,000 `|`: one error, no recursion limit hit', () => {
    expect(diagnosticsOf('|'.repeat(100_000))).toEqual([{ code: 'NN1001', line: 1, column: 1 }]);
  });

  test('a layer then 100,000 `|`: capped errors', () => {
    const { diagnostics, ast } = parse(`conv ${'|'.repeat(100_000)}`);
    expect(diagnostics).toHaveLength(maxSyntaxDiagnostics + 1);
    expect(layersOf(ast).map(showLayer)).toEqual(['conv']);
  });

  test('100,000 layers in one pipeline', () => {
    const [pipeline] = parseClean(`conv 6 k5${' | relu'.repeat(100_000)}`).statements as [PipelineNode];
    expect(pipeline.layers).toHaveLength(100_001);
    expect(pipeline.span.endColumn).toBe(10 + 7 * 100_000);
  });

  test.each([
    ['((((((', ['NN1007']],
    ['('.repeat(100_000), ['NN1006']],
    ['{'.repeat(100_000), ['NN1001']],
    ['residual { '.repeat(100_000), ['NN1006']],
    [`def f = ${'(relu | '.repeat(50_000)}`, ['NN1006']],
    [`relu | ${'('.repeat(300)}relu${')'.repeat(300)} | relu`, ['NN1006']],
  ])('deep nesting %#: one diagnostic, no stack overflow', (source, codes) => {
    expect(parse(source).diagnostics.map((d) => d.code)).toEqual(codes);
  });

  test('brackets between unrecognised characters: capped, never thrown', () => {
    // `[` and `<` are junk; the `{(` between them make each its own run, so each is reported, up to the cap.
    const { diagnostics } = parse('[{(<'.repeat(1000));
    expect(diagnostics).toHaveLength(maxSyntaxDiagnostics + 1);
    expect(diagnostics[0]!.code).toBe('NN1002');
  });

  test('random unicode, astral characters included', () => {
    let seed = 3;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const chars = Array.from({ length: 20_000 }, () => String.fromCodePoint(0x20 + (next() % 0x1ffd0)));
    const source = chars.join('').replace(/[\ud800-\udfff]/g, '');
    const { ast, diagnostics } = parse(source);
    expect(ast.kind).toBe('File');
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.length).toBeLessThanOrEqual(maxSyntaxDiagnostics + 1);
  });

  test('CRLF line endings read as LF', () => {
    const lf = parseClean(model);
    const crlf = parseClean(model.replaceAll('\n', '\r\n'));
    expect(layersOf(crlf).map(showLayer)).toEqual(layersOf(lf).map(showLayer));
    expect(layersOf(crlf).map((l) => `${l.span.line}:${l.span.column}`)).toEqual(layersOf(lf).map((l) => `${l.span.line}:${l.span.column}`));
  });

  test('tabs between tokens and before lines', () => {
    const tabs = parseClean(model.replaceAll(' ', '\t'));
    expect(layersOf(tabs).map(showLayer)).toEqual(layersOf(parseClean(model)).map(showLayer));
  });

  test('one pipeline continued over 100,000 lines, across many parts of the file', () => {
    const [pipeline] = parseClean(`${'relu |\n'.repeat(100_000)}relu`).statements as [PipelineNode];
    expect(pipeline.layers).toHaveLength(100_001);
    expect(pipeline.layers[100_000]!.span.line).toBe(100_001);
  });

  test('a long open pipeline is read as it goes, with the same errors and layers as a short one', () => {
    const body = Array.from({ length: 6000 }, (_, i) => (i === 3000 ? '| |' : `dense ${i + 1} |`)).join('\n');
    const { ast, diagnostics } = parse(`model m\n${body}\n# the end\n`);
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.message.slice(0, 40)])).toEqual([
      ['NN1001', 3002, 1, 'Expected a layer name after `|` but foun'],
      ['NN1001', 3002, 3, 'Expected a layer name after `|` but foun'],
      ['NN1001', 6001, 12, 'The file ends after `|`, so the pipeline'],
    ]);
    expect(ast.statements.map((s) => s.kind)).toEqual(['Model', 'Pipeline']);
    const layers = layersOf(ast);
    expect(layers).toHaveLength(5999);
    expect(showLayer(layers[5998]!)).toBe('dense #6000');
    expect(layers[5998]!.span.line).toBe(6001);
  });

  test('statements after a long pipeline follow it in order', () => {
    const { ast, diagnostics } = parse(`${'relu |\n'.repeat(5000)}relu\ninput 784\nflatten\n`);
    expect(diagnostics).toEqual([]);
    expect(ast.statements.map((s) => s.kind)).toEqual(['Pipeline', 'Input', 'Pipeline']);
    expect((ast.statements[0] as PipelineNode).layers).toHaveLength(5001);
    expect(ast.statements[1]!.span.line).toBe(5002);
  });

  test('a very long line of valid arguments', () => {
    const [layer] = layersOf(parseClean(`conv ${'6 '.repeat(50_000)}`));
    expect(layer!.args).toHaveLength(50_000);
  });

  test('a file without a final line break, and one that is only a line break', () => {
    expect(parseClean('dense 10').statements).toHaveLength(1);
    expect(parseClean('\n').statements).toHaveLength(0);
  });
});
