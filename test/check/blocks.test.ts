import { describe, expect, test } from 'vitest';
import { maxExpandedNodes } from '../../src/check/expand.js';
import type { CheckedLayer } from '../../src/ir/model.js';
import { formatBlocks } from '../../src/cli/printSummary.js';
import { formatDiagnosticsText } from '../../src/diagnostics/format.js';
import { checkParsed, checkSource } from './harness.js';

// Language v2 in the checker: blocks (`def`), repetition (`x N`) and residual connections, expanded into the
// checked graph. Every source here parses cleanly; each test is about what the checker makes of it.

/** The checked graph of an error-free source. */
function graph(source: string): readonly CheckedLayer[] {
  const { model, diagnostics } = checkSource(source);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return model!.layers;
}

/** Each node as `op`, its output shape and the rows it reads: the structure a test compares at a glance. */
function rows(source: string): string[] {
  return graph(source).map((l) => `${l.op} ${l.outputShape.join('x')} <- ${l.inputs.join(',')}`);
}

/** Each diagnostic as its code and position, with its related locations' positions. */
function located(source: string): { code: string; at: string; related: string[] }[] {
  return checkSource(source).diagnostics.map((d) => ({
    code: d.code,
    at: `${d.span.line}:${d.span.column}`,
    related: (d.related ?? []).map((r) => `${r.span.line}:${r.span.column}`),
  }));
}

/** The only diagnostic of a source. */
function only(source: string) {
  const { diagnostics } = checkSource(source);
  expect(diagnostics, diagnostics.map((d) => d.message).join('\n')).toHaveLength(1);
  return diagnostics[0]!;
}

describe('blocks expand where they are used', () => {
  const source = [
    'input 1x28x28', //                                      1
    'def cbs(c, k=5) = conv c kernel=k | bn | sigmoid', //   2
    'cbs(6) | cbs(16, k=3)', //                              3
    'flatten | dense 10', //                                 4
  ].join('\n');

  test('each use is the block body with the parameters replaced by the arguments, defaults filled in', () => {
    const layers = graph(source);
    expect(layers.map((l) => l.op)).toEqual(['conv', 'bn', 'sigmoid', 'conv', 'bn', 'sigmoid', 'flatten', 'dense']);
    expect(layers[0]!.args).toMatchObject({ out: 6, kernel: [5, 5] });
    expect(layers[3]!.args).toMatchObject({ out: 16, kernel: [3, 3] });
    expect(layers.map((l) => l.outputShape.join('x'))).toEqual(
      ['6x24x24', '6x24x24', '6x24x24', '16x22x22', '16x22x22', '16x22x22', '7744', '10'],
    );
  });

  test('every expanded node names its use; its span stays in the definition', () => {
    const layers = graph(source);
    expect(layers.map((l) => formatBlocks(l.blocks ?? []))).toEqual(
      ['cbs@3:1', 'cbs@3:1', 'cbs@3:1', 'cbs@3:10', 'cbs@3:10', 'cbs@3:10', '', ''],
    );
    expect(layers.slice(0, 3).map((l) => `${l.span.line}:${l.span.column}`)).toEqual(['2:19', '2:37', '2:42']);
    // Written-out layers carry no block list at all, as in language v1.
    expect(layers[6]!.blocks).toBeUndefined();
  });

  test('keyword arguments, in any order, and words passed through parameters', () => {
    const layers = graph(
      'input 1x8x8\ndef c(n, pad=0, i=builtin) = conv n k3 p=pad | bn impl=i\nc(pad=same, n=4, i=scratch) | c(2)\nflatten | dense 10\n',
    );
    expect(layers[0]!.args).toMatchObject({ out: 4, pad: 'same' });
    expect(layers[0]!.outputShape).toEqual([4, 8, 8]);
    expect(layers[1]!.args['impl']).toBe('scratch');
    expect(layers[2]!.args).toMatchObject({ out: 2, pad: [0, 0] });
    expect(layers[3]!.args['impl']).toBe('builtin');
  });

  test('blocks use earlier blocks; the chain of uses is kept, outermost first', () => {
    const layers = graph(
      [
        'input 1x28x28',
        'def cbr(c) = conv c k3 p1 | bn | relu',
        'def stage(c, n=2) = cbr(c) x n | maxpool 2',
        'stage(8) | stage(16, n=1)',
        'flatten | dense 10',
      ].join('\n'),
    );
    expect(layers.map((l) => `${l.op}:${formatBlocks(l.blocks ?? [])}`)).toEqual([
      'conv:stage@4:1>cbr@3:21',
      'bn:stage@4:1>cbr@3:21',
      'relu:stage@4:1>cbr@3:21',
      'conv:stage@4:1>cbr@3:21',
      'bn:stage@4:1>cbr@3:21',
      'relu:stage@4:1>cbr@3:21',
      'maxpool:stage@4:1',
      'conv:stage@4:12>cbr@3:21',
      'bn:stage@4:12>cbr@3:21',
      'relu:stage@4:12>cbr@3:21',
      'maxpool:stage@4:12',
      'flatten:',
      'dense:',
    ]);
    expect(layers[10]!.outputShape).toEqual([16, 7, 7]);
  });

  test('a block without parameters, and a block used inside a group and a residual body', () => {
    expect(rows('input 16\ndef act() = bn | relu\ndense 8 | act() | residual { dense 8 | act() } | dense 10\n')).toEqual([
      'dense 8 <- -1',
      'bn 8 <- 0',
      'relu 8 <- 1',
      'dense 8 <- 2',
      'bn 8 <- 3',
      'relu 8 <- 4',
      'add 8 <- 2,5',
      'dense 10 <- 6',
    ]);
  });
});

