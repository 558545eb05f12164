import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { InputNode, LayerNode, ModelNode, PipelineNode, TrainNode } from '../../src/syntax/ast.js';
import { parse } from '../../src/syntax/parse.js';
import { layersOf, parseClean, showLayer, showStage, where, withoutSpans } from './helpers.js';

const readModel = (name: string): string => readFileSync(fileURLToPath(new URL(`../../models/${name}`, import.meta.url)), 'utf8');

describe('statements', () => {
  test('an empty file is an empty AST without diagnostics (the checker reports the missing input)', () => {
    expect(parse('')).toEqual({
      ast: { kind: 'File', span: { offset: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 }, statements: [], comments: [] },
      diagnostics: [],
    });
  });

  test.each([
    ['blank lines and comments only', '\n\n# nothing here\n   \n\t# still nothing\n'],
    ['CRLF blank lines', '\r\n\r\n'],
  ])('%s: no statements, no diagnostics', (_name, source) => {
    expect(parseClean(source).statements).toEqual([]);
  });

  test.each([
    ['model lenet_bn', { kind: 'Model', name: { kind: 'Ident', name: 'lenet_bn' } }],
    ['model my-net', { kind: 'Model', name: { kind: 'Ident', name: 'my-net' } }],
    ['input 784', { kind: 'Input', dims: [{ kind: 'Number', value: 784, text: '784' }] }],
    [
      'input 1x28x28',
      {
        kind: 'Input',
        dims: [
          { kind: 'Number', value: 1, text: '1' },
          { kind: 'Number', value: 28, text: '28' },
          { kind: 'Number', value: 28, text: '28' },
        ],
      },
    ],
    [
      'input 1 x 28 x 28',
      {
        kind: 'Input',
        dims: [
          { kind: 'Number', value: 1, text: '1' },
          { kind: 'Number', value: 28, text: '28' },
          { kind: 'Number', value: 28, text: '28' },
        ],
      },
    ],
    ['input -3', { kind: 'Input', dims: [{ kind: 'Number', value: -3, text: '-3' }] }],
    ['train', { kind: 'Train', options: [] }],
    [
      'train epochs=10 lr=1.0',
      {
        kind: 'Train',
        options: [
          { kind: 'KeyValueArg', key: { kind: 'Ident', name: 'epochs' }, value: { kind: 'Number', value: 10, text: '10' } },
          { kind: 'KeyValueArg', key: { kind: 'Ident', name: 'lr' }, value: { kind: 'Number', value: 1, text: '1.0' } },
        ],
      },
    ],
    [
      'train dataset = fashion-mnist',
      {
        kind: 'Train',
        options: [{ kind: 'KeyValueArg', key: { kind: 'Ident', name: 'dataset' }, value: { kind: 'Ident', name: 'fashion-mnist' } }],
      },
    ],
  ])('%j', (source, expected) => {
    expect(withoutSpans(parseClean(source).statements)).toEqual([expected]);
  });

  test('a layer pipeline', () => {
    const [pipeline] = parseClean('conv 6 k5 | bn | sigmoid | avgpool 2').statements as PipelineNode[];
    expect(pipeline!.kind).toBe('Pipeline');
    expect(pipeline!.layers.map(showStage)).toEqual(['conv #6 k:#5', 'bn', 'sigmoid', 'avgpool #2']);
  });

  test('each line is its own statement; a line that ends in `|` continues over blank and comment lines', () => {
    const ast = parseClean('conv 6 k5 |   # first\n\n# between\n  bn |\r\n\tsigmoid\nflatten\n');
    expect(ast.statements.map((s) => (s as PipelineNode).layers.map((l) => (l as LayerNode).name.name))).toEqual([
      ['conv', 'bn', 'sigmoid'],
      ['flatten'],
    ]);
  });

  test('the whole lenet-bn.net', () => {
    const ast = parseClean(readModel('lenet-bn.net'));
    expect(ast.statements.map((s) => s.kind)).toEqual(['Model', 'Input', 'Train', ...Array(6).fill('Pipeline')]);
    expect((ast.statements[0] as ModelNode).name.name).toBe('lenet_bn');
    expect((ast.statements[1] as InputNode).dims.map((d) => d.value)).toEqual([1, 28, 28]);
    expect((ast.statements[2] as TrainNode).options.map((o) => `${o.key.name}=${o.value.kind === 'Ident' ? o.value.name : o.value.kind === 'Number' ? o.value.text : '?'}`)).toEqual([
      'dataset=fashion-mnist',
      'epochs=10',
      'batch=256',
      'lr=1.0',
      'optimizer=sgd',
    ]);
    expect(layersOf(ast).map(showLayer)).toEqual([
      'conv #6 k:#5',
      'bn',
      'sigmoid',
      'avgpool #2',
      'conv #16 k:#5',
      'bn',
      'sigmoid',
      'avgpool #2',
      'flatten',
      'dense #120',
      'bn',
      'sigmoid',
      'dense #84',
      'bn',
      'sigmoid',
      'dense #10',
    ]);
  });

  test.each(['lenet-bn.net', 'lenet-bn-scratch.net', 'lenet.net', 'mlp-bn.net'])('models/%s parses without diagnostics', (name) => {
    expect(parse(readModel(name)).diagnostics).toEqual([]);
  });
});

