import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { DefNode, GroupNode, PipelineNode, RepeatNode, ResidualNode } from '../../src/syntax/ast.js';
import { maxNesting } from '../../src/syntax/brackets.js';
import { parse } from '../../src/syntax/parse.js';
import { diagnosticsOf, parseClean, showStatement, stagesOf, showStage, where, withPositions } from './helpers.js';

// Language v2: blocks (`def`, block uses), repetition (`x N`), groups and residual blocks. Statements are shown with
// the helpers' compact printer: `rep(STAGE, #3)` is a repetition, `( a | b )` a group, `cbs(#6)` a block use.

const readModel = (name: string): string => readFileSync(fileURLToPath(new URL(`../../models/${name}`, import.meta.url)), 'utf8');

/** The statements of a source that parses clean, written back. */
const statementsOf = (source: string): string[] => parseClean(source).statements.map(showStatement);

describe('blocks: def and block uses', () => {
  test.each([
    ['def cbs(c, k=5) = conv c kernel=k | bn | sigmoid | avgpool 2', "def cbs(c, k=#5) = conv 'c' kernel='k' | bn | sigmoid | avgpool #2"],
    ['def stem = conv 6 k5 | bn', 'def stem() = conv #6 k:#5 | bn'],
    ['def stem() = relu', 'def stem() = relu'],
    ['def f(k=3x3, p=same, b=k5) = relu', "def f(k=#3x#3, p='same', b='k5') = relu"],
    ['def f(c) = cbs(c) | cbs(c, k=3)', "def f(c) = cbs('c') | cbs('c', k=#3)"],
    ['def vgg(n, c) = (conv c k3 p1 | bn | relu) x n | maxpool 2', "def vgg(n, c) = rep(( conv 'c' k:#3 p:#1 | bn | relu ), 'n') | maxpool #2"],
    ['def x = relu', 'def x() = relu'],
    ['def proj(c) = conv c k1', "def proj(c) = conv 'c' k:#1"],
  ])('%j', (source, expected) => {
    expect(statementsOf(source)).toEqual([expected]);
  });

  test.each([
    ['cbs(6) | cbs(16)', 'cbs(#6) | cbs(#16)'],
    ['cbs()', 'cbs()'],
    ['cbs(6, k=3)', 'cbs(#6, k=#3)'],
    ['cbs(k=3, c=6)', 'cbs(k=#3, c=#6)'],
    ['cbs(3x5, same, -1, 1e-5)', "cbs(#3x#5, 'same', #-1, #0.00001)"],
    ['cbs (6)', 'cbs(#6)'],
    ['cbs( 6 ,k = 3 )', 'cbs(#6, k=#3)'],
    ['cbs(x)', "cbs('x')"],
    ['cbs(k5, x3)', "cbs('k5', 'x3')"],
  ])('a block use %j', (source, expected) => {
    expect(statementsOf(source)).toEqual([expected]);
  });

  test('a bare name is a layer stage: the checker decides whether it names a layer or a block', () => {
    expect(withPositions(stagesOf(parseClean('stem | relu')))).toEqual([
      { kind: 'Layer', at: '1:1-1:5', name: { kind: 'Ident', at: '1:1-1:5', name: 'stem' }, args: [] },
      { kind: 'Layer', at: '1:8-1:12', name: { kind: 'Ident', at: '1:8-1:12', name: 'relu' }, args: [] },
    ]);
  });

  test('bare names are positional values (block parameters); `dense 120 bn` parses, and the checker reports `bn`', () => {
    // The checker knows which names are parameters, so it says "did you mean `| bn`?" for the v1 mistake.
    expect(withPositions(stagesOf(parseClean('dense 120 bn')))).toEqual([
      {
        kind: 'Layer',
        at: '1:1-1:13',
        name: { kind: 'Ident', at: '1:1-1:6', name: 'dense' },
        args: [
          { kind: 'PositionalArg', at: '1:7-1:10', value: { kind: 'Number', at: '1:7-1:10', value: 120, text: '120' } },
          { kind: 'PositionalArg', at: '1:11-1:13', value: { kind: 'Ident', at: '1:11-1:13', name: 'bn' } },
        ],
      },
    ]);
    expect(statementsOf('conv c kernel=k s=stride')).toEqual(["conv 'c' kernel='k' s='stride'"]);
  });

  test('a def with its spans: keyword to the end of the body; each parameter from its name to its default', () => {
    const [def, uses] = parseClean('def cbs(c, k=5) = conv c kernel=k | bn\ncbs(6) | cbs(16, k=3)').statements as [DefNode, PipelineNode];
    expect(withPositions(def)).toEqual({
      kind: 'Def',
      at: '1:1-1:39',
      name: { kind: 'Ident', at: '1:5-1:8', name: 'cbs' },
      params: [
        { kind: 'Param', at: '1:9-1:10', name: { kind: 'Ident', at: '1:9-1:10', name: 'c' }, default: null },
        {
          kind: 'Param',
          at: '1:12-1:15',
          name: { kind: 'Ident', at: '1:12-1:13', name: 'k' },
          default: { kind: 'Number', at: '1:14-1:15', value: 5, text: '5' },
        },
      ],
      body: {
        kind: 'Pipeline',
        at: '1:19-1:39',
        layers: [
          {
            kind: 'Layer',
            at: '1:19-1:34',
            name: { kind: 'Ident', at: '1:19-1:23', name: 'conv' },
            args: [
              { kind: 'PositionalArg', at: '1:24-1:25', value: { kind: 'Ident', at: '1:24-1:25', name: 'c' } },
              {
                kind: 'KeyValueArg',
                at: '1:26-1:34',
                key: { kind: 'Ident', at: '1:26-1:32', name: 'kernel' },
                value: { kind: 'Ident', at: '1:33-1:34', name: 'k' },
              },
            ],
          },
          { kind: 'Layer', at: '1:37-1:39', name: { kind: 'Ident', at: '1:37-1:39', name: 'bn' }, args: [] },
        ],
      },
    });
    expect(withPositions(uses.layers[1])).toEqual({
      kind: 'BlockUse',
      at: '2:10-2:22',
      name: { kind: 'Ident', at: '2:10-2:13', name: 'cbs' },
      args: [
        { kind: 'PositionalArg', at: '2:14-2:16', value: { kind: 'Number', at: '2:14-2:16', value: 16, text: '16' } },
        {
          kind: 'KeyValueArg',
          at: '2:18-2:21',
          key: { kind: 'Ident', at: '2:18-2:19', name: 'k' },
          value: { kind: 'Number', at: '2:20-2:21', value: 3, text: '3' },
        },
      ],
    });
  });
});

