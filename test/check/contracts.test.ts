import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkSource, expectDiagnostics, onlyDiagnostic } from './harness.js';

// `expect` and `budget` in the checker: a contract that holds adds nothing; one that fails is an error at its own
// line that names what was found.

const lenetBn = readFileSync(new URL('../../models/lenet-bn.net', import.meta.url), 'utf8');
const contract = readFileSync(new URL('../../models/lenet-bn-contract.net', import.meta.url), 'utf8');

describe('expect', () => {
  test('expectations that hold change nothing: the same layers, shapes and counts as without them', () => {
    const withExpect = checkSource(contract).model!;
    const plain = checkSource(lenetBn).model!;
    const rows = (m: typeof plain) => m.layers.map((l) => [l.op, l.variant, l.outputShape, l.params, l.macs]);
    expect(rows(withExpect)).toEqual(rows(plain));
    expect(withExpect.totals).toEqual(plain.totals);
    expect(withExpect.cost).toEqual(plain.cost);
  });

  test('a wrong expect is an error at its own position naming both shapes', () => {
    const source = 'input 1x28x28\nconv 16 k5 | avgpool 2 | expect 16x5x5\nflatten | dense 10\n';
    const error = onlyDiagnostic(source);
    expect(error).toMatchObject({ code: 'NN3008', severity: 'error', span: { line: 2, column: 26, endColumn: 39 } });
    expect(error.message).toBe('`expect 16x5x5` but the shape here is `16x12x12`; change the layers before it, or write `expect 16x12x12`.');
    // A model with a failed expectation is not a model.
    expect(checkSource(source).model).toBeNull();
  });

  test.each([
    // Alone on a line, the first stage: the input shape.
    ['input 784\nexpect 784\ndense 10\n', []],
    ['input 784\nexpect 1x28x28\ndense 10\n', [{ code: 'NN3008', line: 2, column: 1 }]],
    // Ranks differ.
    ['input 1x28x28\nflatten | expect 16x7x7 | dense 10\n', [{ code: 'NN3008', line: 2, column: 11 }]],
    // At the end of the pipeline.
    ['input 784\ndense 10 | expect 12\n', [{ code: 'NN3008', line: 2, column: 12 }]],
    // Inside a group, a residual body and a repetition (every copy sees the same shape).
    ['input 8x4x4\n(conv 8 k3 p1 | expect 8x4x4) x3 | residual { conv 8 k3 p1 | expect 8x4x4 } | flatten | dense 10\n', []],
    // After an earlier error the shape is unknown: no second error from the expectation.
    ['input 784\nconv 6 k5 | expect 6x24x24\n', [{ code: 'NN3002', line: 2, column: 1 }]],
  ])('%j', (source, expected) => {
    expectDiagnostics(source).toEqual(expected);
  });

  test('inside a block: reported at the use with the values, the expect in the definition related', () => {
    const source = 'input 1x28x28\ndef cbs(c) = conv c k5 | avgpool 2 | expect 6x12x12\ncbs(6) | cbs(16)\nflatten | dense 10\n';
    const error = onlyDiagnostic(source);
    expect(error).toMatchObject({ code: 'NN3008', span: { line: 3, column: 10 } });
    expect(error.message).toBe(
      '`expect 6x12x12` but the shape here is `16x4x4` (in block `cbs` with c=16); change the layers before it, or write `expect 16x4x4`.',
    );
    expect(error.related).toMatchObject([{ message: 'Here, in the definition of `cbs`.', span: { line: 2, column: 38 } }]);
  });

  test('a block that is never used is not judged by its expectations', () => {
    expectDiagnostics('input 784\ndef f() = dense 5 | expect 6\ndense 10\n').toEqual([{ code: 'NN2029', line: 2, column: 5 }]);
  });
});

describe('budget', () => {
  test('budgets that hold check clean', () => {
    expect(checkSource(contract).diagnostics).toEqual([]);
  });

  test('an exceeded budget is an error at the budget line naming the count with thousands separators', () => {
    const source = lenetBn.replace('input 1x28x28', 'input 1x28x28\nbudget trainable <= 40k');
    const error = onlyDiagnostic(source);
    expect(error).toMatchObject({ code: 'NN6003', severity: 'error', span: { line: 5, column: 1, endColumn: 24 } });
    expect(error.message).toBe(
      '44,878 trainable parameters exceed the budget of 40,000 (by 4,878); the most, 30,840, are in `dense` at line 11.',
    );
    expect(error.related).toMatchObject([{ message: '`dense` is here.', span: { line: 11, column: 1 } }]);
    expect(checkSource(source).model).toBeNull();
  });

  test.each([
    ['params <= 45329', '45,330 parameters (44,878 trainable, 452 non-trainable) exceed the budget of 45,329 (by 1); the most, 30,840, are in `dense` at line 11.'],
    ['params <= 45330', null],
    ['macs <= 250k', '281,640 MACs exceed the budget of 250,000 (by 31,640); the most, 153,600, are in `conv` at line 9.'],
    ['macs <= 281640', null],
    ['memory <= 15k', '15,438 floats of activation memory exceed the budget of 15,000 (by 438); the most, 3,456, are in `conv` at line 8.'],
    ['memory <= 0.1M', null],
  ])('budget %s', (budget, message) => {
    const { diagnostics } = checkSource(`budget ${budget}\n${lenetBn}`);
    expect(diagnostics.map((d) => d.message)).toEqual(message === null ? [] : [message]);
  });

  test.each([
    ['budget flops <= 1M', [{ code: 'NN2032', line: 1, column: 8 }], 'Unknown budget `flops`? A budget limits `params`, `trainable`, `macs` or `memory`.'],
    ['budget parms <= 1M', [{ code: 'NN2032', line: 1, column: 8 }], 'Unknown budget `parms`; did you mean `params`? A budget limits `params`, `trainable`, `macs` or `memory`.'],
    ['budget macs <= -5', [{ code: 'NN2011', line: 1, column: 16 }], 'A budget\'s limit is a count of at least 0, not `-5`.'],
    ['budget macs <= 2.5', [{ code: 'NN2015', line: 1, column: 16 }], 'A budget\'s limit is a whole count, not `2.5`; write `2`.'],
    ['budget macs <= 1M\nbudget macs <= 2M', [{ code: 'NN2007', line: 2, column: 1 }], '`budget macs` is given twice; keep the one on line 1 and remove this one.'],
  ])('%j', (budget, expected, message) => {
    const source = `${budget}\ninput 784\ndense 10\n`;
    expectDiagnostics(source).toEqual(expected);
    expect(checkSource(source).diagnostics[0]!.message).toBe(message);
  });

  test('budgets are not judged while the model has errors (its counts are unknown)', () => {
    expectDiagnostics('budget params <= 1\ninput 784\nconv 6 k5\n').toEqual([{ code: 'NN3002', line: 3, column: 1 }]);
  });
});