describe('argument forms', () => {
  test.each([
    ['conv 6', 'conv #6'],
    ['conv 6 k5', 'conv #6 k:#5'],
    ['conv 6 k3x5', 'conv #6 k:#3x#5'],
    ['conv 6 s2 p1', 'conv #6 s:#2 p:#1'],
    ['conv 6 p-1', 'conv #6 p:#-1'],
    ['conv 6 kernel=3x5', "conv #6 kernel=#3x#5"],
    ['conv 6 kernel=5 stride=2', 'conv #6 kernel=#5 stride=#2'],
    ['conv 6 p=same', "conv #6 p='same'"],
    ['conv 6 bias=false', "conv #6 bias='false'"],
    ['bn impl=scratch', "bn impl='scratch'"],
    ['bn eps=1e-5 momentum=0.9', 'bn eps=#0.00001 momentum=#0.9'],
    ['bn momentum = 0.9', 'bn momentum=#0.9'],
    ['dropout 0.5', 'dropout #0.5'],
    ['dropout .5', 'dropout #0.5'],
    ['dense -3', 'dense #-3'],
    ['avgpool 2x2', 'avgpool #2x#2'],
    ['conv 6 kernel=k5', "conv #6 kernel='k5'"],
    ['x 3x5x7x9', 'x #3x#5x#7x#9'],
    ['flatten', 'flatten'],
  ])('%j', (source, expected) => {
    expect(layersOf(parseClean(source)).map(showLayer)).toEqual([expected]);
  });

  test('which letters and keys exist is the checker\'s business: any letter and key parse', () => {
    expect(layersOf(parseClean('frobnicate 3 z9 q=w')).map(showLayer)).toEqual(["frobnicate #3 z:#9 q='w'"]);
  });

  test('a number keeps its text as written', () => {
    const [layer] = layersOf(parseClean('bn eps=1E-05'));
    const arg = layer!.args[0]!;
    expect(arg.kind === 'KeyValueArg' && arg.value).toMatchObject({ kind: 'Number', value: 1e-5, text: '1E-05' });
  });
});