describe('repetition', () => {
  test.each([
    ['a layer', 'dense 10 x3', 3],
    ['a group', '(dense 10 | relu) x2', 4],
    ['a block use', 'act(10) x4', 8],
    ['a residual block', 'residual { dense 10 } x3', 6],
    ['nested repetition multiplies', '((dense 10) x2 | relu) x3', 9],
    ['a count from a parameter', 'rep(5)', 5],
    ['a count from a parameter, repeated', 'rep(2) x3', 6],
    ['x1 is the stage once', 'dense 10 x1', 1],
  ])('%s', (_name, stage, count) => {
    const source = `input 10\ndef act(n) = dense n | relu\ndef rep(n) = dense 10 x n\n${stage}\n`;
    const layers = graph(source);
    expect(layers).toHaveLength(count);
    // Copies are chained: each reads the one before.
    layers.forEach((layer) => {
      if (layer.op !== 'add') expect(layer.inputs).toEqual([layer.index - 1]);
    });
  });

  test('copies of a stage thread the shape through each other', () => {
    expect(graph('input 1x28x28\n(conv 4 k3 | relu) x3 | flatten | dense 10\n').map((l) => l.outputShape.join('x'))).toEqual(
      ['4x26x26', '4x26x26', '4x24x24', '4x24x24', '4x22x22', '4x22x22', '1936', '10'],
    );
  });
});

