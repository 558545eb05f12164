import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IToken, TokenType } from 'chevrotain';
import { describe, expect, test } from 'vitest';
import { Lexer } from '../../src/syntax/chevrotain.js';
import { lex } from '../../src/syntax/lexer.js';
import { allTokens, Identifier, Newline } from '../../src/syntax/tokens.js';
import { endOfSource } from '../../src/syntax/spans.js';

/** Token kinds and images, comments and blanks left out. */
function tokens(source: string): [string, string][] {
  return lex(source, endOfSource(source)).tokens.map((token) => [token.tokenType.name, token.image]);
}

function problems(source: string): { code: string; line: number; column: number; endColumn: number }[] {
  return lex(source, endOfSource(source)).diagnostics.map((d) => ({
    code: d.code,
    line: d.span.line,
    column: d.span.column,
    endColumn: d.span.endColumn,
  }));
}

describe('every token kind', () => {
  test.each([
    ['model', [['Model', 'model']]],
    ['input', [['Input', 'input']]],
    ['train', [['Train', 'train']]],
    ['conv', [['Identifier', 'conv']]],
    ['fashion-mnist', [['Identifier', 'fashion-mnist']]],
    ['lenet_bn2', [['Identifier', 'lenet_bn2']]],
    ['_x', [['Identifier', '_x']]],
    ['models', [['Identifier', 'models']]],
    ['input2', [['Identifier', 'input2']]],
    ['training', [['Identifier', 'training']]],
    ['6', [['NumberLiteral', '6']]],
    ['0.9', [['NumberLiteral', '0.9']]],
    ['.5', [['NumberLiteral', '.5']]],
    ['1e-5', [['NumberLiteral', '1e-5']]],
    ['2E+3', [['NumberLiteral', '2E+3']]],
    ['-3', [['NumberLiteral', '-3']]],
    ['3x5', [['Dims', '3x5']]],
    ['1x28x28', [['Dims', '1x28x28']]],
    ['1 x 28 x 28', [['Dims', '1 x 28 x 28']]],
    ['1\tx\t28', [['Dims', '1\tx\t28']]],
    ['k5', [['ShortOption', 'k5']]],
    ['k3x5', [['ShortOption', 'k3x5']]],
    ['s2', [['ShortOption', 's2']]],
    ['p-1', [['ShortOption', 'p-1']]],
    ['k5abc', [['Identifier', 'k5abc']]],
    ['|', [['Pipe', '|']]],
    ['=', [['Equals', '=']]],
    ['\n', [['Newline', '\n']]],
    ['\r\n', [['Newline', '\r\n']]],
    ['\r', [['Newline', '\r']]],
    ['3.', [['MalformedNumber', '3.']]],
    ['1e', [['MalformedNumber', '1e']]],
    ['1x28x', [['MalformedNumber', '1x28x']]],
    ['5abc', [['MalformedNumber', '5abc']]],
    // Language v2.
    ['def', [['Def', 'def']]],
    ['residual', [['Residual', 'residual']]],
    ['default', [['Identifier', 'default']]],
    ['residuals', [['Identifier', 'residuals']]],
    ['proj', [['Proj', 'proj']]],
    ['projection', [['Identifier', 'projection']]],
    ['x', [['Times', 'x']]],
    ['xavier', [['Identifier', 'xavier']]],
    ['x-ray', [['Identifier', 'x-ray']]],
    ['x3', [['Repeat', 'x3']]],
    ['x-1', [['Repeat', 'x-1']]],
    ['x1.5', [['Repeat', 'x1.5']]],
    ['x0', [['Repeat', 'x0']]],
    ['x1000000', [['Repeat', 'x1000000']]],
    ['x3a', [['Identifier', 'x3a']]],
    ['x2_block', [['Identifier', 'x2_block']]],
    ['(', [['LParen', '(']]],
    [')', [['RParen', ')']]],
    ['{', [['LBrace', '{']]],
    ['}', [['RBrace', '}']]],
    [',', [['Comma', ',']]],
  ])('%j', (source, expected) => {
    expect(tokens(source)).toEqual(expected);
  });

  test('comments and blanks are not tokens; comments are kept apart', () => {
    const source = '\uFEFFconv 6\t# six maps\n';
    expect(tokens(source)).toEqual([
      ['Identifier', 'conv'],
      ['NumberLiteral', '6'],
      ['Newline', '\n'],
    ]);
    expect(lex(source, endOfSource(source)).comments.map((c) => c.image)).toEqual(['# six maps']);
  });

  test.each([
    // v1 sizes stay sizes: `x` glued to the number before it, or with blanks on both sides.
    ['conv 6 k3 x 5', [['Identifier', 'conv'], ['NumberLiteral', '6'], ['ShortOption', 'k3 x 5']]],
    ['3x 5', [['Dims', '3x 5']]],
    ['k3x 5', [['ShortOption', 'k3x 5']]],
    // A blank before `x` and none after: a repetition, which v1 read as a size.
    ['conv 6 k5 x2', [['Identifier', 'conv'], ['NumberLiteral', '6'], ['ShortOption', 'k5'], ['Repeat', 'x2']]],
    ['dense 64 x3', [['Identifier', 'dense'], ['NumberLiteral', '64'], ['Repeat', 'x3']]],
    ['relu x 3', [['Identifier', 'relu'], ['Times', 'x'], ['NumberLiteral', '3']]],
    ['cbs(c) x n', [['Identifier', 'cbs'], ['LParen', '('], ['Identifier', 'c'], ['RParen', ')'], ['Times', 'x'], ['Identifier', 'n']]],
    ['(relu)x3', [['LParen', '('], ['Identifier', 'relu'], ['RParen', ')'], ['Repeat', 'x3']]],
    ['residual proj {', [['Residual', 'residual'], ['Proj', 'proj'], ['LBrace', '{']]],
    ['def f(c, k=5) =', [['Def', 'def'], ['Identifier', 'f'], ['LParen', '('], ['Identifier', 'c'], ['Comma', ','], ['Identifier', 'k'], ['Equals', '='], ['NumberLiteral', '5'], ['RParen', ')'], ['Equals', '=']]],
  ])('v2: %j', (source, expected) => {
    expect(tokens(source)).toEqual(expected);
  });

  test('a whole statement', () => {
    expect(tokens('conv 6 k5 p=same | bn')).toEqual([
      ['Identifier', 'conv'],
      ['NumberLiteral', '6'],
      ['ShortOption', 'k5'],
      ['Identifier', 'p'],
      ['Equals', '='],
      ['Identifier', 'same'],
      ['Pipe', '|'],
      ['Identifier', 'bn'],
    ]);
  });
});

