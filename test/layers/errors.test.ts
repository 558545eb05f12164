import { describe, expect, test } from 'vitest';
import { checkSource, expectDiagnostics, onlyDiagnostic } from '../check/harness.js';

// Mistakes with the layer kinds leakyrelu, gelu, globalavgpool, globalmaxpool and layernorm: each reported through
// the existing codes, at the argument or layer, with the fix. Files end in `dense 10` so NN3101 stays quiet.

type Expected = { code: string; line: number; column: number }[];

describe('located diagnostics', () => {
  test.each<[string, string, Expected]>([
    ['a negative slope', 'input 784\nleakyrelu -0.5 | dense 10\n', [{ code: 'NN2011', line: 2, column: 11 }]],
    ['a word for alpha', 'input 784\nleakyrelu alpha=big | dense 10\n', [{ code: 'NN2004', line: 2, column: 11 }]],
    ['two slopes', 'input 784\nleakyrelu 0.1 0.2 | dense 10\n', [{ code: 'NN2009', line: 2, column: 15 }]],
    ['alpha twice', 'input 784\nleakyrelu 0.1 alpha=0.2 | dense 10\n', [{ code: 'NN2003', line: 2, column: 15 }]],
    ['an argument on gelu (only the exact form is offered)', 'input 784\ngelu approximate=tanh | dense 10\n', [{ code: 'NN2002', line: 2, column: 6 }]],
    ['an argument on a global pool', 'input 1x28x28\nglobalavgpool 2 | dense 10\n', [{ code: 'NN2009', line: 2, column: 15 }]],
    ['a global pool on a flat input', 'input 1x28x28\nflatten | globalmaxpool | dense 10\n', [{ code: 'NN3002', line: 2, column: 11 }]],
    // A global pool already gives a flat vector (PyTorch needs its Flatten after AdaptiveAvgPool2d, netc does not).
    ['a global pool, then flatten: the flatten changes nothing (NN3106, a warning)', 'input 1x28x28\nglobalavgpool | flatten | dense 10\n', [{ code: 'NN3106', line: 2, column: 17 }]],
    ['eps of 0', 'input 784\nlayernorm eps=0 | dense 10\n', [{ code: 'NN2011', line: 2, column: 11 }]],
    ['a word for eps', 'input 784\nlayernorm eps=small | dense 10\n', [{ code: 'NN2004', line: 2, column: 11 }]],
    ['elementwise_affine, which netc does not have', 'input 784\nlayernorm elementwise_affine=false | dense 10\n', [{ code: 'NN2002', line: 2, column: 11 }]],
    ['a positional on layernorm', 'input 784\nlayernorm 784 | dense 10\n', [{ code: 'NN2009', line: 2, column: 11 }]],
    ['leakyrelu twice', 'input 784\nleakyrelu | leakyrelu 0.2 | dense 10\n', [{ code: 'NN3103', line: 2, column: 13 }]],
    ['gelu twice', 'input 784\ngelu | gelu | dense 10\n', [{ code: 'NN3103', line: 2, column: 8 }]],
    ['gelu after relu: two kinds, no warning', 'input 784\nrelu | gelu | dense 10\n', []],
  ])('%s', (_name, source, expected) => {
    expectDiagnostics(source).toEqual(expected);
  });
});

describe('messages', () => {
  test('a global pool after flatten: it replaces flatten, and a square count is a declared image', () => {
    expect(onlyDiagnostic('input 1x28x28\nflatten | globalavgpool | dense 10\n').message).toBe(
      'globalavgpool expects a C x H x W input but receives 784; it already gives a flat C vector, so put it where ' +
        'the map is C x H x W in place of `flatten`, or declare the input as C x H x W (`input 1x28x28`).',
    );
    expect(onlyDiagnostic('input 10\nglobalmaxpool | dense 10\n').message).toBe(
      'globalmaxpool expects a C x H x W input but receives 10; it already gives a flat C vector, so put it where ' +
        'the map is C x H x W in place of `flatten`, or declare the input as C x H x W.',
    );
  });

  test('values out of range name the bound', () => {
    expect(onlyDiagnostic('input 784\nleakyrelu -1 | dense 10\n').message).toBe('`alpha` of `leakyrelu` must be at least 0, not -1.');
    expect(onlyDiagnostic('input 784\nlayernorm eps=0 | dense 10\n').message).toBe('`eps` of `layernorm` must be above 0, not 0.');
  });

  test('PyTorch’s and Keras’s argument names point to netc’s', () => {
    expect(onlyDiagnostic('input 784\nleakyrelu negative_slope=0.2 | dense 10\n').message).toBe(
      '`leakyrelu` has no argument `negative_slope`; did you mean `alpha`?',
    );
    expect(onlyDiagnostic('input 784\nlayernorm epsilon=1e-3 | dense 10\n').message).toBe('`layernorm` has no argument `epsilon`; did you mean `eps`?');
  });

  test('a shape error after a global pool is still found (the pool gives a known flat shape)', () => {
    expectDiagnostics('input 3x8x8\nglobalavgpool | conv 4 k3\n').toEqual([{ code: 'NN3002', line: 2, column: 17 }]);
  });
});

describe('did you mean: misspellings from the registry, names from other frameworks from its hints', () => {
  test.each([
    ['gleu', 'gelu'],
    ['leakyrelu', null],
    ['leakyrel', 'leakyrelu'],
    ['leaky_relu', 'leakyrelu'],
    ['lrelu', 'leakyrelu'],
    ['layernom', 'layernorm'],
    ['layer_norm', 'layernorm'],
    ['layernormalization', 'layernorm'],
    ['globalavgpol', 'globalavgpool'],
    ['adaptiveavgpool2d', 'globalavgpool'],
    ['globalaveragepooling2d', 'globalavgpool'],
    ['adaptivemaxpool2d', 'globalmaxpool'],
    ['globalmaxpooling2d', 'globalmaxpool'],
  ])('%s -> %s', (written, meant) => {
    const { diagnostics } = checkSource(`input 1x8x8\n${written}\nflatten | dense 10\n`);
    if (meant === null) {
      expect(diagnostics).toEqual([]);
      return;
    }
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([['NN2001', 2, 1]]);
    expect(diagnostics[0]!.message).toBe(`Unknown layer \`${written}\`; did you mean \`${meant}\`?`);
  });
});
