import { describe, expect, test } from 'vitest';
import type { DefNode, PipelineNode } from '../../src/syntax/ast.js';
import { parse } from '../../src/syntax/parse.js';
import { diagnosticsOf, showStatement, where } from './helpers.js';

// Bad input in the v2 forms: each problem reported once, where it is, with a sentence that says what to write; and
// the rest of the statement kept, so that the checker can go on.

/** Diagnostics as `CODE line:column message`, and the statements that were kept, written back. */
function outcome(source: string): { diagnostics: string[]; statements: string[] } {
  const { ast, diagnostics } = parse(source);
  return {
    diagnostics: diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`),
    statements: ast.statements.map(showStatement),
  };
}

describe('each v2 syntax problem: code, position, message, and what is kept', () => {
  test.each([
    // def headers
    ['def', 'NN1001 1:4 Expected a block name after `def` but found the end of the file; a block is defined as `def NAME(PARAMS) = PIPELINE`.', []],
    ['def 3 = relu', 'NN1001 1:5 Expected a block name after `def` but found the number `3`; a block is defined as `def NAME(PARAMS) = PIPELINE`.', []],
    ['def f(c)', 'NN1001 1:9 Expected `=` after `)` but found the end of the file; a block is defined as `def NAME(PARAMS) = PIPELINE`.', ['def f(c) = ']],
    ['def f(c) relu', 'NN1001 1:10 Expected `=` after `)` but found `relu`; a block is defined as `def NAME(PARAMS) = PIPELINE`.', ['def f(c) = relu']],
    ['def f relu', 'NN1001 1:7 Expected `=` after `f` but found `relu`; a block is defined as `def NAME(PARAMS) = PIPELINE`.', ['def f() = relu']],
    ['def f(c) =', 'NN1001 1:10 The block `f` has no body: write its pipeline after `=`, as in `def f(c) = conv c k3 | relu`.', ['def f(c) = ']],
    ['def f(c) =\n\n', 'NN1001 1:10 The block `f` has no body: write its pipeline after `=`, as in `def f(c) = conv c k3 | relu`.', ['def f(c) = ']],
    ['def f(c) = | relu', 'NN1001 1:12 Expected a layer name after `=` but found `|`.', ['def f(c) = relu']],
    ['def f =\nmodel m', 'NN1001 2:1 Expected a layer name after `=` but found the keyword `model`; the line before ends in `=`, so this line is the body of its `def`.', ['def f() = ']],
    // parameters
    ['def f(c,) = relu', 'NN1001 1:9 Expected a parameter name after `,` but found `)`.', ['def f(c) = relu']],
    ['def f(,c) = relu', 'NN1001 1:7 Expected a parameter name after `(` but found `,`.', ['def f(c) = relu']],
    ['def f(c k) = relu', 'NN1001 1:9 Expected `,` or `)` after `c` but found `k`; a parameter is a name with an optional default, as in `k=5`.', ['def f(c) = relu']],
    ['def f(3) = relu', 'NN1001 1:7 Expected a parameter name after `(` but found the number `3`.', ['def f() = relu']],
    ['def f(k=) = relu', 'NN1001 1:9 Expected a value after `=` (a number, a size such as `3x5`, or a name) but found `)`.', ['def f() = relu']],
    ['def f(x) = relu', 'NN1001 1:7 `x` cannot name a parameter: after a stage it is the repetition operator, as in `relu x 3`; choose another name.', ['def f(x) = relu']],
    // block uses
    ['cbs(6,)', 'NN1001 1:7 Expected a block argument after `,` but found `)`.', ['cbs(#6)']],
    ['cbs(,6)', 'NN1001 1:5 Expected a block argument after `(` but found `,`.', ['cbs(#6)']],
    [
      'cbs(6 7)',
      'NN1001 1:7 Expected `,` or `)` after the number `6` but found the number `7`; a block\'s arguments are values or `key=value`, separated by commas, as in `cbs(6, k=3)`.',
      ['cbs(#6)'],
    ],
    ['cbs(|)', 'NN1001 1:5 Expected a block argument after `(` (a value or `key=value`) but found `|`.', ['cbs()']],
    [
      'relu (dense 3)',
      'NN1001 1:13 Expected `,` or `)` after `dense` but found the number `3`; a block\'s arguments are values or `key=value`, separated by commas, as in `cbs(6, k=3)`; to chain a group after the layer `relu`, put `|` before `(`.',
      ["relu('dense')"],
    ],
    // groups and residual blocks
    ['()', 'NN1001 1:2 Expected a layer name after `(` but found `)`.', []],
    ['( | relu)', 'NN1001 1:3 Expected a layer name after `(` but found `|`.', ['( relu )']],
    ['(relu |)', 'NN1001 1:8 Expected a layer name after `|` but found `)`.', ['( relu )']],
    ['residual', 'NN1001 1:9 Expected `{` after the keyword `residual` but found the end of the file; a residual block is written `residual { PIPELINE }` or `residual proj { PIPELINE }`.', []],
    ['residual proj relu', 'NN1001 1:15 Expected `{` after `proj` but found `relu`; a residual block is written `residual { PIPELINE }` or `residual proj { PIPELINE }`.', []],
    ['residual {}', 'NN1001 1:11 Expected a layer name after `{` but found `}`.', []],
    ['{ relu }', 'NN1001 1:1 Expected a statement (`model`, `input`, `train`, `def`, `budget` or a layer name) but found `{`; a residual block is written `residual { PIPELINE }`.', []],
    ['relu | { bn }', 'NN1001 1:8 Expected a layer name after `|` but found `{`; a residual block is written `residual { PIPELINE }`.', ['relu']],
    // repetition
    ['relu x', 'NN1001 1:7 Expected a repetition count after `x` (a number or a parameter name, as in `x 3` or `x n`) but found the end of the file.', []],
    ['relu x 3x5 | bn', 'NN1001 1:8 Expected a repetition count after `x` (a number or a parameter name, as in `x 3` or `x n`) but found the size `3x5`.', ['bn']],
    [
      'relu x2 x3',
      'NN1001 1:9 Expected `|` or the end of the line after the repetition `x2` but found the repetition `x3`; a stage takes one repetition: to repeat it again, group it, as in `(relu x2) x3`.',
      ['rep(relu, #2)'],
    ],
    [
      '(a) x3 x2',
      'NN1001 1:8 Expected `|` or the end of the line after the repetition `x3` but found the repetition `x2`; a stage takes one repetition: to repeat it again, group it, as in `(relu x2) x3`.',
      ['rep(( a ), #3)'],
    ],
    ['(a) b', 'NN1001 1:5 Expected a repetition such as `x3`, `|` or the end of the line after `)` but found `b`; put `|` before `b` to chain another stage.', ['( a )']],
    ['(a) xn', 'NN1001 1:5 Expected a repetition such as `x3`, `|` or the end of the line after `)` but found `xn`; to repeat by a parameter, put a space after `x`: `x n`.', ['( a )']],
    // stray tokens in a layer
    [
      'conv 6, k5',
      'NN1001 1:7 Expected an argument, `|` or the end of the line after the number `6` but found `,`; a layer\'s arguments are separated by spaces (commas separate a block\'s arguments, as in `cbs(6, k=3)`).',
      ['conv #6'],
    ],
    [
      'conv 6 residual { relu }',
      'NN1001 1:8 Expected an argument, `|` or the end of the line after the number `6` but found the keyword `residual`; put `|` before the keyword `residual` to chain it after the layer.',
      ['conv #6'],
    ],
    ['relu def', 'NN1001 1:6 Expected an argument, `|` or the end of the line after `relu` but found the keyword `def`; `def` starts a statement of its own, on a new line.', ['relu']],
    // brackets
    ['(relu', 'NN1007 1:1 `(` is never closed; add `)` where the statement should end.', ['( relu )']],
    ['(conv 6 | bn', 'NN1007 1:1 `(` is never closed; add `)` where the statement should end.', ['( conv #6 | bn )']],
    ['((((((', 'NN1007 1:1 `(` is never closed, nor are the 5 brackets opened after it; add `))))))` where the statement should end.', []],
    ['residual { (relu', 'NN1007 1:10 `{` is never closed, nor is the bracket opened after it; add `)}` where the statement should end.', ['residual{ ( relu ) }']],
    ['cbs(6', 'NN1007 1:4 `(` is never closed; add `)` where the statement should end.', ['cbs(#6)']],
    ['def f(c, k=5 = conv c', 'NN1007 1:6 `(` is never closed; add `)` where the statement should end.', ["def f(c, k=#5) = conv 'c'"]],
    ['relu)', 'NN1007 1:5 `)` closes nothing: no `(` before it is still open; delete it.', ['relu']],
    ['(relu)) | bn', 'NN1007 1:7 `)` closes nothing: no `(` before it is still open; delete it.', ['( relu ) | bn']],
    ['relu } | bn', 'NN1007 1:6 `}` closes nothing: no `{` before it is still open; delete it.', ['relu | bn']],
    ['(relu } x2', 'NN1007 1:7 `}` cannot close the `(` opened at 1:1; write `)`.', ['rep(( relu ), #2)']],
    ['residual { relu )', 'NN1007 1:17 `)` cannot close the `{` opened at 1:10; write `}`.', ['residual{ relu }']],
    [
      '( a | residual { b ) | c',
      'NN1007 1:16 `{` is never closed: the `)` at 1:20 closes the `(` opened before it; add `}` before that `)`.',
      ['( a | residual{ b } ) | c'],
    ],
  ])('%j', (source, diagnostic, statements) => {
    expect(outcome(source)).toEqual({ diagnostics: [diagnostic], statements });
  });

  test('a parameter named twice is the checker\'s to report (NN2025): the parser keeps both', () => {
    const { ast, diagnostics } = parse('def f(c, k, c) = relu');
    expect(diagnostics).toEqual([]);
    expect((ast.statements[0] as DefNode).params.map((p) => where(p.name.span))).toEqual(['1:7-1:8', '1:10-1:11', '1:13-1:14']);
  });

  test('NN1007 for a bracket closed by the wrong kind or closing the wrong one has a related location', () => {
    const mismatched = parse('(relu }').diagnostics[0]!;
    expect(mismatched.related?.map((r) => [r.message, where(r.span)])).toEqual([['`(` opened here', '1:1-1:2']]);
    const inner = parse('( a | residual { b ) | c').diagnostics[0]!;
    expect(inner.related?.map((r) => [r.message, where(r.span)])).toEqual([['`)` closes the `(` here', '1:20-1:21']]);
  });

  test('every problem in a file is reported, in order, and the rest is read', () => {
    const source = [
      'def cbs(c, c) = conv c k5 | bn | sigmoid | avgpool 2',
      'def dbs(n) dense n | bn',
      'cbs(6,) | cbs(16) x2 x3',
      '(dense 64 | | relu) x3',
      'residual proj { conv 32 k3 s2 p1 | bn )',
      'dense 10',
    ].join('\n');
    expect(diagnosticsOf(source)).toEqual([
      { code: 'NN1001', line: 2, column: 12 },
      { code: 'NN1001', line: 3, column: 7 },
      { code: 'NN1001', line: 3, column: 22 },
      { code: 'NN1001', line: 4, column: 13 },
      { code: 'NN1007', line: 5, column: 39 },
    ]);
    expect(parse(source).ast.statements.map(showStatement)).toEqual([
      "def cbs(c, c) = conv 'c' k:#5 | bn | sigmoid | avgpool #2",
      "def dbs(n) = dense 'n' | bn",
      'cbs(#6) | rep(cbs(#16), #2)',
      'rep(( dense #64 | relu ), #3)',
      'residual proj{ conv #32 k:#3 s:#2 p:#1 | bn }',
      'dense #10',
    ]);
  });
});

describe('a bracket left open', () => {
  test('swallows no line that starts a statement: the `model` line after it is read', () => {
    expect(outcome('(relu | bn\nmodel m\ninput 784\nrelu')).toEqual({
      diagnostics: ['NN1007 1:1 `(` is never closed; add `)` where the statement should end.'],
      statements: ['( relu | bn )', 'Model', 'Input', 'relu'],
    });
  });

  test('the lines it swallowed are read line by line, as the statements they most likely are', () => {
    // The `)` is missing after the second line; the third is a statement of its own.
    expect(outcome('(dense 64 | bn | relu |\n dense 64 | bn | relu x3\ndense 10')).toEqual({
      diagnostics: ['NN1007 1:1 `(` is never closed; add `)` where the statement should end.'],
      statements: ['( dense #64 | bn | relu | dense #64 | bn | rep(relu, #3) )', 'dense #10'],
    });
  });

  test('a body on the lines after `{` belongs to it; a closed group inside still spans its lines', () => {
    expect(outcome('def f(c) = residual {\n  conv c |\n  (bn\n  ) x2\nrelu')).toEqual({
      diagnostics: ['NN1007 1:21 `{` is never closed; add `}` where the statement should end.'],
      statements: ["def f(c) = residual{ conv 'c' | rep(( bn ), #2) }", 'relu'],
    });
  });

  test('a stray `(` in `input` swallows nothing', () => {
    expect(outcome('input (1x28x28\nconv 6')).toEqual({
      diagnostics: ['NN1001 1:7 Expected the input shape after `input`, such as `1x28x28` or `784`, but found `(`.'],
      statements: ['Input', 'conv #6'],
    });
  });
});

describe('big files: brackets and blocks across the parts a file is read in', () => {
  // Files are read in parts of about 4,000 characters cut at line breaks. A filler line of varying length moves the
  // cut over every line of the multi-line constructs below; the result must not depend on where it falls.
  const body = [
    '(conv 6 |',
    '  bn',
    ') x2',
    'def f(c) =',
    '  conv c |',
    '  relu',
    'residual {',
    '  relu',
    'model m',
    'cbs(',
    '  6)',
    'relu',
  ].join('\n');

  test('the same statements and diagnostics wherever the cut falls', () => {
    for (let filler = 3980; filler <= 4110; filler++) {
      const { ast, diagnostics } = parse(`#${'-'.repeat(filler)}\n${body}\n`);
      const shown = { statements: ast.statements.map(showStatement), diagnostics: diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`) };
      expect(shown, `filler ${filler}`).toEqual({
        statements: ['rep(( conv #6 | bn ), #2)', "def f(c) = conv 'c' | relu", 'residual{ relu }', 'Model', 'cbs(#6)', 'relu'],
        diagnostics: ['NN1007 8:10'],
      });
    }
  });

  test('a pipeline of groups continued over 6,000 lines is read as it goes, errors reported once', () => {
    const lines = Array.from({ length: 6000 }, (_, i) => (i === 3000 ? '(relu | | bn) x2 |' : `(dense ${i + 1} | bn) x2 |`));
    const { ast, diagnostics } = parse(`${lines.join('\n')}\nrelu\ninput 784\n`);
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual(['NN1001 3001:9']);
    expect(ast.statements.map((s) => s.kind)).toEqual(['Pipeline', 'Input']);
    const pipeline = ast.statements[0] as PipelineNode;
    expect(pipeline.layers).toHaveLength(6001);
    expect(showStatement({ ...pipeline, layers: pipeline.layers.slice(2999, 3002) })).toBe(
      'rep(( dense #3000 | bn ), #2) | rep(( relu | bn ), #2) | rep(( dense #3002 | bn ), #2)',
    );
    expect(where(pipeline.span)).toBe('1:1-6001:5');
  });

  test('a def body continued over 20,000 lines is read as it goes, header and errors once', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => (i === 15_000 ? 'conv c = |' : 'conv c k5 |'));
    const { ast, diagnostics } = parse(`def big(c, x) = ${lines.join('\n')}\nrelu\nbig(3)\n`);
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual(['NN1001 1:12', 'NN1001 15001:10']);
    const [def, use] = ast.statements as [DefNode, PipelineNode];
    expect(def.kind).toBe('Def');
    expect(def.params.map((p) => p.name.name)).toEqual(['c', 'x']);
    expect(def.body.layers).toHaveLength(20_000);
    expect(where(def.span)).toBe('1:1-20001:5');
    expect(showStatement(use)).toBe('big(#3)');
  });
});