describe('token positions', () => {
  test('lines and columns are 1-based; CRLF, lone CR and tabs count as the code frame counts them', () => {
    const source = 'model a\r\n\tinput 784\rconv';
    const positions = lex(source, endOfSource(source)).tokens.map((t) => [t.image, t.startLine, t.startColumn, t.startOffset]);
    expect(positions).toEqual([
      ['model', 1, 1, 0],
      ['a', 1, 7, 6],
      ['\r\n', 1, 8, 7],
      ['input', 2, 2, 10],
      ['784', 2, 8, 16],
      ['\r', 2, 11, 19],
      ['conv', 3, 1, 20],
    ]);
  });
});

describe('lexical problems', () => {
  test.each([
    ['conv 6 @', [{ code: 'NN1002', line: 1, column: 8, endColumn: 9 }]],
    ['conv 6; k5', [{ code: 'NN1002', line: 1, column: 7, endColumn: 8 }]],
    ['dense x1e999', [{ code: 'NN1004', line: 1, column: 8, endColumn: 13 }]],
    ['conv @@@ 6', [{ code: 'NN1002', line: 1, column: 6, endColumn: 9 }]],
    ['\nconv 6 k5\u00a0| bn', [{ code: 'NN1002', line: 2, column: 10, endColumn: 11 }]],
    ['Conv 6', [{ code: 'NN1002', line: 1, column: 1, endColumn: 5 }]],
    ['input 3.', [{ code: 'NN1004', line: 1, column: 7, endColumn: 9 }]],
    ['bn eps=1e', [{ code: 'NN1004', line: 1, column: 8, endColumn: 10 }]],
    ['input 1x28x', [{ code: 'NN1004', line: 1, column: 7, endColumn: 12 }]],
    ['dense 10abc', [{ code: 'NN1004', line: 1, column: 7, endColumn: 12 }]],
    ['dense 1.2.3', [{ code: 'NN1004', line: 1, column: 7, endColumn: 12 }]],
    ['dense 1e999', [{ code: 'NN1004', line: 1, column: 7, endColumn: 12 }]],
    ['input 1x1e999x3', [{ code: 'NN1004', line: 1, column: 9, endColumn: 14 }]],
  ])('%j', (source, expected) => {
    expect(problems(source)).toEqual(expected);
  });

  test.each([
    ['conv 6 @', 'Unrecognised character `@`.'],
    ['conv 6; k5', 'Unrecognised character `;`; end a statement with a new line.'],
    ['a\u00a0b', 'Unrecognised character U+00A0 (a no-break space); use an ordinary space.'],
    ['input 28×28', 'Unrecognised character `×`; write sizes with the letter `x`, as in `3x5`.'],
    ['x [[[[', 'Unrecognised characters `[[[[`.'],
    ['Conv 6', 'Names are written in lower case: `Conv` has upper-case letters; write `conv`.'],
    ['input 3.', 'Malformed number `3.`: a decimal point must be followed by digits; write `3` or `3.0`.'],
    ['bn eps=1e', 'Malformed number `1e`: an exponent needs digits, as in `1e-5`.'],
    ['input 1x28x', 'Malformed size `1x28x`: every `x` must be followed by a number, as in `3x5`.'],
    ['dense 10abc', 'Malformed number `10abc`: a number must not run into letters; put a space between them.'],
    ['dense 1.2.3', 'Malformed number `1.2.3`: a number has at most one decimal point.'],
    ['dense 1e999', 'The number `1e999` is too large; netc numbers are 64-bit floats.'],
  ])('%j says %j', (source, message) => {
    expect(lex(source, endOfSource(source)).diagnostics.map((d) => d.message)).toEqual([message]);
  });

  test('an upper-case name is read as its lower-case spelling, keywords and short options included', () => {
    expect(tokens('MODEL Lenet\nConv 6 K5')).toEqual([
      ['Model', 'model'],
      ['Identifier', 'lenet'],
      ['Newline', '\n'],
      ['Identifier', 'conv'],
      ['NumberLiteral', '6'],
      ['ShortOption', 'k5'],
    ]);
  });

  test('so are the v2 words: `DEF`, `Residual`, `PROJ`, `X` and `X3`', () => {
    expect(tokens('DEF Residual PROJ X X3')).toEqual([
      ['Def', 'def'],
      ['Residual', 'residual'],
      ['Proj', 'proj'],
      ['Times', 'x'],
      ['Repeat', 'x3'],
    ]);
  });

  test('a long run of junk is one diagnostic with a short message', () => {
    const { diagnostics } = lex(`conv ${'€'.repeat(5000)}`, endOfSource(''));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.span.endColumn - diagnostics[0]!.span.column).toBe(5000);
    expect(diagnostics[0]!.message.length).toBeLessThan(80);
  });
});

