/**
 * Issue 15's column and name edges: a byte-order mark, tabs, names in other scripts, block names that look like
 * options. Columns count characters as people see them; a code frame prints tabs as blanks and puts the caret
 * under the character the span names.
 */
import { describe, expect, test } from 'vitest';
import { formatDiagnosticsText } from '../../src/diagnostics/format.js';
import { analyze } from '../../src/frontend/analyze.js';
import { parse } from '../../src/syntax/parse.js';

const codes = (source: string): [string, number, number][] =>
  analyze(source, 'x.net').diagnostics.map((d) => [d.code, d.span.line, d.span.column]);

describe('columns', () => {
  test('a UTF-8 byte-order mark does not move the columns of line 1', () => {
    const plain = codes('bogus 3\ninput 784\ndense 10\n');
    expect(plain[0]).toEqual(['NN2001', 1, 1]);
    expect(codes('\uFEFFbogus 3\ninput 784\ndense 10\n')[0]).toEqual(['NN2001', 1, 1]);
    expect(codes('\uFEFFinput 784\ndense 10 | bogus\n')).toEqual([['NN2001', 2, 12]]);
    const frame = formatDiagnosticsText('x.net', '\uFEFFbogus 3\ninput 784\ndense 10\n', analyze('\uFEFFbogus 3\ninput 784\ndense 10\n', 'x.net').diagnostics);
    expect(frame).toContain('  1 | bogus 3\n    | ^~~~~\n');
  });

  test('a tab is one column, and the code frame prints it as blanks with the caret under the name', () => {
    const source = 'input 784\n\tdense 10 |\tbogus\n';
    expect(codes(source)).toEqual([['NN2001', 2, 13]]);
    const frame = formatDiagnosticsText('x.net', source, analyze(source, 'x.net').diagnostics);
    expect(frame).toContain('  2 |     dense 10 |  bogus\n    |                 ^~~~~\n');
    expect(frame).not.toContain('\t');
  });
});

describe('names', () => {
  test('a name in another script is one name: `dénse` is an unknown layer with a suggestion, not `d` and junk', () => {
    const { diagnostics } = analyze('input 784\ndénse 10\n', 'x.net');
    expect(diagnostics.map((d) => [d.code, d.span.column, d.span.endColumn, d.message])).toEqual([
      ['NN2001', 1, 6, 'Unknown layer `dénse`; did you mean `dense`?'],
    ]);
    expect(parse('def größe(c) = dense c\ninput 784\ngröße(10)\n').diagnostics).toEqual([]);
    expect(analyze('input 784\ndef слой = dense 10\nслой()\n', 'x.net').diagnostics).toEqual([]);
  });

  test('symbols stay unrecognised characters: `28×28` still says to write the letter x', () => {
    expect(analyze('input 28×28\n', 'x.net').diagnostics[0]!.message).toBe(
      'Unrecognised character `×`; write sizes with the letter `x`, as in `3x5`.',
    );
  });

  test('blocks may be named like options: `def b1`, `def s2(c)` and their uses', () => {
    const source = 'input 1x28x28\ndef b1() = conv 6 k5 | relu\ndef s2(c) = conv c k3 p1 | relu\nb1() | s2(8) | flatten | dense 10\n';
    const result = analyze(source, 'x.net');
    expect(result.diagnostics).toEqual([]);
    expect(result.model!.layers.map((l) => l.op)).toEqual(['conv', 'relu', 'conv', 'relu', 'flatten', 'dense']);
    // Options keep their meaning everywhere else.
    expect(analyze('input 1x28x28\nconv 6 k5 s1 | flatten | dense 10\n', 'x.net').diagnostics).toEqual([]);
  });
});
