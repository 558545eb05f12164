import { describe, expect, test } from 'vitest';
import type { InputNode, ModelNode, PipelineNode, TrainNode } from '../../src/syntax/ast.js';
import { maxSyntaxDiagnostics, parse } from '../../src/syntax/parse.js';
import { diagnosticsOf, layersOf, parseClean, showLayer, where, withoutSpans } from './helpers.js';

describe('each syntax diagnostic, with its code and position', () => {
  test.each([
    ['model', 'NN1001', 1, 6, 'Expected a model name after `model` but found the end of the file.'],
    ['model\ninput 784', 'NN1001', 1, 6, 'Expected a model name after `model` but found the end of the line.'],
    ['model 3', 'NN1001', 1, 7, 'Expected a model name after `model` but found the number `3`.'],
    ['model a b', 'NN1001', 1, 9, 'Expected the end of the line after `a` but found `b`; a model has a one-word name.'],
    ['input', 'NN1001', 1, 6, 'Expected the input shape after `input`, such as `1x28x28` or `784`, but found the end of the file.'],
    ['input x', 'NN1001', 1, 7, 'Expected the input shape after `input`, such as `1x28x28` or `784`, but found `x`.'],
    [
      'input 1 28 28',
      'NN1001',
      1,
      9,
      'Expected the end of the line after the number `1` but found the number `28`; write the whole shape joined by `x`, as in `1x28x28`.',
    ],
    ['train epochs 10', 'NN1001', 1, 14, 'Expected `=` after `epochs` but found the number `10`; options are written `key=value`, as in `epochs=10`.'],
    ['train 10', 'NN1001', 1, 7, 'Expected a `key=value` option after the keyword `train` but found the number `10`.'],
    ['train epochs=', 'NN1001', 1, 14, 'Expected a value after `=` (a number, a size such as `3x5`, or a name) but found the end of the file.'],
    ['train lr=1 2', 'NN1001', 1, 12, 'Expected another `key=value` option or the end of the line after the number `1` but found the number `2`.'],
    ['conv 6 | | bn', 'NN1001', 1, 10, 'Expected a layer name after `|` but found `|`.'],
    ['conv 6 |', 'NN1001', 1, 8, 'The file ends after `|`, so the pipeline has no layer after it; add a layer or delete the `|`.'],
    ['conv 6 |\n\n# the end\n', 'NN1001', 1, 8, 'The file ends after `|`, so the pipeline has no layer after it; add a layer or delete the `|`.'],
    [
      'conv 6 |\nmodel m',
      'NN1001',
      2,
      1,
      'Expected a layer name after `|` but found the keyword `model`; the line before ends in `|`, so this line continues its pipeline.',
    ],
    ['| bn', 'NN1001', 1, 1, 'Expected a statement (`model`, `input`, `train`, `def`, `budget` or a layer name) but found `|`; to continue the line before, end it with `|` instead of starting this one with it.'],
    ['6 | bn', 'NN1001', 1, 1, 'Expected a statement (`model`, `input`, `train`, `def`, `budget` or a layer name) but found the number `6`.'],
    ['k5', 'NN1001', 1, 1, 'Expected a statement (`model`, `input`, `train`, `def`, `budget` or a layer name) but found the option `k5`.'],
    ['= 3', 'NN1001', 1, 1, 'Expected a statement (`model`, `input`, `train`, `def`, `budget` or a layer name) but found `=`.'],
    ['conv 6 = 3', 'NN1001', 1, 8, 'Expected an argument, `|` or the end of the line after the number `6` but found `=`; options are written `key=value`, as in `pad=same`.'],
    ['dense 10 input', 'NN1001', 1, 10, 'Expected an argument, `|` or the end of the line after the number `10` but found the keyword `input`; `input` starts a statement of its own, on a new line.'],
    ['conv 6 p=', 'NN1001', 1, 10, 'Expected a value after `=` (a number, a size such as `3x5`, or a name) but found the end of the file.'],
    ['conv 6 p=|bn', 'NN1001', 1, 10, 'Expected a value after `=` (a number, a size such as `3x5`, or a name) but found `|`.'],
    ['conv 6 $', 'NN1002', 1, 8, 'Unrecognised character `$`.'],
    ['\u0000\u0001binary', 'NN1003', 1, 1, 'This file is not text (it contains NUL bytes); a .net file is plain UTF-8 text.'],
    ['input 28.', 'NN1004', 1, 7, 'Malformed number `28.`: a decimal point must be followed by digits; write `28` or `28.0`.'],
  ])('%j: %s at %i:%i', (source, code, line, column, message) => {
    const { diagnostics } = parse(source);
    expect(diagnostics.map((d) => ({ code: d.code, line: d.span.line, column: d.span.column, message: d.message }))).toEqual([
      { code, line, column, message },
    ]);
    expect(diagnostics[0]!.severity).toBe('error');
  });

  test('a file of control characters without NUL is not text either', () => {
    const junk = Array.from({ length: 200 }, (_, i) => String.fromCharCode(1 + (i % 8), 0xfffd)).join('');
    expect(diagnosticsOf(junk)).toEqual([{ code: 'NN1003', line: 1, column: 1 }]);
    expect(parse(junk).ast.statements).toEqual([]);
  });

  test('a few stray control characters or undecodable bytes in a text file are not "binary"', () => {
    expect(diagnosticsOf('# caf\ufffd\nconv 6 k5\n').map((d) => d.code)).toEqual([]);
    expect(diagnosticsOf('conv 6 \u0007').map((d) => d.code)).toEqual(['NN1002']);
  });
});