describe('repetition: STAGE x N binds to the stage just before it', () => {
  test.each([
    ['relu x3', 'rep(relu, #3)'],
    ['relu x 3', 'rep(relu, #3)'],
    ['relu x\t3', 'rep(relu, #3)'],
    ['conv 6 k5 x2', 'rep(conv #6 k:#5, #2)'],
    ['dense 64 x3', 'rep(dense #64, #3)'],
    ['conv c x n', "rep(conv 'c', 'n')"],
    ['conv 6 x n', "rep(conv #6, 'n')"],
    ['cbs(16) x2', 'rep(cbs(#16), #2)'],
    ['cbs(16)x2', 'rep(cbs(#16), #2)'],
    ['(dense 64 | bn | relu) x3', 'rep(( dense #64 | bn | relu ), #3)'],
    ['(relu)x3', 'rep(( relu ), #3)'],
    ['residual { relu } x2', 'rep(residual{ relu }, #2)'],
    ['bn | relu x2 | dense 10', 'bn | rep(relu, #2) | dense #10'],
    ['((relu x2) x3) x4', 'rep(( rep(( rep(relu, #2) ), #3) ), #4)'],
    ['relu x 3 | cbs(16) x2', 'rep(relu, #3) | rep(cbs(#16), #2)'],
    ['relu x1e3', 'rep(relu, #1000)'],
    ['relu x 3.', 'rep(relu, #3)'],
  ])('%j', (source, expected) => {
    const { ast } = parse(source);
    expect(ast.statements.map(showStatement)).toEqual([expected]);
  });

  test.each([
    ['x0', 0],
    ['x-1', -1],
    ['x1.5', 1.5],
    ['x1000000', 1_000_000],
    ['x 0', 0],
    ['x -1', -1],
  ])('`relu %s` parses; the checker reports the count %d', (suffix, count) => {
    const [repeat] = stagesOf(parseClean(`relu ${suffix}`)) as [RepeatNode];
    expect(repeat.kind).toBe('Repeat');
    expect(repeat.count).toMatchObject({ kind: 'Number', value: count });
  });

  test('`conv 6 k5 x2` with its spans: the count is the `2` after the `x`', () => {
    expect(withPositions(stagesOf(parseClean('conv 6 k5 x2')))).toEqual([
      {
        kind: 'Repeat',
        at: '1:1-1:13',
        body: {
          kind: 'Layer',
          at: '1:1-1:10',
          name: { kind: 'Ident', at: '1:1-1:5', name: 'conv' },
          args: [
            { kind: 'PositionalArg', at: '1:6-1:7', value: { kind: 'Number', at: '1:6-1:7', value: 6, text: '6' } },
            { kind: 'ShortArg', at: '1:8-1:10', letter: 'k', value: { kind: 'Number', at: '1:9-1:10', value: 5, text: '5' } },
          ],
        },
        count: { kind: 'Number', at: '1:12-1:13', value: 2, text: '2' },
      },
    ]);
  });

  test('a spaced count keeps its own span; a parameter count is an identifier', () => {
    const [spaced] = stagesOf(parseClean('relu  x   12')) as [RepeatNode];
    expect([where(spaced.span), where(spaced.count.span)]).toEqual(['1:1-1:13', '1:11-1:13']);
    const [named] = stagesOf(parseClean('cbs(c) x n')) as [RepeatNode];
    expect(withPositions(named.count)).toEqual({ kind: 'Ident', at: '1:10-1:11', name: 'n' });
  });

  test.each([
    // v1 sizes keep their meaning: `x` glued to the number before it, or blanks on both sides (`conv 6 k3 x 5`,
    // tested below with its warning).
    ['conv 6 k3x 5', 'conv #6 k:#3x#5'],
    ['avgpool 2 x 2', 'avgpool #2x#2'],
    ['x 3x5x7x9', 'x #3x#5x#7x#9'],
    ['conv 6 x=3', 'conv #6 x=#3'],
  ])('v1 sizes and the name `x`: %j', (source, expected) => {
    expect(statementsOf(source)).toEqual([expected]);
  });

  test('`conv 64 k3 x 2` keeps its v1 meaning, a 3x2 window, with an NN1008 warning naming both spellings (issue 15)', () => {
    const { ast, diagnostics } = parse('conv 64 k3 x 2');
    expect(ast.statements.map(showStatement)).toEqual(['conv #64 k:#3x#2']);
    expect(diagnostics).toEqual([
      {
        code: 'NN1008',
        severity: 'warning',
        message:
          '`k3 x 2` is read as `k3x2`, a 3x2 size; write `k3x2` to say so, or `k3 x2` (the count glued to `x`) or the ' +
          'layer in parentheses to repeat the layer 2 times.',
        span: expect.objectContaining({ line: 1, column: 9, endColumn: 15 }),
      },
    ]);
  });

  test('`x` and `proj` stay names where no repetition or residual can be', () => {
    expect(statementsOf('model x\ntrain x=1\nproj 3 | conv proj')).toEqual(['Model', 'Train', "proj #3 | conv 'proj'"]);
  });
});