describe('spans: 0-based offsets, 1-based lines and columns, exclusive ends', () => {
  const source = 'model m\ninput 1x28x28\r\n\nconv 6 k3x5 p=same |\n  bn';
  const ast = parseClean(source);
  const [model, input, pipeline] = ast.statements as [ModelNode, InputNode, PipelineNode];
  const [conv, bn] = pipeline.layers as [LayerNode, LayerNode];
  const [six, short, pad] = conv.args;

  test.each([
    ['the file', () => ast.span, '1:1-5:5'],
    ['model statement', () => model.span, '1:1-1:8'],
    ['model name', () => model.name.span, '1:7-1:8'],
    ['input statement', () => input.span, '2:1-2:14'],
    ['first input dim', () => input.dims[0]!.span, '2:7-2:8'],
    ['second input dim', () => input.dims[1]!.span, '2:9-2:11'],
    ['third input dim', () => input.dims[2]!.span, '2:12-2:14'],
    ['pipeline over two lines', () => pipeline.span, '4:1-5:5'],
    ['conv layer', () => conv.span, '4:1-4:19'],
    ['conv name', () => conv.name.span, '4:1-4:5'],
    ['positional 6', () => six!.span, '4:6-4:7'],
    ['short option k3x5', () => short!.span, '4:8-4:12'],
    ['its dims 3x5', () => (short!.kind === 'ShortArg' ? short!.value.span : short!.span), '4:9-4:12'],
    ['key=value', () => pad!.span, '4:13-4:19'],
    ['its key', () => (pad!.kind === 'KeyValueArg' ? pad!.key.span : pad!.span), '4:13-4:14'],
    ['its value', () => (pad!.kind === 'KeyValueArg' ? pad!.value.span : pad!.span), '4:15-4:19'],
    ['bn on the continuation line', () => bn.span, '5:3-5:5'],
  ])('%s at %s', (_name, span, expected) => {
    expect(where(span())).toBe(expected);
  });

  test('offsets match the text each node was read from', () => {
    expect(source.slice(conv.span.offset, conv.span.end)).toBe('conv 6 k3x5 p=same');
    expect(source.slice(input.dims[2]!.span.offset, input.dims[2]!.span.end)).toBe('28');
    expect(source.slice(bn.span.offset, bn.span.end)).toBe('bn');
    expect(ast.span).toMatchObject({ offset: 0, end: source.length });
  });

  test('spaced dimensions get a span per number', () => {
    const [spaced] = parseClean('input 1 x 28 x 28').statements as [InputNode];
    expect(spaced.dims.map((d) => where(d.span))).toEqual(['1:7-1:8', '1:11-1:13', '1:16-1:18']);
  });

  test('tabs count as one column', () => {
    const [layer] = layersOf(parseClean('\tconv\t6'));
    expect(where(layer!.span)).toBe('1:2-1:8');
  });
});

describe('big files are parsed in parts with the same result', () => {
  test('statements continued across part boundaries keep all their layers and positions', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`conv ${i + 1} k3 |`, `  # comment ${i}`, '  bn | relu');
    const ast = parseClean(lines.join('\n'));
    expect(ast.statements).toHaveLength(3000);
    const last = ast.statements[2999] as PipelineNode;
    expect(last.layers.map(showStage)).toEqual(['conv #3000 k:#3', 'bn', 'relu']);
    expect(where(last.span)).toBe('8998:1-9000:12');
  });

  test('diagnostics far into a big file have the right line and column', () => {
    const source = `${'dense 10 | relu\n'.repeat(20_000)}dense 10 @ | relu\n`;
    const { diagnostics } = parse(source);
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.span.offset])).toEqual([
      ['NN1002', 20_001, 10, source.indexOf('@')],
    ]);
  });
});

describe('comments', () => {
  test('are kept in source order with their spans and text, so that the source can be printed back', () => {
    const source = '# LeNet\nmodel m  # name\ninput 784\ndense 10 | softmax # out\n';
    const { ast } = parse(source);
    expect(ast.comments.map((c) => [c.text, c.span.line, c.span.column, source.slice(c.span.offset, c.span.end)])).toEqual([
      ['# LeNet', 1, 1, '# LeNet'],
      ['# name', 2, 10, '# name'],
      ['# out', 4, 20, '# out'],
    ]);
  });

  test('are kept past the first part of a big file and in lines with syntax errors', () => {
    const filler = 'relu\n'.repeat(2000);
    const source = `input 784\n${filler}dense | # broken\n# last`;
    const { ast, diagnostics } = parse(source);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(ast.comments.map((c) => [c.text, c.span.line, source.slice(c.span.offset, c.span.end)])).toEqual([
      ['# broken', 2002, '# broken'],
      ['# last', 2003, '# last'],
    ]);
  });
});