describe('residual connections', () => {
  test('y = x + f(x): an add node reads the skip source and the body output', () => {
    expect(rows('input 1x8x8\nconv 4 k3 p1 | residual { conv 4 k3 p1 | relu } | flatten | dense 10\n')).toEqual([
      'conv 4x8x8 <- -1',
      'conv 4x8x8 <- 0',
      'relu 4x8x8 <- 1',
      'add 4x8x8 <- 0,2',
      'flatten 256 <- 3',
      'dense 10 <- 4',
    ]);
  });

  test('a residual block first in the model reads the model input on its skip path', () => {
    expect(rows('input 12\nresidual { dense 12 } | dense 10\n')).toEqual(['dense 12 <- -1', 'add 12 <- -1,0', 'dense 10 <- 1']);
  });

  test('proj puts a 1x1 convolution without bias, with the body\'s stride, on the skip path', () => {
    const layers = graph('input 3x28x28\nresidual proj { conv 16 k3 s2 p1 } | flatten | dense 10\n');
    expect(layers.map((l) => `${l.op}/${l.variant ?? '-'} ${l.outputShape.join('x')} <- ${l.inputs.join(',')}`)).toEqual([
      'conv/- 16x14x14 <- -1',
      'conv/projection 16x14x14 <- -1',
      'add/- 16x14x14 <- 1,0',
      'flatten/- 3136 <- 2',
      'dense/- 10 <- 3',
    ]);
    expect(layers[1]!.args).toEqual({ out: 16, kernel: [1, 1], stride: [2, 2], pad: [0, 0], bias: false });
    // PyTorch: nn.Conv2d(3, 16, 1, stride=2, bias=False) has 48 weights.
    expect(layers[1]!.params).toEqual({ trainable: 48, nonTrainable: 0 });
    expect(`${layers[1]!.span.line}:${layers[1]!.span.column}`).toBe('2:10');
  });

  test.each([
    // ceil(7 / 2) = 4: a padded stride-2 body on an odd size, as in ResNet on 7x7 maps.
    ['7x7 to 4x4', 'input 8x7x7', 'conv 16 k3 s2 p1', [2, 2]],
    ['only the channels change', 'input 8x7x7', 'conv 16 k3 p1', [1, 1]],
    ['different strides per axis', 'input 8x8x9', 'conv 8 k3 s2x3 p1', [2, 3]],
    ['a pool inside the body', 'input 8x8x8', 'conv 16 k3 p1 | maxpool 2', [2, 2]],
  ])('the projection stride is worked out from the sizes: %s', (_name, input, body, stride) => {
    const layers = graph(`${input}\nresidual proj { ${body} } | flatten | dense 10\n`);
    const proj = layers.find((l) => l.variant === 'projection')!;
    expect(proj.args['stride']).toEqual(stride);
    expect(proj.outputShape).toEqual(layers.find((l) => l.op === 'add')!.outputShape);
  });

  test('on flat vectors proj is a dense layer without bias', () => {
    const layers = graph('input 12\nresidual proj { dense 20 | relu } | dense 10\n');
    expect(layers[2]).toMatchObject({ op: 'dense', variant: 'projection', args: { out: 20, bias: false }, params: { trainable: 240 } });
  });

  test('proj projects only when the shapes differ, so one block serves both kinds of use', () => {
    const source = 'input 8x8x8\ndef res(c, s=1) = residual proj { conv c k3 s=s p1 | bn }\nres(8) | res(16, s=2) | flatten | dense 10\n';
    expect(graph(source).map((l) => l.variant ?? l.op)).toEqual([
      'conv', 'BatchNorm2d', 'add', 'conv', 'BatchNorm2d', 'projection', 'add', 'flatten', 'dense',
    ]);
  });

  test('residual blocks nest', () => {
    expect(rows('input 6\nresidual { dense 6 | residual { relu } } | dense 10\n')).toEqual([
      'dense 6 <- -1',
      'relu 6 <- 0',
      'add 6 <- 0,1',
      'add 6 <- -1,2',
      'dense 10 <- 3',
    ]);
  });
});