describe('groups and residual blocks', () => {
  test.each([
    ['(relu)', '( relu )'],
    ['(conv 6 k5 | bn) | relu', '( conv #6 k:#5 | bn ) | relu'],
    ['((relu | bn) x2 | dense 3) x3', 'rep(( rep(( relu | bn ), #2) | dense #3 ), #3)'],
    ['residual { conv 16 k3 p1 | bn }', 'residual{ conv #16 k:#3 p:#1 | bn }'],
    ['residual proj { conv 32 k3 s2 p1 | bn } | relu', 'residual proj{ conv #32 k:#3 s:#2 p:#1 | bn } | relu'],
    ['residual { residual { relu } | (bn) }', 'residual{ residual{ relu } | ( bn ) }'],
    ['def down(c) = residual proj { conv c k3 s2 p1 } | relu', "def down(c) = residual proj{ conv 'c' k:#3 s:#2 p:#1 } | relu"],
  ])('%j', (source, expected) => {
    expect(statementsOf(source)).toEqual([expected]);
  });

  test('a residual block with proj and its spans, over three lines', () => {
    const [pipeline] = parseClean('residual proj {\n  conv 32 k3 s2 p1\n} | relu').statements as [PipelineNode];
    const residual = pipeline.layers[0] as ResidualNode;
    expect(where(pipeline.span)).toBe('1:1-3:9');
    expect(where(residual.span)).toBe('1:1-3:2');
    expect(withPositions(residual.proj)).toEqual({ kind: 'Ident', at: '1:10-1:14', name: 'proj' });
    expect(where(residual.body.span)).toBe('2:3-2:19');
    expect(parseClean('residual { relu }').statements.map((s) => ((s as PipelineNode).layers[0] as ResidualNode).proj)).toEqual([null]);
  });
});

