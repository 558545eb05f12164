import { describe, expect, test } from 'vitest';
import type { BudgetNode, ExpectNode, PipelineNode } from '../../src/syntax/ast.js';
import { parse } from '../../src/syntax/parse.js';
import { parseClean, showStatement, where } from './helpers.js';

// `expect SHAPE` (a stage) and `budget METRIC <= LIMIT` (a statement): what they parse to, and bad forms.

describe('expect', () => {
  test('a stage anywhere in a pipeline, or alone on a line; its size as written', () => {
    const ast = parseClean('input 1x28x28\nconv 6 k5 | expect 6x24x24 | relu\nexpect 6x24x24\nflatten | expect 3456\n');
    expect(ast.statements.slice(1).map(showStatement)).toEqual([
      'conv #6 k:#5 | expect #6x#24x#24 | relu',
      'expect #6x#24x#24',
      'flatten | expect #3456',
    ]);
    const stage = (ast.statements[1] as PipelineNode).layers[1] as ExpectNode;
    expect(stage.kind).toBe('Expect');
    expect(where(stage.span)).toBe('2:13-2:27');
    expect(stage.dims.map((dim) => [dim.value, where(dim.span)])).toEqual([
      [6, '2:20-2:21'],
      [24, '2:22-2:24'],
      [24, '2:25-2:27'],
    ]);
  });

  test('inside a block, a group and a residual body; spaced sizes', () => {
    const ast = parseClean('def f(c) = conv c k3 p1 | expect 8 x 4 x 4\nresidual { relu | expect 8x4x4 } | (relu | expect 8x4x4)\n');
    expect(ast.statements.map(showStatement)).toEqual([
      "def f(c) = conv 'c' k:#3 p:#1 | expect #8x#4x#4",
      'residual{ relu | expect #8x#4x#4 } | ( relu | expect #8x#4x#4 )',
    ]);
  });

  test.each([
    ['expect', 'NN1001 1:7 Expected a shape after `expect`, such as `16x4x4` or `120`, but found the end of the file.'],
    ['relu | expect | relu', 'NN1001 1:15 Expected a shape after `expect`, such as `16x4x4` or `120`, but found `|`.'],
    ['relu | expect big', 'NN1001 1:15 Expected a shape after `expect`, such as `16x4x4` or `120`, but found `big`.'],
    ['expect 6x24x24 x2', 'NN1001 1:16 Expected an argument, `|` or the end of the line after the size `6x24x24` but found the repetition `x2`.'],
  ])('%s', (source, message) => {
    const { diagnostics } = parse(source);
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)).toEqual([message]);
  });

  test('`expect` is a reserved word: not a layer or block name', () => {
    expect(parse('expect(3) | relu').diagnostics[0]!.code).toBe('NN1001');
    expect(parse('model expect').diagnostics[0]!.message).toBe('Expected a model name after `model` but found the keyword `expect`.');
    // As part of a longer name it is an ordinary name.
    expect(parseClean('expected | expect_2').statements.map(showStatement)).toEqual(['expected | expect_2']);
  });
});

describe('budget', () => {
  test.each([
    ['budget params <= 50000', 'params', 50_000, '50000'],
    ['budget params <= 50k', 'params', 50_000, '50k'],
    ['budget trainable <= 1.1k', 'trainable', 1_100, '1.1k'],
    ['budget macs <= 1.5M', 'macs', 1_500_000, '1.5M'],
    ['budget memory <= 2G', 'memory', 2_000_000_000, '2G'],
    ['budget macs <= 0', 'macs', 0, '0'],
  ])('%s', (source, metric, value, text) => {
    const budget = parseClean(`${source}\n`).statements[0] as BudgetNode;
    expect(budget).toMatchObject({ kind: 'Budget', metric: { name: metric }, limit: { value, text } });
    expect(where(budget.span)).toBe(`1:1-1:${source.length + 1}`);
  });

  test.each([
    ['budget', 'NN1001 1:7 Expected what the budget limits (`params`, `trainable`, `macs` or `memory`) after `budget` but found the end of the file; a budget is written `budget params <= 50k`.'],
    ['budget params 50k', 'NN1001 1:15 Expected `<=` after `params` but found the number `50k`; a budget is written `budget params <= 50k`.'],
    ['budget params <=', 'NN1001 1:17 Expected the budget\'s limit after `<=`, a number such as `50000` or `50k`, but found the end of the file.'],
    ['budget params <= lots', 'NN1001 1:18 Expected the budget\'s limit after `<=`, a number such as `50000` or `50k`, but found `lots`.'],
    ['budget params <= 50k | relu', 'NN1001 1:22 Expected the end of the line after the number `50k` but found `|`.'],
    ['budget params < 50k', 'NN1002 1:15 Unrecognised character `<`; a budget is written `budget params <= 50k`.'],
    ['budget params <= 50K', 'NN1004 1:18 Malformed number `50K`: a number must not run into letters; put a space between them.'],
    ['dense 4k', 'NN1001 1:7 Expected an argument, `|` or the end of the line after `dense` but found the number `4k`.'],
  ])('%s', (source, message) => {
    const { diagnostics } = parse(source);
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)[0]).toBe(message);
  });

  test('a budget after a line that ends in `|` is read as a stage, and the message says why', () => {
    const { diagnostics } = parse('relu |\nbudget params <= 5\n');
    expect(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`)).toEqual([
      'NN1001 2:1 Expected a layer name after `|` but found the keyword `budget`; the line before ends in `|`, so this line continues its pipeline.',
    ]);
  });
});