describe('an error inside a block is reported at the use, pointing into the definition', () => {
  test('the shape error names the block and its values, at the use, with the definition line related', () => {
    const source = 'input 1x4x4\ndef cbs(c, k=5) = conv c kernel=k | bn\ncbs(16)\nflatten | dense 10\n';
    const diagnostic = only(source);
    expect(diagnostic.code).toBe('NN3003');
    expect(diagnostic.message).toBe(
      'conv kernel 5 is larger than its input 4x4 (in block `cbs` with c=16, k=5); use a kernel of at most 4 (`k4`) or pad by at least 1 (`p1`).',
    );
    expect([diagnostic.span.line, diagnostic.span.column, diagnostic.span.endColumn]).toEqual([3, 1, 8]);
    expect(diagnostic.related).toEqual([
      { message: 'Here, in the definition of `cbs`.', span: expect.objectContaining({ line: 2, column: 26 }) },
    ]);
  });

  test('each use that fails is reported at itself; a use that fits is not', () => {
    const source = 'input 1x12x12\ndef c(k) = conv 4 kernel=k\nc(3) | c(5) | c(9)\nflatten | dense 10\n';
    // 12 -> 10 -> 6; k9 does not fit 6x6.
    expect(located(source)).toEqual([{ code: 'NN3003', at: '3:15', related: ['2:19'] }]);
    expect(checkSource(source).diagnostics[0]!.message).toContain('(in block `c` with k=9)');
  });

  test('nested uses: at the outermost use, with a related location for each level', () => {
    const source = [
      'input 1x8x8', //                                   1
      'def cbs(c, k=3) = conv c kernel=k | bn', //        2
      'def stage(c, k) = cbs(c, k=k) | relu', //          3
      'stage(4, 3) | stage(8, 9)', //                     4
      'flatten | dense 10', //                            5
    ].join('\n');
    const [diagnostic] = checkSource(source).diagnostics;
    expect(located(source)).toEqual([{ code: 'NN3003', at: '4:15', related: ['3:19', '2:26'] }]);
    expect(diagnostic!.message).toBe(
      'conv kernel 9 is larger than its input 6x6 (in block `cbs` with c=8, k=9, in block `stage` with c=8, k=9); ' +
        'use a kernel of at most 6 (`k6`) or pad by at least 2 (`p2`).',
    );
    expect(diagnostic!.related!.map((r) => r.message)).toEqual(['`stage` uses `cbs` here.', 'Here, in the definition of `cbs`.']);
  });

  test('a bad value from an argument is reported at the use, with the value', () => {
    const diagnostic = only('input 1x8x8\ndef cbs(c) = conv c k3\ncbs(0) | flatten | dense 10\n');
    expect([diagnostic.code, diagnostic.span.line, diagnostic.span.column]).toEqual(['NN2010', 3, 1]);
    expect(diagnostic.message).toBe('`out` of `conv` must be a positive size (at least 1), not 0 (in block `cbs` with c=0).');
    expect(diagnostic.related?.map((r) => [r.span.line, r.span.column])).toEqual([[2, 19]]);
  });

  test('a bad default is reported at the use that takes it', () => {
    expect(located('input 8\ndef d(n=-2) = dense n\nd(4) | d() | dense 10\n')).toEqual([{ code: 'NN2010', at: '3:8', related: ['2:21'] }]);
  });

  test('a problem the definition alone decides is reported once, in the definition', () => {
    const source = 'input 8\ndef d(n) = dense n kernal=3\nd(4) | d(6) | d(8) | dense 10\n';
    expect(located(source)).toEqual([{ code: 'NN2002', at: '2:20', related: [] }]);
  });

  test('a repeated failure is reported once per place', () => {
    // Each copy reads the value 0; the message is the same for each.
    expect(located('input 8\ndef d(n) = dense n\nd(0) x3 | dense 10\n')).toEqual([{ code: 'NN2010', at: '3:1', related: ['2:18'] }]);
  });

  test('a shape error in a repeated stage says which copy failed', () => {
    const diagnostic = only('input 1x12x12\n(conv 4 k5) x3 | flatten | dense 10\n');
    expect(diagnostic.message).toContain('larger than its input 4x4 (repeat 3 of 3);');
    expect([diagnostic.span.line, diagnostic.span.column]).toEqual([2, 9]);
  });

  test('a warning across a block boundary points at both layers', () => {
    const source = 'input 8\ndef db(n) = dense n | bn\ndb(8) | bn | dense 10\n';
    expect(located(source)).toEqual([{ code: 'NN3102', at: '3:9', related: ['2:23'] }]);
  });

  test('the final-width warning of a model that ends in a block is at the use', () => {
    expect(located('input 8\ndef d(n) = dense n\nd(7)\n')).toEqual([{ code: 'NN3101', at: '3:1', related: ['2:12'] }]);
  });
});