describe('statements over several lines', () => {
  test('a group over two lines, with its repetition after the `)`', () => {
    const [pipeline] = parseClean('(dense 64 | bn |\n  relu) x 3').statements as [PipelineNode];
    const repeat = pipeline.layers[0] as RepeatNode;
    const group = repeat.body as GroupNode;
    expect([where(pipeline.span), where(repeat.span), where(group.span), where(group.body.span), where(repeat.count.span)]).toEqual([
      '1:1-2:12',
      '1:1-2:12',
      '1:1-2:8',
      '1:2-2:7',
      '2:11-2:12',
    ]);
    expect(group.body.layers.map((stage) => where(stage.span))).toEqual(['1:2-1:10', '1:13-1:15', '2:3-2:7']);
  });

  test.each([
    ['inside ( ) a line break is a blank, `|` may start a line', '(\n  conv 6 k5\n  | bn\n) x2\nrelu', ['rep(( conv #6 k:#5 | bn ), #2)', 'relu']],
    ['blank and comment lines inside brackets', '(conv 6 # six maps\n\n# then\n | relu)\n', ['( conv #6 | relu )']],
    ['inside { }', 'residual {\n  conv 16 k3 p1 |\n  bn\n}\nrelu', ['residual{ conv #16 k:#3 p:#1 | bn }', 'relu']],
    ['a block use\'s arguments over lines', 'cbs(\n  6,\n  k=3\n)', ['cbs(#6, k=#3)']],
    ['a def\'s parameters over lines', 'def f(\n  c,\n  k=5\n) = conv c', ["def f(c, k=#5) = conv 'c'"]],
    ['a def body continued by `|`', 'def f(c) = conv c |\n  bn |\n  relu\nf(3)', ["def f(c) = conv 'c' | bn | relu", 'f(#3)']],
    ['a def body on the line after `=`', 'def f(c) =\n  conv c | relu\nf(3)', ["def f(c) = conv 'c' | relu", 'f(#3)']],
    ['blank lines after a def\'s `=`', 'def f(c) =\n\n# the body\n  relu\n', ['def f(c) = relu']],
    ['CRLF inside brackets', '(conv 6 |\r\n  relu)\r\nbn', ['( conv #6 | relu )', 'bn']],
  ])('%s', (_name, source, expected) => {
    expect(statementsOf(source)).toEqual(expected);
  });

  test('a `=` that ends a line outside a def header does not continue it', () => {
    expect(diagnosticsOf('def f(c) = conv c p=\nrelu')).toEqual([{ code: 'NN1001', line: 1, column: 21 }]);
    expect(diagnosticsOf('conv 6 p=\nrelu')).toEqual([{ code: 'NN1001', line: 1, column: 10 }]);
  });
});

