import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

// The token set of the `.net` language. Order matters: chevrotain tries token types in this order and takes the
// first match, so keywords and the glued forms (`k5`, `3x5`) come before the general number and identifier; each
// of those names a `longer_alt` so that `models` stays an identifier and `3.` is one malformed number, not `3` `.`.

/** One number as written: an optional minus (so the checker can say "non-positive"), digits, fraction, exponent. */
const num = String.raw`-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?`;
/**
 * The `x` between dimensions: glued to the number before it (`3x5`, `3x 5`) or with blanks on both sides
 * (`3 x 5`). A blank before `x` and none after (`k5 x2`) is not a size: there `x2` is a repetition (language v2).
 */
const times = String.raw`(?:x[ \t]*|[ \t]+x[ \t]+)`;

/**
 * What chevrotain's first-character dispatch needs of a token, stated rather than derived: the characters it can
 * start with (each argument a character or a range `a-z`) and that it holds no line break. chevrotain can work both
 * out from the pattern, but that parses every pattern at each start, about 4 ms of `netc check`;
 * test/syntax/lexer.test.ts checks that a lexer which works them out splits every text alike.
 */
function startsWith(...ranges: string[]): { start_chars_hint: number[]; line_breaks: boolean } {
  const codes: number[] = [];
  for (const range of ranges) {
    const to = range.length === 3 && range[1] === '-' ? range.charCodeAt(2) : range.charCodeAt(0);
    for (let code = range.charCodeAt(0); code <= to; code++) codes.push(code);
  }
  return { start_chars_hint: codes, line_breaks: false };
}

/** The characters a number can start with. */
const numberStart = ['-', '.', '0-9'];

/** Any number the parser accepts: a well-formed one or a malformed one (already reported by the lexer). */
export const NumberToken = createToken({ name: 'Number', label: 'NUMBER', pattern: Lexer.NA });

/**
 * An identifier, any case; upper-case letters are reported by the lexer (names are lower case) and lowered. Names
 * may use letters of any script (`dénse` is one name, reported as an unknown layer, not as `d` and junk): the
 * pattern admits the Unicode blocks that hold letters (ranges chevrotain can still dispatch on; symbol and
 * punctuation blocks such as `×` stay unrecognised characters), and the lexer reports any character in them that
 * is no letter, mark or digit (NN1002). The byte-order mark is left to WHITESPACE.
 */
export const Identifier = createToken({
  name: 'Identifier',
  label: 'IDENTIFIER',
  pattern: /[a-zA-Z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u1FFF\u2C00-\u2DFF\u3040-\uD7FF\uF900-\uFDFF\uFE70-\uFEFE\uFF21-\uFF3A\uFF41-\uFF5A\uFF66-\uFFDC][a-zA-Z0-9_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u1FFF\u2C00-\u2DFF\u3040-\uD7FF\uF900-\uFDFF\uFE70-\uFEFE\uFF21-\uFF3A\uFF41-\uFF5A\uFF66-\uFFDC-]*/,
  // The pattern's first character class, range for range.
  ...startsWith(
    ...['a-z', 'A-Z', '_', '\u00C0-\u00D6', '\u00D8-\u00F6', '\u00F8-\u1FFF', '\u2C00-\u2DFF', '\u3040-\uD7FF'],
    ...['\uF900-\uFDFF', '\uFE70-\uFEFE', '\uFF21-\uFF3A', '\uFF41-\uFF5A', '\uFF66-\uFFDC'],
  ),
});

/** Anything that starts like a number but is not one (`3.`, `1e`, `1x28x`, `5abc`): reported as NN1004. */
export const MalformedNumber = createToken({
  name: 'MalformedNumber',
  label: 'MALFORMED_NUMBER',
  pattern: /-?\.?\d(?:[eE][+-]|[a-zA-Z0-9_.])*/,
  categories: [NumberToken],
  ...startsWith(...numberStart),
});

/** A well-formed number: `6`, `0.9`, `1e-5`, `-3`. */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  label: 'NUMBER_LITERAL',
  pattern: new RegExp(num),
  longer_alt: MalformedNumber,
  categories: [NumberToken],
  ...startsWith(...numberStart),
});

