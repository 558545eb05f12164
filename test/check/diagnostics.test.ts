import { describe, expect, test } from 'vitest';
import { checkParsed, checkSource, expectDiagnostics, onlyDiagnostic } from './harness.js';

// Every file below is valid syntax; each row names the problem, the file, and exactly what is reported where.
// `I` is the usual header, so layers start on line 2.
const I = 'input 1x28x28\n';

type Expected = { code: string; line: number; column: number }[];

const cases: [string, string, Expected][] = [
  // NN2001 unknown layer, at its name
  ['unknown layer', `${I}conv 6 k5 | dens 10\n`, [{ code: 'NN2001', line: 2, column: 13 }]],
  // NN2002 unknown argument: key, short letter, key on a layer without arguments
  ['unknown key', `${I}conv 6 k5 kernal=3 | flatten | dense 10\n`, [{ code: 'NN2002', line: 2, column: 11 }]],
  ['unknown short letter', `${I}conv 6 k5 q1 | flatten | dense 10\n`, [{ code: 'NN2002', line: 2, column: 11 }]],
  ['argument on a layer that takes none', `${I}relu x=1 | flatten | dense 10\n`, [{ code: 'NN2002', line: 2, column: 6 }]],
  // NN2003 the same argument twice, at the second
  ['kernel twice, short and long', `${I}conv 6 k5 kernel=5 | flatten | dense 10\n`, [{ code: 'NN2003', line: 2, column: 11 }]],
  ['out twice, positional and long', `${I}flatten | dense 10 out=10\n`, [{ code: 'NN2003', line: 2, column: 20 }]],
  ['pad twice, short letter as a key', `${I}conv 6 k5 p1 p=same | flatten | dense 10\n`, [{ code: 'NN2003', line: 2, column: 14 }]],
  ['train key twice across lines', `${I}train lr=0.1\ntrain lr=0.2\nflatten | dense 10\n`, [{ code: 'NN2003', line: 3, column: 7 }]],
  // NN2004 a value of the wrong type
  ['impl=5', `${I}conv 6 k5 | bn impl=5 | flatten | dense 10\n`, [{ code: 'NN2004', line: 2, column: 16 }]],
  ['kernel=same', `${I}conv 6 kernel=same\n`, [{ code: 'NN2004', line: 2, column: 8 }]],
  ['bias=3', `${I}conv 6 k5 bias=3 | flatten | dense 10\n`, [{ code: 'NN2004', line: 2, column: 11 }]],
  ['a word for a size', `${I}conv out=six k5\n`, [{ code: 'NN2004', line: 2, column: 6 }]],
  ['a three-part kernel', `${I}conv 6 k3x3x3\n`, [{ code: 'NN2004', line: 2, column: 8 }]],
  ['p=same on a pool', `${I}avgpool 2 p=same\n`, [{ code: 'NN2004', line: 2, column: 11 }]],
  ['a word for epochs', `${I}train epochs=ten\nflatten | dense 10\n`, [{ code: 'NN2004', line: 2, column: 7 }]],
  ['a number for optimizer', `${I}train optimizer=1\nflatten | dense 10\n`, [{ code: 'NN2004', line: 2, column: 7 }]],
  // NN2005 unknown train key
  ['unknown train key', `${I}train epoch=3\nflatten | dense 10\n`, [{ code: 'NN2005', line: 2, column: 7 }]],
  // NN2006 no input: at the first layer
  ['missing input', 'model m\nflatten | dense 10\n', [{ code: 'NN2006', line: 2, column: 1 }]],
  // NN2007 repeated statements, at the second
  ['input twice', `${I}input 784\nflatten | dense 10\n`, [{ code: 'NN2007', line: 2, column: 1 }]],
  ['model twice', `model a\nmodel b\n${I}flatten | dense 10\n`, [{ code: 'NN2007', line: 2, column: 1 }]],
  // NN2008 a required argument missing: at the layer
  ['conv without kernel', `${I}conv 6\n`, [{ code: 'NN2008', line: 2, column: 1 }]],
  ['conv without out', `${I}conv k5\n`, [{ code: 'NN2008', line: 2, column: 1 }]],
  ['pool without window', `${I}sigmoid | maxpool\n`, [{ code: 'NN2008', line: 2, column: 11 }]],
  ['dense without width', `${I}flatten | dense\n`, [{ code: 'NN2008', line: 2, column: 11 }]],
  // NN2009 too many positional arguments
  ['conv 6 5', `${I}conv 6 5\n`, [{ code: 'NN2009', line: 2, column: 8 }, { code: 'NN2008', line: 2, column: 1 }].sort((a, b) => a.column - b.column)],
  ['flatten 3', `${I}flatten 3 | dense 10\n`, [{ code: 'NN2009', line: 2, column: 9 }]],
  // NN2010 non-positive sizes
  ['zero channels', `${I}conv 0 k5\n`, [{ code: 'NN2010', line: 2, column: 6 }]],
  ['zero kernel', `${I}conv 6 k0\n`, [{ code: 'NN2010', line: 2, column: 8 }]],
  ['zero stride', `${I}conv 6 k5 s0\n`, [{ code: 'NN2010', line: 2, column: 11 }]],
  ['negative width', `${I}flatten | dense -3\n`, [{ code: 'NN2010', line: 2, column: 17 }]],
  ['zero input size', 'input 0x28x28\nflatten | dense 10\n', [{ code: 'NN2010', line: 1, column: 7 }]],
  ['zero epochs', `${I}train epochs=0\nflatten | dense 10\n`, [{ code: 'NN2010', line: 2, column: 7 }]],
  // NN2011 values out of range
  ['dropout 1', `${I}flatten | dropout 1 | dense 10\n`, [{ code: 'NN2011', line: 2, column: 19 }]],
  ['dropout below 0', `${I}flatten | dropout -0.1 | dense 10\n`, [{ code: 'NN2011', line: 2, column: 19 }]],
  ['bn momentum 1', `${I}bn momentum=1 | flatten | dense 10\n`, [{ code: 'NN2011', line: 2, column: 4 }]],
  ['bn eps 0', `${I}bn eps=0 | flatten | dense 10\n`, [{ code: 'NN2011', line: 2, column: 4 }]],
  ['negative padding', `${I}conv 6 k5 p-1\n`, [{ code: 'NN2011', line: 2, column: 11 }]],
  ['lr 0', `${I}train lr=0\nflatten | dense 10\n`, [{ code: 'NN2011', line: 2, column: 7 }]],
  ['train momentum 1', `${I}train momentum=1\nflatten | dense 10\n`, [{ code: 'NN2011', line: 2, column: 7 }]],
  ['a size beyond 32 bits', `${I}conv 1e10 k5\n`, [{ code: 'NN2011', line: 2, column: 6 }]],
  ['an input size beyond 32 bits', 'input 1x3000000000x1\nflatten | dense 10\n', [{ code: 'NN2011', line: 1, column: 9 }]],
  ['negative seed', `${I}train seed=-1\nflatten | dense 10\n`, [{ code: 'NN2011', line: 2, column: 7 }]],
  // NN2012 input after the first layer
  ['input after a layer', 'relu\ninput 784\ndense 10\n', [{ code: 'NN2012', line: 2, column: 1 }]],
  // NN2013 no layers
  ['no layers', 'model m\ninput 784\n', [{ code: 'NN2013', line: 2, column: 1 }]],
  ['empty file', '', [{ code: 'NN2006', line: 1, column: 1 }, { code: 'NN2013', line: 1, column: 1 }]],
  // NN2014 input of the wrong rank
  ['two-dimensional input', 'input 28x28\nflatten | dense 10\n', [{ code: 'NN2014', line: 1, column: 1 }]],
  ['four-dimensional input', 'input 1x1x28x28\nflatten | dense 10\n', [{ code: 'NN2014', line: 1, column: 1 }]],
  // NN2015 fractional where a whole number is needed
  ['fractional channels', `${I}conv 2.5 k3\n`, [{ code: 'NN2015', line: 2, column: 6 }]],
  ['fractional kernel side', `${I}conv 6 k3x2.5\n`, [{ code: 'NN2015', line: 2, column: 8 }]],
  ['fractional input size', 'input 1x28.5x28\nflatten | dense 10\n', [{ code: 'NN2015', line: 1, column: 9 }]],
  ['fractional epochs', `${I}train epochs=2.5\nflatten | dense 10\n`, [{ code: 'NN2015', line: 2, column: 7 }]],
  // NN2016 a word that is not one of the choices
  ['impl=scrach', `${I}bn impl=scrach | flatten | dense 10\n`, [{ code: 'NN2016', line: 2, column: 4 }]],
  ['optimizer=adamax', `${I}train optimizer=adamax\nflatten | dense 10\n`, [{ code: 'NN2016', line: 2, column: 7 }]],
  ['dataset=emnist', `${I}train dataset=emnist\nflatten | dense 10\n`, [{ code: 'NN2016', line: 2, column: 7 }]],
  // NN3001 / NN3002 wrong input rank
  ['dense on a map', `${I}conv 16 k5 | dense 10\n`, [{ code: 'NN3001', line: 2, column: 14 }]],
  ['conv on a vector', 'input 784\nconv 6 k5\n', [{ code: 'NN3002', line: 2, column: 1 }]],
  ['pool after flatten', `${I}flatten | maxpool 2\n`, [{ code: 'NN3002', line: 2, column: 11 }]],
  // NN3003 window larger than the padded input, at the kernel argument
  ['conv kernel too large', 'input 1x4x4\nconv 6 k5\n', [{ code: 'NN3003', line: 2, column: 8 }]],
  ['pool window too large', 'input 1x4x4\navgpool 5\n', [{ code: 'NN3003', line: 2, column: 9 }]],
  ['tall kernel on a short map', 'input 1x4x9\nconv 6 kernel=7x3\n', [{ code: 'NN3003', line: 2, column: 8 }]],
  // NN3004 pool padding more than half its window, at the padding argument
  ['pool padding too large', `${I}maxpool 3 p2\n`, [{ code: 'NN3004', line: 2, column: 11 }]],
  // NN3101 warning: final width
  ['final width 84', `${I}flatten | dense 84\n`, [{ code: 'NN3101', line: 2, column: 11 }]],
  ['final map', `${I}conv 6 k5\n`, [{ code: 'NN3101', line: 2, column: 1 }]],
  // NN3102 / NN3103 warnings, at the second layer
  ['bn twice', `${I}bn | bn | flatten | dense 10\n`, [{ code: 'NN3102', line: 2, column: 6 }]],
  ['bn twice across lines', `${I}conv 6 k5 | bn\nbn | flatten | dense 10\n`, [{ code: 'NN3102', line: 3, column: 1 }]],
  ['relu twice', `${I}flatten | dense 10 | relu | relu\n`, [{ code: 'NN3103', line: 2, column: 29 }]],
  // NN3106 warning: a flatten that changes nothing, at that flatten
  ['flatten of a flat vector', `${I}flatten | dense 16 | flatten | dense 10\n`, [{ code: 'NN3106', line: 2, column: 22 }]],
  ['flatten of a flat input', 'input 784\nflatten | dense 10\n', [{ code: 'NN3106', line: 2, column: 1 }]],
  // NN5003 / NN3104: an input that is not the dataset's images, in a file that trains (issue 15), at the input
  ['3x32x32 for fashion-mnist', 'input 3x32x32\ntrain dataset=fashion-mnist\nflatten | dense 10\n', [{ code: 'NN5003', line: 1, column: 1 }]],
  ['3x32x32, default dataset', 'input 3x32x32\ntrain epochs=1\nflatten | dense 10\n', [{ code: 'NN3104', line: 1, column: 1 }]],
  ['flat 784 fits', 'input 784\ntrain dataset=fashion-mnist\ndense 10\n', []],
  ['no train line: no word', 'input 3x32x32\nflatten | dense 10\n', []],
];

