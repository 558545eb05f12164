import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/Diagnostic.js';
import { analyze } from '../../src/frontend/analyze.js';

/** `source` with the edits of a diagnostic's fix applied (from the last edit back, so offsets stay right). */
function applyFix(source: string, d: Diagnostic): string {
  const edits = [...d.fix!.edits].sort((a, b) => b.span.offset - a.span.offset);
  return edits.reduce((text, e) => text.slice(0, e.span.offset) + e.text + text.slice(e.span.end), source);
}

const I = 'input 1x28x28\n';

// Every fix a message proposes as one edit is carried as data, and applying it removes that problem.
describe('fixes carried by diagnostics', () => {
  test.each([
    ['a misspelt layer', `${I}conv 6 k5 | sigmod\nflatten | dense 10\n`, 'NN2001', 'Replace `sigmod` with `sigmoid`', `${I}conv 6 k5 | sigmoid\nflatten | dense 10\n`],
    ['a name from another framework', `${I}conv 6 k5 | batchnorm2d\nflatten | dense 10\n`, 'NN2001', 'Replace `batchnorm2d` with `bn`', `${I}conv 6 k5 | bn\nflatten | dense 10\n`],
    ['a misspelt block', `${I}def cbs(c) = conv c k5 | relu\ncbz(6)\nflatten | dense 10\n`, 'NN2017', 'Replace `cbz` with `cbs`', `${I}def cbs(c) = conv c k5 | relu\ncbs(6)\nflatten | dense 10\n`],
    ['a dense layer on a map', `${I}conv 6 k5 | relu\ndense 10\n`, 'NN3001', 'Insert `flatten` before `dense`', `${I}conv 6 k5 | relu\nflatten | dense 10\n`],
    ['a residual body that changes the shape', `${I}residual { conv 8 k3 s2 p1 }\nflatten | dense 10\n`, 'NN3005', 'Write `residual proj`', `${I}residual proj { conv 8 k3 s2 p1 }\nflatten | dense 10\n`],
    ['a misspelt argument', `${I}conv 6 kernal=5\nflatten | dense 10\n`, 'NN2002', 'Replace `kernal` with `kernel`', `${I}conv 6 kernel=5\nflatten | dense 10\n`],
    ['a misspelt value', `${I}conv 6 k5 | bn impl=scrach\nflatten | dense 10\n`, 'NN2016', 'Replace `scrach` with `scratch`', `${I}conv 6 k5 | bn impl=scratch\nflatten | dense 10\n`],
    ['a misspelt train key', `${I}train optimiser=sgd\nflatten | dense 10\n`, 'NN2005', 'Replace `optimiser` with `optimizer`', `${I}train optimizer=sgd\nflatten | dense 10\n`],
  ])('%s', (_, source, code, title, fixed) => {
    const d = analyze(source, 'm.net').diagnostics.find((x) => x.code === code);
    expect(d?.fix?.title).toBe(title);
    expect(applyFix(source, d!)).toBe(fixed);
    expect(analyze(fixed, 'm.net').diagnostics.filter((x) => x.code === code)).toEqual([]);
  });

  test('no fix where the message proposes none, or the problem is reported at a block use', () => {
    const unknown = analyze(`${I}qqqqqq\n`, 'm.net').diagnostics.find((x) => x.code === 'NN2001');
    expect(unknown?.fix).toBeUndefined();
    const inBlock = analyze(`${I}def d(n) = dense n\nconv 6 k5 | d(10)\n`, 'm.net').diagnostics.find((x) => x.code === 'NN3001');
    expect(inBlock).toBeDefined();
    expect(inBlock?.fix).toBeUndefined();
  });
});
