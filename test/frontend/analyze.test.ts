import { expect, test } from 'vitest';
import { analyze } from '../../src/frontend/index.js';

const source = `# LeNet with blocks
model lenet
input 1x28x28
def cbs(c, k=5) = conv c k=k | bn | sigmoid  # conv, bn, sigmoid
cbs(6) | avgpool 2
cbs(16) | avgpool 2
flatten | dense 120 | dense 10
`;
const at = (text: string, from = 0): number => {
  const offset = source.indexOf(text, from);
  if (offset < 0) throw new Error(`no ${text}`);
  return offset;
};

test('a clean file gives the model, no diagnostics and every comment with its span', () => {
  const analysis = analyze(source, 'models/lenet.net');
  expect(analysis).toMatchObject({ file: 'models/lenet.net', source, errors: 0, warnings: 0, diagnostics: [] });
  expect(analysis.model!.name).toBe('lenet');
  expect(analysis.model!.layers.at(-1)!.outputShape).toEqual([10]);
  expect(analysis.ast.comments.map((c) => [c.text, c.span.line, c.span.column])).toEqual([
    ['# LeNet with blocks', 1, 1],
    ['# conv, bn, sigmoid', 4, 46],
  ]);
});

test('a file with errors gives no model and the diagnostics of both phases, in the CLI wording', () => {
  const analysis = analyze('input 1x28x28\nconv 6 k5 )\nbogus 3\n', 'bad.net');
  expect(analysis.model).toBeNull();
  expect(analysis.diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([
    ['NN1007', 2, 11],
    ['NN2001', 3, 1],
  ]);
  expect(analysis.diagnostics[0]!.message).toBe('`)` closes nothing: no `(` before it is still open; delete it.');
  expect(analysis.errors).toBe(2);
});

test('more problems than the cap: the first 200 by position and one NN1005, while errors counts them all', () => {
  const analysis = analyze(`input 8\n${'bogus 3\n'.repeat(250)}`, 'many.net');
  expect(analysis.diagnostics).toHaveLength(201);
  expect(analysis.diagnostics[200]).toMatchObject({ code: 'NN1005', message: '50 more problems are not shown; fix these first.' });
  expect(analysis.errors).toBe(250);
});

test('nodeAt and pathAt find the innermost node and its ancestors', () => {
  const { index } = analyze(source, 'lenet.net');
  const offset = at('120');
  expect(index.nodeAt(offset)).toMatchObject({ kind: 'Number', value: 120 });
  expect(index.pathAt(offset).map((node) => node.kind)).toEqual(['Pipeline', 'Layer', 'PositionalArg', 'Number']);
  expect(index.nodeAt(at('# conv'))).toMatchObject({ kind: 'Comment', text: '# conv, bn, sigmoid' });
  expect(index.nodeAt(source.length)).toBeNull();
});

test('shapesAt gives the checked input and output of the stage at a position', () => {
  const { index } = analyze(source, 'lenet.net');
  expect(index.shapesAt(at('dense 120'))).toMatchObject([{ input: [256], output: [120] }]);
  // A block use: from its first layer's input to its last layer's output.
  expect(index.shapesAt(at('cbs(16)'))).toMatchObject([{ input: [6, 12, 12], output: [16, 8, 8], span: { line: 6, column: 1 } }]);
  // A layer inside the block body: one entry per use, each with its own shapes.
  expect(index.shapesAt(at('bn'))).toEqual([
    expect.objectContaining({ input: [6, 24, 24], output: [6, 24, 24] }),
    expect.objectContaining({ input: [16, 8, 8], output: [16, 8, 8] }),
  ]);
  expect(index.layersAt(at('bn'))).toHaveLength(2);
  expect(analyze('input 8\nconv 6\n', 'x.net').index.shapesAt(9)).toEqual([]);
});

test('blocks: definitions, parameters and uses; blockAt from a use or from the definition', () => {
  const { index } = analyze(source, 'lenet.net');
  const block = index.blocks.get('cbs')!;
  expect(block.def.span.line).toBe(4);
  expect(block.params.map((p) => [p.name.name, p.default?.kind ?? null])).toEqual([
    ['c', null],
    ['k', 'Number'],
  ]);
  expect(block.uses.map((use) => [use.span.line, use.span.column])).toEqual([
    [5, 1],
    [6, 1],
  ]);
  expect(index.blockAt(at('cbs(6)') + 1)).toBe(block);
  expect(index.blockAt(at('cbs('))).toBe(block);
  expect(index.blockAt(at('dense'))).toBeNull();
  expect(index.blockAt(at('c k=k'))).toBeNull();
});