describe('the nesting cap', () => {
  test(`${maxNesting} levels of brackets parse`, () => {
    const source = `${'('.repeat(maxNesting)}relu${')'.repeat(maxNesting)}`;
    let stage = stagesOf(parseClean(source))[0];
    let depth = 0;
    while (stage?.kind === 'Group') {
      depth++;
      stage = stage.body.layers[0];
    }
    expect(depth).toBe(maxNesting);
  });

  test(`${maxNesting} levels of residual blocks and repeated groups parse`, () => {
    expect(parse(`${'residual { '.repeat(maxNesting)}relu${' }'.repeat(maxNesting)}`).diagnostics).toEqual([]);
    expect(parse(`def f = ${'(relu | '.repeat(maxNesting)}relu${') x2'.repeat(maxNesting)}`).diagnostics).toEqual([]);
  });

  test(`${maxNesting + 1} levels: NN1006 at the bracket that goes too deep, the statement skipped, the rest read`, () => {
    const source = `relu\nconv 6 | ${'('.repeat(maxNesting + 1)}relu${')'.repeat(maxNesting + 1)}\nbn`;
    const { ast, diagnostics } = parse(source);
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([['NN1006', 2, 10 + maxNesting]]);
    expect(diagnostics[0]!.message).toBe(
      `Brackets are nested more than ${maxNesting} deep here; netc reads at most ${maxNesting} levels of \`(\` and \`{\`, so this statement is skipped.`,
    );
    expect(ast.statements.map(showStatement)).toEqual(['relu', 'bn']);
  });

  test('10,000 `(` deep: one diagnostic, no stack overflow, in a def and across lines too', () => {
    expect(diagnosticsOf('('.repeat(10_000))).toEqual([{ code: 'NN1006', line: 1, column: maxNesting + 1 }]);
    expect(diagnosticsOf(`def f = ${'(\n'.repeat(10_000)}relu${')'.repeat(10_000)}`).map((d) => d.code)).toEqual(['NN1006']);
    expect(diagnosticsOf(`${'residual {\n'.repeat(10_000)}relu\ninput 784`).map((d) => d.code)).toEqual(['NN1006']);
  });
});

describe('the new model files', () => {
  // Written with blocks by the checker's author; the parser must read them without a diagnostic.
  test.each([
    [
      'vgg-mini.net',
      [
        'Model',
        'Input',
        'Train',
        "def vgg(n, c) = rep(( conv 'c' k:#3 p:#1 | bn | relu ), 'n') | maxpool #2",
        'vgg(#1, #8)',
        'vgg(#2, #16)',
        'vgg(#2, #32)',
      ],
    ],
    [
      'lenet-bn-blocks.net',
      [
        'Model',
        'Input',
        'Train',
        "def cbs(c) = conv 'c' k:#5 | bn | sigmoid | avgpool #2",
        "def dbs(n) = dense 'n' | bn | sigmoid",
        'cbs(#6) | cbs(#16)',
        'flatten',
        'dbs(#120) | dbs(#84)',
        'dense #10',
      ],
    ],
  ])('models/%s', (name, expected) => {
    expect(statementsOf(readModel(name)).slice(0, expected.length)).toEqual(expected);
  });

  test('models/resnet-mini.net: residual blocks, with and without proj', () => {
    const statements = statementsOf(readModel('resnet-mini.net'));
    const defs = statements.filter((s) => s.startsWith('def '));
    expect(defs).toHaveLength(2);
    expect(defs.some((s) => s.includes('residual proj{'))).toBe(true);
    expect(defs.some((s) => s.includes('residual{'))).toBe(true);
  });
});

describe('statements after a broken one read as if it were not there', () => {
  test('v2 forms, clean, are the same AST, spans included, whether or not the file has an error before them', () => {
    const v2 = 'def cbs(c, k=5) = conv c kernel=k | bn\n(dense 64 | bn |\n relu) x3\nresidual proj { conv 8 k3 } | cbs(6) x2\n';
    const clean = parseClean(`relu  \n${v2}`).statements.slice(1);
    const { ast, diagnostics } = parse(`| oops\n${v2}`);
    expect(diagnostics.map((d) => d.code)).toEqual(['NN1001']);
    expect(ast.statements).toEqual(clean);
  });
});

describe('stages are shown back as written', () => {
  test('showStage writes every kind', () => {
    const [pipeline] = parseClean('a | b(1) | (c) x2 | residual proj { d }').statements as [PipelineNode];
    expect(pipeline.layers.map(showStage)).toEqual(['a', 'b(#1)', 'rep(( c ), #2)', 'residual proj{ d }']);
  });
});