describe('block definitions and uses: each mistake, located', () => {
  type Case = [string, string, { code: string; at: string; related: string[] }[]];
  const I = 'input 8\n';
  const cases: Case[] = [
    ['unknown block', `${I}def cbs(c) = dense c\ncbx(6) | dense 10\n`, [{ code: 'NN2029', at: '2:5', related: [] }, { code: 'NN2017', at: '3:1', related: [] }]],
    ['too many arguments', `${I}def d(n) = dense n\nd(4, 5) | dense 10\n`, [{ code: 'NN2022', at: '3:6', related: ['2:5'] }]],
    ['positional after named', `${I}def d(n, m=1) = dense n | dense m\nd(m=2, 4) | dense 10\n`, [{ code: 'NN2022', at: '3:8', related: [] }]],
    ['unknown keyword', `${I}def d(n) = dense n\nd(m=4) | dense 10\n`, [{ code: 'NN2023', at: '3:3', related: ['2:5'] }]],
    ['missing argument without default', `${I}def d(n) = dense n\nd() | dense 10\n`, [{ code: 'NN2024', at: '3:1', related: ['2:7'] }]],
    ['argument given twice', `${I}def d(n) = dense n\nd(4, n=5) | dense 10\n`, [{ code: 'NN2003', at: '3:6', related: ['3:3'] }]],
    ['use before definition', `${I}d(4) | dense 10\ndef d(n) = dense n\n`, [{ code: 'NN2018', at: '2:1', related: ['3:5'] }]],
    ['use of a later block inside a block', `${I}def a() = b()\ndef b() = relu\na() | dense 10\n`, [{ code: 'NN2018', at: '2:11', related: ['3:5'] }]],
    ['direct recursion', `${I}def a(n) = dense n | a(n)\na(4) | dense 10\n`, [{ code: 'NN2019', at: '2:22', related: ['2:5'] }]],
    ['mutual recursion', `${I}def a() = b()\ndef b() = relu | a()\na() | dense 10\n`, [{ code: 'NN2019', at: '2:11', related: ['3:5'] }]],
    ['block defined twice', `${I}def d() = relu\ndef d() = tanh\nd() | dense 10\n`, [{ code: 'NN2020', at: '3:5', related: ['2:5'] }]],
    ['block named like a layer', `${I}def relu() = tanh\nrelu() | dense 10\n`, [{ code: 'NN2021', at: '2:5', related: [] }]],
    ['required parameter after a default', `${I}def d(n=4, m) = dense n | dense m\nd(m=2) | dense 10\n`, [{ code: 'NN2025', at: '2:12', related: [] }]],
    ['parameter named like a word', `${I}def d(same) = dense 4\nd(1) | dense 10\n`, [{ code: 'NN2025', at: '2:7', related: [] }]],
    ['a layer written as an argument', `${I}dense 120 bn | dense 10\n`, [{ code: 'NN2026', at: '2:11', related: [] }]],
    ['a block written as an argument', `${I}def act() = relu\ndense 12 act | dense 10\n`, [{ code: 'NN2029', at: '2:5', related: [] }, { code: 'NN2026', at: '3:10', related: [] }]],
    ['a misspelt parameter', `${I}def d(size) = dense sise\nd(4) | dense 10\n`, [{ code: 'NN2026', at: '2:21', related: [] }]],
    ['a name that is no parameter', `${I}def d(n) = dense m\nd(4) | dense 10\n`, [{ code: 'NN2026', at: '2:18', related: [] }]],
    ['a repetition count that is no parameter', `${I}dense 10 x n\n`, [{ code: 'NN2026', at: '2:12', related: [] }]],
    ['x0', `${I}dense 10 x0\n`, [{ code: 'NN2027', at: '2:11', related: [] }]],
    ['x-1', `${I}dense 10 x-1\n`, [{ code: 'NN2027', at: '2:11', related: [] }]],
    ['x1.5', `${I}dense 10 x1.5\n`, [{ code: 'NN2027', at: '2:11', related: [] }]],
    ['a count of 0 through a parameter', `${I}def rep(n) = dense 10 x n\nrep(0)\n`, [{ code: 'NN2027', at: '3:1', related: ['2:25'] }]],
    ['a word for a count', `${I}def rep(n) = dense 10 x n\nrep(same)\n`, [{ code: 'NN2027', at: '3:1', related: ['2:25'] }]],
    ['x1000000', `${I}dense 10 x1000000\n`, [{ code: 'NN2028', at: '2:1', related: [] }]],
    ['x1000000 inside a block', `${I}def big() = dense 10 x1000000\nbig()\n`, [{ code: 'NN2028', at: '3:1', related: ['2:13'] }]],
    ['unused block', `${I}def d(n) = dense n\ndense 10\n`, [{ code: 'NN2029', at: '2:5', related: [] }]],
    ['residual shapes differ without proj', `${I}residual { dense 4 } | dense 10\n`, [{ code: 'NN3005', at: '2:1', related: [] }]],
    ['residual body changes the rank', 'input 1x4x4\nresidual { flatten | dense 16 } | dense 10\n', [{ code: 'NN3006', at: '2:1', related: [] }]],
    ['no stride matches the body', 'input 1x28x28\nresidual proj { conv 4 k5 } | flatten | dense 10\n', [{ code: 'NN3007', at: '2:1', related: [] }]],
    ['a residual error inside a block', `${I}def r(n) = residual { dense n }\nr(8) | r(4) | dense 10\n`, [{ code: 'NN3005', at: '3:8', related: ['2:12'] }]],
    ['a rank change inside a block', 'input 1x4x4\ndef r() = residual { flatten }\nr() | dense 10\n', [{ code: 'NN3006', at: '3:1', related: ['2:11'] }]],
    ['no projection inside a block', 'input 1x8x8\ndef r(k) = residual proj { conv 2 kernel=k }\nr(3) | flatten | dense 10\n', [{ code: 'NN3007', at: '3:1', related: ['2:12'] }]],
  ];

  test.each(cases)('%s', (_name, source, expected) => {
    expect(located(source)).toEqual(expected);
  });
});