describe("the first-character hints in tokens.ts (start_chars_hint, line_breaks)", () => {
  /** The lexer as netc builds it, and one that works the hints out from the patterns, as chevrotain does without them. */
  function lexers(): [Lexer, Lexer] {
    const options = { ensureOptimizations: true, positionTracking: 'full', skipValidations: true } as const;
    const stated = new Lexer(allTokens as TokenType[], options);
    const saved = allTokens.map((type) => ({ ...type }));
    for (const type of allTokens) {
      delete type.START_CHARS_HINT;
      if (type !== Newline) delete type.LINE_BREAKS;
    }
    try {
      return [stated, new Lexer(allTokens as TokenType[], options)];
    } finally {
      allTokens.forEach((type, i) => Object.assign(type, saved[i]));
    }
  }

  const outcome = (lexer: Lexer, text: string): unknown => {
    const r = lexer.tokenize(text);
    const where = (t: IToken) => [t.tokenType.name, t.image, t.startOffset, t.startLine, t.startColumn, t.endLine, t.endColumn];
    return [r.tokens.map(where), r.groups.comments?.map(where), r.errors.map((e) => [e.offset, e.length, e.line, e.column])];
  };

  /** chevrotain's dispatch table (its own, undocumented): for each first character, the token kinds it tries. */
  const dispatch = (lexer: Lexer): unknown => {
    const inner = lexer as unknown as {
      charCodeToPatternIdxToConfig: Record<string, ({ tokenType: TokenType }[] | undefined)[]>;
      patternIdxToConfig: Record<string, { tokenType: TokenType; canLineTerminator: boolean }[]>;
    };
    return {
      byFirstCharacter: Array.from(inner.charCodeToPatternIdxToConfig.defaultMode!, (configs) => configs?.map((c) => c.tokenType.name)),
      lineBreaks: inner.patternIdxToConfig.defaultMode!.map((c) => [c.tokenType.name, c.canLineTerminator]),
    };
  };

  test('the stated hints give chevrotain the dispatch table it works out from the patterns', () => {
    const [stated, derived] = lexers();
    expect(dispatch(stated)).toEqual(dispatch(derived));
  });

  test('each of the 65,536 first characters lexes alike', () => {
    const [stated, derived] = lexers();
    const differ: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      for (const text of [c, `${c}x3 k5`, `${c}3\n${c}a`, `${c}5k`, `${c}1.5M`]) {
        if (JSON.stringify(outcome(stated, text)) !== JSON.stringify(outcome(derived, text))) differ.push(code.toString(16));
      }
    }
    expect(differ).toEqual([]);
  });

  test('the models in models/ lex alike, lines and columns included', () => {
    const [stated, derived] = lexers();
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');
    const files = readdirSync(dir).filter((f) => f.endsWith('.net'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(outcome(stated, text), file).toEqual(outcome(derived, text));
    }
  });

  test('a hint that misses a character is caught: the name `_x` then lexes otherwise', () => {
    const [stated, derived] = lexers();
    const hint = Identifier.START_CHARS_HINT!;
    Identifier.START_CHARS_HINT = hint.filter((c) => c !== '_'.charCodeAt(0));
    try {
      const wrong = new Lexer(allTokens as TokenType[], { ensureOptimizations: true, positionTracking: 'full', skipValidations: true });
      expect(outcome(wrong, '_x')).not.toEqual(outcome(derived, '_x'));
      expect(dispatch(wrong)).not.toEqual(dispatch(stated));
    } finally {
      Identifier.START_CHARS_HINT = hint;
    }
  });
});