describe('each diagnostic, at its line and column', () => {
  test.each(cases)('%s', (_name, source, expected) => {
    expectDiagnostics(source).toEqual(expected);
  });
});

describe('messages: whole sentences with the names, the numbers and the fix', () => {
  test('NN3001 reads exactly as LANGUAGE.md shows it', () => {
    const source = [
      'model bad',
      'input 1x28x28',
      '',
      '# a LeNet that forgot to flatten',
      'conv 6 k5  | bn | sigmoid | avgpool 2',
      'conv 16 k5 | bn | sigmoid | avgpool 2',
      'dense 120 | bn | sigmoid',
      'dense 84  | bn | sigmoid',
      'dense 10',
      '',
    ].join('\n');
    const diagnostics = checkSource(source).diagnostics;
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.span.endColumn])).toEqual([['NN3001', 7, 1, 10]]);
    expect(diagnostics[0]!.message).toBe('dense expects a flat input but receives 16x4x4; add `flatten` before it.');
    expect(diagnostics[0]!.severity).toBe('error');
  });

  test.each([
    [`${I}conv 6 k5 | dens 10\n`, 'Unknown layer `dens`; did you mean `dense`?'],
    [`${I}batchnorm2d\n`, 'Unknown layer `batchnorm2d`; did you mean `bn`? It picks BatchNorm1d or BatchNorm2d from its input.'],
    [`${I}conv2d 6 k5\n`, 'Unknown layer `conv2d`; did you mean `conv`?'],
    [`${I}conv 6 k5 kernal=3 | flatten | dense 10\n`, '`conv` has no argument `kernal`; did you mean `kernel`?'],
    [`${I}conv 6 k5 padding=1 | flatten | dense 10\n`, '`conv` has no argument `padding`; did you mean `pad`?'],
    [`${I}flatten | dense 10 stride=2\n`, '`dense` has no argument `stride`; its arguments are `out` and `bias`.'],
    [`${I}conv 6 k5 q1 | flatten | dense 10\n`, '`conv` has no short option `q`; its short options are `k`, `s` and `p`.'],
    [`${I}bn m0.5 | flatten | dense 10\n`, '`bn` has no short options; write its arguments as `key=value` (`momentum`, `eps` or `impl`); did you mean `momentum=0.5`?'],
    [`${I}conv 6 k5 kernel=5 | flatten | dense 10\n`, '`kernel` of `conv` is given twice (`k5` and `kernel=5`); keep one.'],
    [`${I}conv 6 k5 | bn impl=5 | flatten | dense 10\n`, '`impl` of `bn` must be `builtin` or `scratch`, not 5.'],
    [`${I}conv 6 kernel=same\n`, '`kernel` of `conv` must be a number or HxW, not `same`.'],
    [`${I}conv 6 k5 bias=3 | flatten | dense 10\n`, '`bias` of `conv` must be `true` or `false`, not 3.'],
    [`${I}train learning_rate=0.1\nflatten | dense 10\n`, '`train` has no key `learning_rate`; did you mean `lr`?'],
    ['flatten | dense 10\n', 'The model has no `input` statement; add one before the first layer, such as `input 1x28x28`.'],
    [`${I}input 784\nflatten | dense 10\n`, '`input` is given twice; keep the one on line 1 and remove this one.'],
    [`${I}conv 6\n`, '`conv` needs `kernel`; add it, for example `k3` or `kernel=3`.'],
    [`${I}flatten | dense\n`, '`dense` needs `out`; write it after the layer name, as in `dense 16`.'],
    [`${I}flatten 3 | dense 10\n`, '`flatten` takes no positional arguments; remove 3.'],
    [`${I}avgpool 2 2\n`, '`avgpool` takes one positional argument (`kernel`), so 2 is one too many; write it with its name, such as `s2`.'],
    [`${I}conv 0 k5\n`, '`out` of `conv` must be a positive size (at least 1), not 0.'],
    [`${I}flatten | dropout 1 | dense 10\n`, '`rate` of `dropout` must be at least 0 and below 1, not 1.'],
    [`${I}train lr=0\nflatten | dense 10\n`, '`train` key `lr` must be above 0, not 0.'],
    ['relu\ninput 784\ndense 10\n', '`input` must come before the first layer (line 1); move it up.'],
    ['input 784\n', 'The model has no layers; add at least one after `input`, such as `flatten | dense 10`.'],
    ['input 28x28\nflatten | dense 10\n', '`input` must be C x H x W (such as `1x28x28`) or a feature count F (such as `784`), not 28x28; for a one-channel image write `input 1x28x28`.'],
    [`${I}conv 2.5 k3\n`, '`out` of `conv` must be a whole number, not 2.5.'],
    [`${I}train optimizer=adamx\nflatten | dense 10\n`, '`train` key `optimizer` must be `sgd`, `momentum`, `adam`, `adamw` or `rmsprop`, not `adamx`; did you mean `adam`?'],
    ['input 784\nconv 6 k5\n', 'conv expects a C x H x W input but receives 784; declare the input as C x H x W (`input 1x28x28`) or move `flatten` after it.'],
    ['input 1x4x4\nconv 6 k5\n', 'conv kernel 5 is larger than its input 4x4; use a kernel of at most 4 (`k4`) or pad by at least 1 (`p1`).'],
    ['input 1x4x4\nconv 6 k7 p1\n', 'conv kernel 7 is larger than its padded input 6x6 (4x4 padded by 1); use a kernel of at most 6 (`k6`) or pad by at least 2 (`p2`).'],
    ['input 1x4x9\nconv 6 kernel=7x3\n', 'conv kernel 7x3 is larger than its input 4x9; use a kernel of at most 4x3 (`k4x3`) or pad by at least 2x0 (`p2x0`).'],
    ['input 1x4x4\navgpool 5\n', 'avgpool window 5 is larger than its input 4x4; use a window of at most 4 (`avgpool 4`) or pad by at least 1 (`p1`).'],
    [`${I}maxpool 3 p2\n`, 'maxpool padding 2 is more than half its window 3; pad by at most 1 (`p1`).'],
    [`${I}flatten | dense 84\n`, 'The model ends with 84 outputs but `fashion-mnist` has 10 classes; end with `dense 10`.'],
    [`${I}conv 6 k5\n`, 'The model ends with a 6x24x24 map but `fashion-mnist` has 10 classes; end with `flatten | dense 10`.'],
    [`${I}bn | bn | flatten | dense 10\n`, 'Two `bn` layers in a row normalise the same values twice; remove one.'],
    [`${I}flatten | dense 10 | relu | relu\n`, '`relu` is applied twice in a row; remove one.'],
    [`${I}flatten | dense 16 | flatten | dense 10\n`, '`flatten` receives a flat input of 16 values and changes nothing; remove it.'],
  ])('%#: %s', (source, message) => {
    expect(onlyDiagnostic(source).message).toBe(message);
  });

  test('warnings keep the model; errors drop it', () => {
    const warned = checkSource(`${I}flatten | dense 84\n`);
    expect(warned.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(warned.model).not.toBeNull();
    expect(checkSource(`${I}conv 6 k5 | dense 10\n`).model).toBeNull();
  });

  test('a model with no trainable parameter: NN3105, an error with a `train` line, a warning without', () => {
    const source = 'input 1x28x28\navgpool 14x5 | flatten\n';
    expect(checkSource(source).diagnostics.map((d) => [d.code, d.severity, d.span.line, d.span.column])).toEqual([['NN3105', 'warning', 2, 16]]);
    const trained = checkSource(source.replace('\n', '\ntrain epochs=1\n'));
    expect(trained.diagnostics.map((d) => [d.code, d.severity])).toEqual([['NN3105', 'error']]);
    expect(trained.model).toBeNull();
  });

  test('a class-count mismatch is an error in a file that says it trains (any `train` line), as `netc train` says', () => {
    for (const train of ['train dataset=fashion-mnist\n', 'train epochs=2\n']) {
      const checked = checkSource(`${I}${train}flatten | dense 5\n`);
      expect(checked.diagnostics.map((d) => [d.code, d.severity, d.span.line])).toEqual([['NN3101', 'error', 3]]);
      expect(checked.model).toBeNull();
    }
  });

  test('a repeated argument points back at the first one', () => {
    const [diagnostic] = checkSource(`${I}conv 6 k5 kernel=5 | flatten | dense 10\n`).diagnostics;
    expect(diagnostic!.related?.map((r) => [r.span.line, r.span.column])).toEqual([[2, 8]]);
  });
});