describe('messages', () => {
  const I = 'input 8\n';
  test.each([
    [`${I}def cbs(c) = dense c\ncbx(6) | dense 10\n`, 'Unknown block `cbx`; did you mean `cbs`?'],
    [`${I}dens(6) | dense 10\n`, 'Unknown block `dens`; did you mean the layer `dense`?'],
    [`${I}dense(6) | dense 10\n`, '`dense` is a layer, not a block; write its arguments after its name, without parentheses.'],
    [`${I}stage(6) | dense 10\n`, 'Unknown block `stage`; define it before its use with `def stage(...) = ...`.'],
    [`${I}def cbs(c) = dense c\ncbs 6 | dense 10\n`, '`cbs` is a block, not a layer; use it with its arguments in parentheses, as in `cbs(...)`.'],
    [`${I}def cbs(c) = dense c\ncbx 6 | dense 10\n`, 'Unknown layer `cbx`; did you mean the block `cbs(...)`?'],
    [`${I}def d(act) = dense 4 | act\nd(relu) | dense 10\n`, '`act` is a parameter of `d`; a parameter stands for a value, such as the `c` of `conv c k3`, not for a layer.'],
    [`${I}def d(n) = dense n\nd(4, 5) | dense 10\n`, '`d` takes one argument (`n`), so 5 is one too many; remove it.'],
    [`${I}def d() = relu\nd(5) | dense 10\n`, '`d` takes no arguments; remove 5.'],
    [`${I}def d(n, m=1) = dense n | dense m\nd(m=2, 4) | dense 10\n`, 'The argument 4 of `d` comes after the named argument `m=2`; put positional arguments first, or name this one too.'],
    [`${I}def d(size) = dense size\nd(sise=4) | dense 10\n`, '`d` has no parameter `sise`; did you mean `size`?'],
    [`${I}def d(n) = dense n\nd() | dense 10\n`, '`d` needs a value for `n`, which has no default; pass one, as in `d(n=...)`.'],
    [`${I}def d(n) = dense n\nd(4, n=5) | dense 10\n`, '`n` of `d` is given twice (`4` and `n=5`); keep one.'],
    [`${I}d(4) | dense 10\ndef d(n) = dense n\n`, 'Block `d` is used before its definition on line 3; move the `def` above line 2.'],
    [`${I}def a() = b()\ndef b() = relu\na() | dense 10\n`, 'Block `b` is used before its definition on line 3; move that `def` above line 2.'],
    [`${I}def a(n) = dense n | a(n)\na(4) | dense 10\n`, 'Block `a` uses itself; a block cannot be recursive (to repeat layers, write `STAGE x N`).'],
    [
      `${I}def a() = b()\ndef b() = c()\ndef c() = relu | a()\na() | dense 10\n`,
      'Block `a` uses `b`, which leads back to `a` (a -> b -> c -> a); blocks cannot be recursive.',
    ],
    [`${I}def d() = relu\ndef d() = tanh\nd() | dense 10\n`, 'Block `d` is defined twice; keep the one on line 2 or rename this one.'],
    [`${I}def relu() = tanh\nrelu() | dense 10\n`, 'A block cannot be named `relu`, which is a layer; rename it, such as `relu_block`.'],
    [`${I}def d(n=4, m) = dense n | dense m\nd(m=2) | dense 10\n`, 'Parameter `m` has no default but follows `n`, which has one; put the parameters without defaults first.'],
    [`${I}def d(same) = dense 4\nd(1) | dense 10\n`, 'A parameter cannot be named `same`: inside `d` it would hide the word `same`; rename it.'],
    [`${I}dense 120 bn | dense 10\n`, '`bn` is a layer, not an argument of `dense`; did you mean `| bn`?'],
    [`${I}def act() = relu\ndense 12 act | act() | dense 10\n`, '`act` is a block, not an argument of `dense`; did you mean `| act(...)`?'],
    [`${I}def d(size) = dense sise\nd(4) | dense 10\n`, '`sise` is not a parameter of `d`; did you mean `size`?'],
    [`${I}def d(n, k) = dense width\nd(4, 2) | dense 10\n`, '`width` is not a parameter of `d`; its parameters are `n` and `k`.'],
    [`${I}def d() = dense m\nd() | dense 10\n`, '`m` is not a parameter of `d`, which has none; add it to the `def`, as in `def d(m) = ...`.'],
    [`${I}dense 10 x n\n`, '`n` is not a parameter; a repetition count is a whole number, such as `x3`, or a parameter of the enclosing `def`.'],
    [`${I}dense 10 x0\n`, 'A repetition count must be a whole number of at least 1, not 0; to leave the stage out, delete it.'],
    [`${I}dense 10 x-1\n`, 'A repetition count must be a whole number of at least 1, not -1.'],
    [`${I}dense 10 x1.5\n`, 'A repetition count must be a whole number of at least 1, not 1.5; write `x1` or `x2`.'],
    [`${I}def rep(n) = dense 10 x n\nrep(0)\n`, 'A repetition count must be a whole number of at least 1, not 0 (in block `rep` with n=0); to leave the stage out, delete it.'],
    [
      `${I}dense 10 x1000000\n`,
      'Repeating 1 node 1,000,000 times makes 1,000,000 nodes, but blocks and repetition may make at most 4,000 in a model; repeat fewer times.',
    ],
    [
      `${I}dense 10 x3000 | (dense 10 | relu) x1000\n`,
      'Repeating 2 nodes 1,000 times makes 2,000 nodes, but blocks and repetition may make at most 4,000 in a model, and 3,000 are already made; repeat fewer times.',
    ],
    [`${I}def d(n) = dense n\ndense 10\n`, 'Block `d` is defined but never used.'],
    [
      `${I}residual { dense 4 } | dense 10\n`,
      'The residual body turns 8 into 4, so its input cannot be added to its output; write `residual proj { ... }` to put a dense projection on the skip path.',
    ],
    [
      'input 8x8x8\nresidual { conv 16 k3 s2 p1 } | flatten | dense 10\n',
      'The residual body turns 8x8x8 into 16x4x4, so its input cannot be added to its output; write `residual proj { ... }` to put a 1x1 convolution with stride 2 on the skip path.',
    ],
    [
      'input 8x8x8\nresidual { conv 8 k3 } | flatten | dense 10\n',
      "The residual body turns 8x8x8 into 8x6x6, so its input cannot be added to its output; make the body keep its input's height and width, or divide them only by a stride.",
    ],
    [
      'input 1x4x4\nresidual { flatten | dense 16 } | dense 10\n',
      'The residual body turns 1x4x4 into 16, which changes the rank, so its input cannot be added to its output; move `flatten` after the residual block.',
    ],
    [
      'input 1x28x28\nresidual proj { conv 4 k5 } | flatten | dense 10\n',
      "No 1x1 convolution takes 1x28x28 to 4x24x24: no stride turns 28x28 into 24x24; pad the body's convolutions so that only their stride changes the size (`p1` with `k3`).",
    ],
  ])('%#: %s', (source, message) => {
    const { diagnostics } = checkSource(source);
    expect(diagnostics.map((d) => d.message)).toContain(message);
  });
});

