import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { pyCommentText, pyFloat, pyString, pyTuple } from '../../src/export/pythonText.js';
import { pytorchModelSource } from '../../src/export/pytorchModel.js';
import { pytorchTrainSource } from '../../src/export/pytorchTrain.js';
import { checked, testPython } from './helpers.js';

// Text from a model file reaches generated Python only as escaped literals or scrubbed comments. Python itself
// judges: each literal must evaluate to exactly the text, and no comment or docstring may run code.

const hostile = [
  "it's",
  'back\\slash',
  "'''; import os; os.system('echo pwned') #",
  '"""\nimport os\n"""',
  'line\nbreak\r\ttab',
  'nul\u0000bell\u0007del\u007f',
  'unicode é ü 漢字 \u2028 \u{1f600}',
  '\ud800 lone surrogate',
];

describe('pyString', () => {
  test('Python reads every literal back as the exact text', () => {
    const python = testPython();
    // Lone surrogates are not valid Unicode; they round-trip as their code point escape.
    const script = `import sys, json\nvalues = [${hostile.map(pyString).join(', ')}]\nsys.stdout.write(json.dumps(values))`;
    const result = spawnSync(python.path, ['-c', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(hostile);
  });

  test.each([
    ['plain', "'plain'"],
    ["it's", "'it\\'s'"],
    ['a\nb', "'a\\nb'"],
    ['é', "'\\xe9'"],
    ['\u{1f600}', "'\\U0001f600'"],
  ])('%j -> %s', (text, literal) => {
    expect(pyString(text)).toBe(literal);
  });
});

test('pyCommentText leaves nothing that ends a comment or a docstring', () => {
  for (const text of hostile) {
    const clean = pyCommentText(text);
    expect(clean).not.toMatch(/[\n\r\\"\u0000-\u001f\u007f-\uffff]/);
  }
  expect(pyCommentText('x'.repeat(200), 20)).toBe(`${'x'.repeat(17)}...`);
});

test.each([
  [0.1, '0.1'],
  [1 - 0.9, '0.1'],
  [1e-5, '0.00001'],
  [3, '3.0'],
])('pyFloat(%s) is %s', (value, text) => {
  expect(pyFloat(value)).toBe(text);
});

test('pyTuple writes one-element tuples with a comma', () => {
  expect(pyTuple([3])).toBe('(3,)');
  expect(pyTuple([2, 5])).toBe('(2, 5)');
});

test('a hostile source path in the docstrings and comments of model.py and train.py stays inert', () => {
  const model = checked('m.net', 'model m\ninput 1x4x4\nflatten\ndense 2\n');
  const source = hostile.join(' ');
  const modelPy = pytorchModelSource(model, { source, netcVersion: '"""; raise SystemExit(3) #' });
  const trainPy = pytorchTrainSource({ epochs: 1, batch: 2, lr: 0.1, optimizer: 'sgd', momentum: 0.9, seed: null, dataset: "x'); import os #" }, "m'\n");
  const python = testPython();
  for (const text of [modelPy, trainPy]) {
    // Compiled, not run: a syntax error or a broken-out statement would show here as an error or an extra name.
    const script = 'import ast, sys\ntree = ast.parse(sys.stdin.read())\nprint(sorted({type(n).__name__ for n in tree.body}))';
    const result = spawnSync(python.path, ['-c', script], { input: text, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.replace(/'/g, '"')) as string[]).toEqual(
      text === modelPy ? ['Assign', 'ClassDef', 'Expr', 'Import', 'ImportFrom'] : ['Assign', 'ClassDef', 'Expr', 'FunctionDef', 'If', 'Import', 'ImportFrom', 'Try'],
    );
  }
  expect(trainPy).toContain(`'dataset': 'x\\'); import os #',`);
  expect(trainPy).toContain(`'model': 'm\\'\\n',`);
});