describe('one run reports every problem, and nothing caused by an earlier one', () => {
  test('independent mistakes after an unknown layer are all found', () => {
    expectDiagnostics(`${I}conv 6 k5 | foo | dense 10 | bn impl=bad\ndropout 2\n`).toEqual([
      { code: 'NN2001', line: 2, column: 13 },
      // `dense 10` after an unknown shape is not blamed for its input.
      { code: 'NN2016', line: 2, column: 33 },
      { code: 'NN2011', line: 3, column: 9 },
    ]);
  });

  test('a kernel that does not fit does not make the layers after it fail', () => {
    expectDiagnostics('input 1x4x4\nconv 6 k5 | flatten | dense 10 | conv 3 k1\n').toEqual([
      { code: 'NN3003', line: 2, column: 8 },
    ]);
  });

  test('without an input, layers are checked for names and arguments but not shapes', () => {
    expectDiagnostics('conv 6 k5 | dense 10 | bn eps=-1\n').toEqual([
      { code: 'NN2006', line: 1, column: 1 },
      { code: 'NN2011', line: 1, column: 27 },
    ]);
  });

  test('a bad flag keeps the shape, so a real shape error further on is still found', () => {
    expectDiagnostics(`${I}conv 6 k5 bias=3 | dense 10\n`).toEqual([
      { code: 'NN2004', line: 2, column: 11 },
      { code: 'NN3001', line: 2, column: 20 },
    ]);
  });

  test('a pool padding error is found even where the shape is unknown', () => {
    expectDiagnostics(`${I}foo | maxpool 3 p2\n`).toEqual([
      { code: 'NN2001', line: 2, column: 1 },
      { code: 'NN3004', line: 2, column: 17 },
    ]);
  });

  test('a badly declared input still lets argument errors through', () => {
    expectDiagnostics('input 28x28\nconv 6 k0\n').toEqual([
      { code: 'NN2014', line: 1, column: 1 },
      { code: 'NN2010', line: 2, column: 8 },
    ]);
  });
});