/**
 * A count with a metric suffix, `50k`, `1.5M`, `2G` (k = 1,000, M = 1,000,000, G = 1,000,000,000), the limit of a
 * `budget`. Not a NUMBER: elsewhere a suffix is a syntax error, so `dense 4k` is not silently 4,000 units.
 */
export const Count = createToken({
  name: 'Count',
  label: 'COUNT',
  pattern: /\d+(?:\.\d+)?[kMG]/,
  longer_alt: MalformedNumber,
  ...startsWith('0-9'),
});

/** Dimensions glued or spaced: `3x5`, `1x28x28`, `1 x 28 x 28`. */
export const Dims = createToken({
  name: 'Dims',
  label: 'DIMS',
  pattern: new RegExp(`${num}(?:${times}${num})+`),
  longer_alt: MalformedNumber,
  ...startsWith(...numberStart),
});

/** A short option: one letter glued to a number or dimensions, `k5`, `k3x5`, `s2`, `p1`. */
export const ShortOption = createToken({
  name: 'ShortOption',
  label: 'SHORT_OPTION',
  pattern: new RegExp(`[a-z]${num}(?:${times}${num})*`),
  longer_alt: Identifier,
  ...startsWith('a-z'),
});

/** `x` glued to a number, `x3`, `x-1`, `x1.5`: a repetition count (language v2); `x3a` stays an identifier. */
export const Repeat = createToken({
  name: 'Repeat',
  label: 'REPEAT',
  pattern: new RegExp(`x${num}`),
  longer_alt: Identifier,
  ...startsWith('x'),
});

/**
 * The word `x`: the repetition operator after a stage (`relu x 3`, `cbs(c) x n`). It is also a name (a layer
 * `x`, a key `x=`), so it belongs to the IDENTIFIER category and the parser tells the two uses apart by position.
 */
export const Times = createToken({
  name: 'Times',
  label: '"x"',
  pattern: /x/,
  longer_alt: Identifier,
  categories: [Identifier],
  ...startsWith('x'),
});

/** The word `proj` after `residual`; elsewhere an ordinary name, hence in the IDENTIFIER category. */
export const Proj = createToken({
  name: 'Proj',
  label: '"proj"',
  pattern: /proj/,
  longer_alt: Identifier,
  categories: [Identifier],
  ...startsWith('p'),
});

/** The keyword `def` (language v2): defines a block. */
export const Def = createToken({ name: 'Def', label: '"def"', pattern: /def/, longer_alt: Identifier, ...startsWith('d') });
/** The keyword `residual` (language v2): a block with a skip connection. */
export const Residual = createToken({ name: 'Residual', label: '"residual"', pattern: /residual/, longer_alt: Identifier, ...startsWith('r') });

/** The keyword `expect`: a stage that checks the shape at its place in the pipeline and changes nothing. */
export const Expect = createToken({ name: 'Expect', label: '"expect"', pattern: /expect/, longer_alt: Identifier, ...startsWith('e') });
/** The keyword `budget`: a top-level limit on the model's parameters, MACs or activation memory. */
export const Budget = createToken({ name: 'Budget', label: '"budget"', pattern: /budget/, longer_alt: Identifier, ...startsWith('b') });

/** The keyword `model`. */
export const Model = createToken({ name: 'Model', label: '"model"', pattern: /model/, longer_alt: Identifier, ...startsWith('m') });
/** The keyword `input`. */
export const Input = createToken({ name: 'Input', label: '"input"', pattern: /input/, longer_alt: Identifier, ...startsWith('i') });
/** The keyword `train`. */
export const Train = createToken({ name: 'Train', label: '"train"', pattern: /train/, longer_alt: Identifier, ...startsWith('t') });

/** `|` chains layers; at the end of a line it continues the statement on the next one. */
export const Pipe = createToken({ name: 'Pipe', label: '"|"', pattern: /\|/, ...startsWith('|') });
/** `=` in `key=value`, in a parameter's default and after a `def` header. */
export const Equals = createToken({ name: 'Equals', label: '"="', pattern: /=/, ...startsWith('=') });
/** `<=` between what a budget limits and its limit. */
export const LessEqual = createToken({ name: 'LessEqual', label: '"<="', pattern: /<=/, ...startsWith('<') });
/** `,` between a block's parameters and between the arguments of a block use. */
export const Comma = createToken({ name: 'Comma', label: '","', pattern: /,/, ...startsWith(',') });
/** `(` opens a group, a block's parameter list or a block use's arguments; line breaks inside are blanks. */
export const LParen = createToken({ name: 'LParen', label: '"("', pattern: /\(/, ...startsWith('(') });
/** `)` closes what `(` opened. */
export const RParen = createToken({ name: 'RParen', label: '")"', pattern: /\)/, ...startsWith(')') });
/** `{` opens a residual block's body; line breaks inside are blanks. */
export const LBrace = createToken({ name: 'LBrace', label: '"{"', pattern: /\{/, ...startsWith('{') });
/** `}` closes what `{` opened. */
export const RBrace = createToken({ name: 'RBrace', label: '"}"', pattern: /\}/, ...startsWith('}') });