// Timeouts here guard against expansion (it would take hours); speed itself is the bench's.
describe('bad input is answered without being expanded', () => {
  test('x1000000 is refused before it runs', { timeout: 30_000 }, () => {
    const { diagnostics, model } = checkSource('input 8\ndense 10 x1000000 | (dense 10 x1000000) x1000000\n');
    expect(model).toBeNull();
    expect(diagnostics.map((d) => d.code)).toEqual(['NN2028', 'NN2028']);
  });

  test('blocks that double through each other are counted without being expanded', { timeout: 30_000 }, () => {
    // b40 would be 2^40 nodes; counting it is linear in the number of blocks.
    const defs = Array.from({ length: 40 }, (_, i) => `def level${i + 1}() = level${i}() | level${i}()`);
    const source = `input 8\ndef level0() = relu\n${defs.join('\n')}\nlevel40() x2 | dense 10\n`;
    const { diagnostics } = checkSource(source);
    expect(diagnostics.map((d) => [d.code, d.span.line])).toEqual([['NN2028', 43]]);
    expect(diagnostics[0]!.message).toMatch(/^Repeating 1,099,511,627,776 nodes 2 times/);
  });

  test('without a repetition, doubling blocks stop at the cap with one error', () => {
    const defs = Array.from({ length: 20 }, (_, i) => `def level${i + 1}() = level${i}() | level${i}()`);
    const { diagnostics } = checkSource(`input 8\ndef level0() = dense 8\n${defs.join('\n')}\nlevel20() | dense 10\n`);
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([['NN2028', 23, 1]]);
  });

  test('exactly the cap is allowed, one more node is not', () => {
    expect(graph(`input 8\ndense 8 x${maxExpandedNodes}\n`)).toHaveLength(maxExpandedNodes);
    expect(checkSource(`input 8\ndense 8 x${maxExpandedNodes + 1}\n`).diagnostics.map((d) => d.code)).toEqual(['NN2028']);
    // Written-out layers count towards the model's limit too (NN2030), at the first one past it.
    expect(checkSource(`input 8\ndense 8 x${maxExpandedNodes} | dense 10\n`).diagnostics.map((d) => d.code)).toEqual(['NN2030']);
  });

  test('a long chain of blocks, each using the one before, is expanded or refused without overflowing the stack', () => {
    const defs = Array.from({ length: 2000 }, (_, i) => `def level${i + 1}() = level${i}()`);
    const { diagnostics } = checkSource(`input 8\ndef level0() = relu\n${defs.join('\n')}\nlevel2000() | dense 10\n`);
    expect(diagnostics.map((d) => d.code)).toEqual(['NN2028']);
    expect(diagnostics[0]!.message).toMatch(/nest more than 100 deep/);
  });

  // No timing is asserted (speed is for benchmarks); a quadratic search would hit the test's timeout.
  test('a long recursive cycle is found and named', () => {
    const defs = Array.from({ length: 3000 }, (_, i) => `def level${i}() = level${(i + 1) % 3000}()`);
    const { diagnostics } = checkSource(`input 8\n${defs.join('\n')}\nlevel0() | dense 10\n`);
    expect(diagnostics.filter((d) => d.code === 'NN2019')).toHaveLength(2999);
    expect(diagnostics.find((d) => d.code === 'NN2019')!.message).toMatch(/^Block `level0` uses `level1`, which leads back to `level0` \(level0 -> level1 -> level2 -> /);
  });

  test('a block that is never used is still checked for what its definition decides', () => {
    expect(located(`input 8\ndef d(n, k=2) = dense n kernal=3 | cbx(k) | dense 0\ndense 10\n`)).toEqual([
      { code: 'NN2029', at: '2:5', related: [] },
      { code: 'NN2002', at: '2:25', related: [] },
      { code: 'NN2017', at: '2:36', related: [] },
      { code: 'NN2010', at: '2:51', related: [] },
    ]);
  });
});

describe('after a syntax error', () => {
  test('a use of a block whose def the parser could not read is not reported unknown', () => {
    const { syntax, diagnostics } = checkParsed('input 8\ndef d(n) = dense n |\n| relu\nd(4) | dense 10\n');
    expect(syntax.length).toBeGreaterThan(0);
    expect(diagnostics.filter((d) => d.code === 'NN2017')).toEqual([]);
  });

  test('a block whose use the parser dropped is not reported unused', () => {
    const { syntax, diagnostics } = checkParsed('input 8\ndef d(n) = dense n\nd(4 | dense 10\n');
    expect(syntax.length).toBeGreaterThan(0);
    expect(diagnostics.filter((d) => d.code === 'NN2029')).toEqual([]);
  });

  test('shapes after a syntax error are not checked, inside blocks too', () => {
    const { syntax, diagnostics } = checkParsed('input 1x4x4\ndef c(k) = conv 4 kernel=k\nconv 4 k3 bias= | c(9)\n');
    expect(syntax.map((d) => d.code)).toEqual(['NN1001']);
    expect(diagnostics).toEqual([]);
  });
});

describe('as `netc check` prints it', () => {
  test('the error at the use, then each related location indented with its own line', () => {
    const source = [
      'input 1x8x8',
      'def cbs(c, k=3) = conv c kernel=k | bn',
      'def stage(c, k) = cbs(c, k=k) | relu',
      'stage(4, 3) | stage(8, 9)',
      'flatten | dense 10',
      '',
    ].join('\n');
    expect(formatDiagnosticsText('m.net', source, checkSource(source).diagnostics)).toBe(
      [
        'm.net:4:15 - error NN3003: conv kernel 9 is larger than its input 6x6 (in block `cbs` with c=8, k=9, in block `stage` with c=8, k=9); use a kernel of at most 6 (`k6`) or pad by at least 2 (`p2`).',
        '  3 | def stage(c, k) = cbs(c, k=k) | relu',
        '  4 | stage(4, 3) | stage(8, 9)',
        '    |               ^~~~~~~~~~~',
        '  m.net:3:19 - `stage` uses `cbs` here.',
        '    3 | def stage(c, k) = cbs(c, k=k) | relu',
        '      |                   ^~~~~~~~~~~',
        '  m.net:2:26 - Here, in the definition of `cbs`.',
        '    2 | def cbs(c, k=3) = conv c kernel=k | bn',
        '      |                          ^~~~~~~~',
        '',
      ].join('\n'),
    );
  });
});