describe('after a syntax error: quiet about what it caused, still reporting the rest', () => {
  /** Parser and checker codes with their positions, as `netc check` shows them. */
  const both = (source: string) => {
    const { syntax, diagnostics } = checkParsed(source);
    return [...syntax, ...diagnostics].map((d) => `${d.code} ${d.span.line}:${d.span.column}`);
  };

  test('a dropped layer does not make the next one look misplaced', () => {
    // The parser drops `conv 6 k5 bias=`; `dense 10` would otherwise read 1x28x28 and report NN3001.
    expect(both(`${I}conv 6 k5 bias= | relu | dense 10\n`)).toEqual(['NN1001 2:17']);
  });

  test('arguments lost with a syntax error are not also missing', () => {
    // The lexer drops `@`, which may have been the `out` of `conv`.
    expect(both(`${I}conv @ k5 | flatten | dense 10\n`)).toEqual(['NN1002 2:6']);
  });

  test('a damaged input gives an unknown shape, not a wrong one', () => {
    // `1x28x` would read as the flat shape 1, and conv would report NN3002.
    expect(both('input 1x28x\nconv 6 k5 | flatten | dense 10\n')).toEqual(['NN1004 1:7']);
  });

  test('no bn-twice warning across a dropped layer', () => {
    expect(both(`${I}bn | conv 6 k5 bias= | bn | flatten | dense 10\n`)).toEqual(['NN1001 2:22']);
  });

  test('a statement lost before the first layer may be the input: no NN2006', () => {
    // The parser drops the whole unreadable first line; it may have been `input ...`.
    expect(both('= 5\nflatten | dense 10\n')).toEqual(['NN1001 1:1']);
  });

  test('independent problems after the syntax error are still found', () => {
    expect(both(`${I}conv 6 k5 bias= | relu\ndens 10 | bn impl=fast\n`)).toEqual(['NN1001 2:17', 'NN2001 3:1', 'NN2016 3:14']);
  });

  test('a misspelt statement keyword is pointed out', () => {
    const { diagnostics } = checkParsed('inptu 784\ndense 10\n');
    expect(diagnostics[0]!.message).toBe('Unknown layer `inptu`; did you mean the `input` statement?');
  });

  test('without the parser\'s diagnostics the checker reports what it sees', () => {
    const parsed = checkParsed(`${I}conv 6 k5 bias= | relu | dense 10\n`);
    expect(parsed.model).toBeNull();
  });
});
