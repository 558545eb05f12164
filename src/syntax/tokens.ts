import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

// The token set of the `.net` language. Order matters: chevrotain tries token types in this order and takes the
// first match, so keywords and the glued forms (`k5`, `3x5`) come before the general number and identifier; each
// of those names a `longer_alt` so that `models` stays an identifier and `3.` is one malformed number, not `3` `.`.

/** One number as written: an optional minus (so the checker can say "non-positive"), digits, fraction, exponent. */
const num = String.raw`-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?`;
/** The `x` between dimensions; spaces and tabs around it are allowed (`1 x 28 x 28`). */
const times = String.raw`[ \t]*x[ \t]*`;

/** Any number the parser accepts: a well-formed one or a malformed one (already reported by the lexer). */
export const NumberToken = createToken({ name: 'Number', label: 'NUMBER', pattern: Lexer.NA });

/** An identifier, any case; upper-case letters are reported by the lexer (names are lower case) and lowered. */
export const Identifier = createToken({ name: 'Identifier', label: 'IDENTIFIER', pattern: /[a-zA-Z_][a-zA-Z0-9_-]*/ });

/** Anything that starts like a number but is not one (`3.`, `1e`, `1x28x`, `5abc`): reported as NN1004. */
export const MalformedNumber = createToken({
  name: 'MalformedNumber',
  label: 'MALFORMED_NUMBER',
  pattern: /-?\.?\d(?:[eE][+-]|[a-zA-Z0-9_.])*/,
  categories: [NumberToken],
});

/** A well-formed number: `6`, `0.9`, `1e-5`, `-3`. */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  label: 'NUMBER_LITERAL',
  pattern: new RegExp(num),
  longer_alt: MalformedNumber,
  categories: [NumberToken],
});

/** Dimensions glued or spaced: `3x5`, `1x28x28`, `1 x 28 x 28`. */
export const Dims = createToken({
  name: 'Dims',
  label: 'DIMS',
  pattern: new RegExp(`${num}(?:${times}${num})+`),
  longer_alt: MalformedNumber,
});

/** A short option: one letter glued to a number or dimensions, `k5`, `k3x5`, `s2`, `p1`. */
export const ShortOption = createToken({
  name: 'ShortOption',
  label: 'SHORT_OPTION',
  pattern: new RegExp(`[a-z]${num}(?:${times}${num})*`),
  longer_alt: Identifier,
});

/** The keyword `model`. */
export const Model = createToken({ name: 'Model', label: '"model"', pattern: /model/, longer_alt: Identifier });
/** The keyword `input`. */
export const Input = createToken({ name: 'Input', label: '"input"', pattern: /input/, longer_alt: Identifier });
/** The keyword `train`. */
export const Train = createToken({ name: 'Train', label: '"train"', pattern: /train/, longer_alt: Identifier });

/** `|` chains layers; at the end of a line it continues the statement on the next one. */
export const Pipe = createToken({ name: 'Pipe', label: '"|"', pattern: /\|/ });
/** `=` in `key=value`. */
export const Equals = createToken({ name: 'Equals', label: '"="', pattern: /=/ });

/** A line break ends a statement (`\n`, `\r\n` or a lone `\r`, as the code frame counts lines). */
export const Newline = createToken({ name: 'Newline', label: 'NEWLINE', pattern: /\r\n|\r|\n/, line_breaks: true });
/** Spaces, tabs and a byte-order mark separate tokens and are dropped. */
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  label: 'WHITESPACE',
  pattern: /[ \t\uFEFF]+/,
  group: Lexer.SKIPPED,
});
/** `#` to the end of the line; kept in the lexer's `comments` group for tools that print source back. */
export const Comment = createToken({ name: 'Comment', label: 'COMMENT', pattern: /#[^\r\n]*/, group: 'comments' });

/** Every token type in lexer priority order. */
export const allTokens: readonly TokenType[] = [
  NumberToken,
  Newline,
  WhiteSpace,
  Comment,
  Pipe,
  Equals,
  Model,
  Input,
  Train,
  ShortOption,
  Dims,
  NumberLiteral,
  MalformedNumber,
  Identifier,
];

/** What each token is, for the lexical part of grammar/netc.ebnf. */
export const tokenDescriptions: ReadonlyMap<TokenType, string> = new Map([
  [NumberToken, 'where the parser takes a number it also takes a malformed one, which the lexer has reported'],
  [Newline, 'ends a statement, except after "|"; the end of the file ends the last statement too'],
  [WhiteSpace, 'spaces, tabs and a byte-order mark between tokens; skipped'],
  [Comment, '"#" to the end of the line; skipped'],
  [Pipe, 'chains layers'],
  [Equals, 'joins a key to its value'],
  [Model, 'keyword'],
  [Input, 'keyword'],
  [Train, 'keyword'],
  [ShortOption, 'a letter glued to a number or to dimensions: k5, k3x5, s2, p1'],
  [Dims, 'numbers joined by "x", with optional blanks around it: 3x5, 1x28x28, 1 x 28 x 28'],
  [NumberLiteral, 'an integer or a decimal with an optional exponent and minus sign: 6, 0.9, 1e-5, -3'],
  [MalformedNumber, 'something that starts like a number but is not one (3., 1e, 1x28x); an error, parsed as a NUMBER'],
  [Identifier, 'a name; the language allows [a-z_][a-z0-9_-]*, other letters are an error'],
]);