/** A line break ends a statement (`\n`, `\r\n` or a lone `\r`, as the code frame counts lines). */
export const Newline = createToken({ name: 'Newline', label: 'NEWLINE', pattern: /\r\n|\r|\n/, ...startsWith('\r', '\n'), line_breaks: true });
/** Spaces, tabs and a byte-order mark separate tokens and are dropped. */
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  label: 'WHITESPACE',
  pattern: /[ \t\uFEFF]+/,
  group: Lexer.SKIPPED,
  ...startsWith(' ', '\t', '\uFEFF'),
});
/** `#` to the end of the line; kept in the lexer's `comments` group for tools that print source back. */
export const Comment = createToken({ name: 'Comment', label: 'COMMENT', pattern: /#[^\r\n]*/, group: 'comments', ...startsWith('#') });

/** Every token type in lexer priority order. */
export const allTokens: readonly TokenType[] = [
  NumberToken,
  Newline,
  WhiteSpace,
  Comment,
  Pipe,
  Equals,
  LessEqual,
  Comma,
  LParen,
  RParen,
  LBrace,
  RBrace,
  Model,
  Input,
  Train,
  Def,
  Residual,
  Expect,
  Budget,
  Repeat,
  Times,
  Proj,
  ShortOption,
  Dims,
  Count,
  NumberLiteral,
  MalformedNumber,
  Identifier,
];

/** What each token is, for the lexical part of grammar/netc.ebnf. */
export const tokenDescriptions: ReadonlyMap<TokenType, string> = new Map([
  [NumberToken, 'where the parser takes a number it also takes a malformed one, which the lexer has reported'],
  [Newline, 'ends a statement, except where the statement goes on (see above); the end of the file ends the last one too'],
  [WhiteSpace, 'spaces, tabs and a byte-order mark between tokens; skipped'],
  [Comment, '"#" to the end of the line; skipped'],
  [Pipe, 'chains stages'],
  [Equals, 'joins a key to its value, a parameter to its default, a block header to its body'],
  [LessEqual, 'between what a budget limits and its limit'],
  [Comma, 'separates parameters and block arguments'],
  [LParen, 'opens a group, a parameter list or block arguments; inside brackets a line break is a blank'],
  [RParen, 'closes "("'],
  [LBrace, 'opens a residual body; inside brackets a line break is a blank'],
  [RBrace, 'closes "{"'],
  [Model, 'keyword'],
  [Input, 'keyword'],
  [Train, 'keyword'],
  [Def, 'keyword'],
  [Residual, 'keyword'],
  [Expect, 'keyword'],
  [Budget, 'keyword'],
  [Repeat, 'x glued to a number: x3, x-1; a repetition count (x3a is an IDENTIFIER)'],
  [Times, 'the repetition operator before a spaced count: x 3, x n'],
  [Proj, 'after "residual": a 1x1 convolution on the skip path'],
  [ShortOption, 'a letter glued to a number or to dimensions: k5, k3x5, k3 x 5, s2, p1'],
  [Dims, 'numbers joined by "x", glued to the number before it or blanks on both sides: 3x5, 1x28x28, 1 x 28 x 28'],
  [Count, 'a budget\'s limit with a suffix: 50k (thousand), 1.5M (million), 2G (billion)'],
  [NumberLiteral, 'an integer or a decimal with an optional exponent and minus sign: 6, 0.9, 1e-5, -3'],
  [MalformedNumber, 'something that starts like a number but is not one (3., 1e, 1x28x); an error, parsed as a NUMBER'],
  [Identifier, 'a name: a letter of any script or "_", then letters, digits, "_" and "-"; capitals are an error'],
]);