describe('recovery: one run reports every syntax error and keeps the rest', () => {
  test('an error in every statement, each reported where it is', () => {
    const source = ['model', 'input 1x28x28 x', 'train epochs 10 batch=5 lr', 'conv 6 k5 | | bn', 'dense = 3 | relu', 'flatten |'].join('\n');
    expect(diagnosticsOf(source)).toEqual([
      { code: 'NN1001', line: 1, column: 6 },
      { code: 'NN1001', line: 2, column: 15 },
      { code: 'NN1001', line: 3, column: 14 },
      { code: 'NN1001', line: 3, column: 27 },
      { code: 'NN1001', line: 4, column: 13 },
      { code: 'NN1001', line: 5, column: 7 },
      { code: 'NN1001', line: 6, column: 9 },
    ]);
  });

  test('what could be read stays in the AST', () => {
    const source = ['model', 'input 1x28x28 x', 'train epochs 10 batch=5 lr', 'conv 6 k5 | | bn', 'dense = 3 | relu', 'flatten |'].join('\n');
    const { ast } = parse(source);
    expect(ast.statements.map((s) => s.kind)).toEqual(['Input', 'Train', 'Pipeline', 'Pipeline', 'Pipeline']);
    expect((ast.statements[0] as InputNode).dims.map((d) => d.value)).toEqual([1, 28, 28]);
    expect((ast.statements[1] as TrainNode).options.map((o) => o.key.name)).toEqual(['batch']);
    expect(layersOf(ast).map(showLayer)).toEqual(['conv #6 k:#5', 'bn', 'dense', 'relu', 'flatten']);
  });

  test('`input` without a shape is still the input statement, so no "missing input" follows', () => {
    const { ast } = parse('input\nflatten');
    expect(withoutSpans(ast.statements[0])).toEqual({ kind: 'Input', dims: [] });
    expect(where(ast.statements[0]!.span)).toBe('1:1-1:6');
  });

  test('lexical and syntax errors together, in source order', () => {
    expect(diagnosticsOf('conv 6 @ k5 |\n| bn\ninput 3.\nmodel')).toEqual([
      { code: 'NN1002', line: 1, column: 8 },
      { code: 'NN1001', line: 2, column: 1 },
      { code: 'NN1004', line: 3, column: 7 },
      { code: 'NN1001', line: 4, column: 6 },
    ]);
  });

  test('a statement after a broken one is parsed as if the broken one were not there', () => {
    const valid = 'model m\ninput 1x28x28\nconv 6 k5 | bn | relu\nflatten\ndense 10\n';
    const broken = `model m\ninput 1x28x28\nconv 6 k5 | bn | relu\n| oops\nflatten\ndense 10\n`;
    const kept = parse(broken).ast.statements;
    expect(withoutSpans(kept)).toEqual(withoutSpans(parseClean(valid).statements));
    expect((kept[3] as PipelineNode).span.line).toBe(5);
  });

  test('a broken option in `train` costs only that option', () => {
    const { ast, diagnostics } = parse('train dataset=fashion-mnist epochs 10 batch=256 lr=');
    expect(diagnostics.map((d) => d.span.column)).toEqual([36, 52]);
    expect((ast.statements[0] as TrainNode).options.map((o) => o.key.name)).toEqual(['dataset', 'batch']);
  });

  test('upper-case names are reported once and read in lower case', () => {
    const { ast, diagnostics } = parse('MODEL Lenet\nInput 1x28x28\nConv 6 K5 | BN');
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([
      ['NN1002', 1, 1],
      ['NN1002', 1, 7],
      ['NN1002', 2, 1],
      ['NN1002', 3, 1],
      ['NN1002', 3, 8],
      ['NN1002', 3, 13],
    ]);
    expect((ast.statements[0] as ModelNode).name.name).toBe('lenet');
    expect(ast.statements[1]!.kind).toBe('Input');
    expect(layersOf(ast).map(showLayer)).toEqual(['conv #6 k:#5', 'bn']);
  });
});

describe('the number of diagnostics is capped', () => {
  test(`at most ${maxSyntaxDiagnostics}, then one NN1005 that counts the rest`, () => {
    const { diagnostics } = parse('| x\n'.repeat(250));
    expect(diagnostics).toHaveLength(maxSyntaxDiagnostics + 1);
    expect(diagnostics.slice(0, -1).every((d) => d.code === 'NN1001')).toBe(true);
    const last = diagnostics[maxSyntaxDiagnostics]!;
    expect(last).toMatchObject({ code: 'NN1005', message: '150 more syntax errors are not shown; fix the ones above and check again.' });
    expect(last.span.line).toBe(maxSyntaxDiagnostics + 1);
  });

  test('the kept ones are the first in the file, whatever their kind', () => {
    const source = `${'conv @ | |\n'.repeat(80)}`;
    const lines = parse(source).diagnostics.slice(0, -1).map((d) => d.span.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(lines[0]).toBe(1);
    expect(lines[lines.length - 1]).toBe(50);
  });

  test(`exactly ${maxSyntaxDiagnostics} errors need no NN1005`, () => {
    const codes = parse('| x\n'.repeat(maxSyntaxDiagnostics)).diagnostics.map((d) => d.code);
    expect(codes).toHaveLength(maxSyntaxDiagnostics);
    expect(codes).not.toContain('NN1005');
  });
});
