import type { IToken, Lexer as LexerType, TokenType } from 'chevrotain';
import { Lexer } from './chevrotain.js';
import type { Diagnostic, Span } from '../diagnostics/Diagnostic.js';
import { partSpan, tokenSpan } from './spans.js';
import {
  allTokens,
  Budget,
  Def,
  Expect,
  Dims,
  Identifier,
  Input,
  LParen,
  MalformedNumber,
  Model,
  NumberLiteral,
  Proj,
  Repeat,
  Residual,
  ShortOption,
  Times,
  Train,
} from './tokens.js';

/** The tokens of a source text, its comments, and the lexical problems found (NN1002, NN1004). */
export interface LexResult {
  readonly tokens: IToken[];
  readonly comments: IToken[];
  readonly diagnostics: Diagnostic[];
}

/**
 * A lexer for the `.net` tokens. `validate` checks the token definitions (unreachable or conflicting patterns);
 * it costs startup time, so the shared instance skips it and a test builds one with it.
 */
export function createNetLexer(options: { validate: boolean }): LexerType {
  // ensureOptimizations makes a pattern that defeats chevrotain's first-character dispatch a startup error
  // instead of a silent slowdown on big files.
  return new Lexer(allTokens as TokenType[], {
    ensureOptimizations: true,
    positionTracking: 'full',
    skipValidations: !options.validate,
  });
}

let lexerInstance: LexerType | undefined;

/** The lexer, built on first use: building it analyses every pattern, which a process should pay for once. */
function lexer(): LexerType {
  lexerInstance ??= createNetLexer({ validate: false });
  return lexerInstance;
}

/** Splits `source` into tokens; never throws. `end` is the span of the end of the source. */
export function lex(source: string, end: Span): LexResult {
  return lexPart(source, 0, 1, end);
}

/**
 * Lexes `text`, a part of a larger source that starts at `offset` on line `line` (at the start of that line), and
 * gives tokens and diagnostics positions in the whole source. Big files are lexed part by part so that their
 * tokens can be dropped once parsed.
 */
export function lexPart(text: string, offset: number, line: number, end: Span): LexResult {
  const result = lexer().tokenize(text);
  // Columns count characters as people see them: a byte-order mark starting the file is not one (it is skipped
  // as a blank, and would otherwise move every column of line 1 by one).
  if (offset === 0 && text.charCodeAt(0) === 0xfeff) {
    for (const token of [...result.tokens, ...(result.groups['comments'] ?? [])]) unshiftBom(token);
    for (const problem of result.errors) if (problem.line === 1 && problem.column !== undefined) problem.column -= 1;
  }
  retypeBlockNames(result.tokens);
  const lineShift = line - 1;
  if (offset !== 0 || lineShift !== 0) {
    for (const token of result.tokens) shiftToken(token, offset, lineShift);
    for (const comment of result.groups['comments'] ?? []) shiftToken(comment, offset, lineShift);
  }
  const diagnostics: Diagnostic[] = [];
  for (const problem of result.errors) {
    const start = offset + problem.offset;
    const errorLine = (problem.line ?? 1) + lineShift;
    const column = problem.column ?? 1;
    const chars = text.slice(problem.offset, problem.offset + problem.length);
    diagnostics.push(
      error('NN1002', unrecognisedMessage(chars), {
        offset: start,
        end: start + problem.length,
        line: errorLine,
        column,
        endLine: errorLine,
        endColumn: column + problem.length,
      }),
    );
  }
  for (const token of result.tokens) {
    const type = token.tokenType;
    if (type === MalformedNumber) {
      diagnostics.push(error('NN1004', malformedNumberMessage(token.image), tokenSpan(token, end)));
    } else if (type === NumberLiteral || type === Dims || type === ShortOption || type === Repeat) {
      checkMagnitudes(token, end, diagnostics);
      if (type === ShortOption && spacedTimes.test(token.image)) diagnostics.push(spacedWindowWarning(token, end));
    } else if (type === Identifier && !nameText.test(token.image)) {
      diagnostics.push(notALetter(token, end));
    } else if (type === Identifier && /[A-Z]/.test(token.image)) {
      lowerIdentifier(token, end, diagnostics);
    }
  }
  return { tokens: result.tokens, comments: result.groups['comments'] ?? [], diagnostics };
}

/** What a name may hold: letters of any script, digits, `_` and `-`, starting with a letter or `_`. */
const nameText = /^[\p{L}_][\p{L}\p{M}\p{N}_-]*$/u;

/** NN1002 at the first character of a name that is no letter, digit, `_` or `-` (the lexer lets any non-ASCII in). */
function notALetter(token: IToken, end: Span): Diagnostic {
  const chars = [...token.image];
  let index = 0;
  let at = 0;
  for (const c of chars) {
    if (!(index === 0 ? /[\p{L}_]/u : /[\p{L}\p{M}\p{N}_-]/u).test(c)) break;
    index++;
    at += c.length;
  }
  const bad = chars[index] ?? token.image;
  const code = bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return error('NN1002', `\`${bad}\` (U+${code}) cannot be part of a name; names are letters, digits, \`_\` and \`-\`.`, partSpan(token, at, at + bad.length, end));
}

/** `k3 x 2`: a window size with a blank on both sides of its `x`. */
const spacedTimes = /[ \t]x[ \t]/;

/**
 * NN1008 (warning): `conv 64 k3 x 2` reads as a 3x2 window, as in version 1, though it looks like "a 3x3 window,
 * twice". The size stays as written; the warning names both spellings that say what was meant.
 */
function spacedWindowWarning(token: IToken, end: Span): Diagnostic {
  const glued = token.image.replace(/[ \t]+x[ \t]+/g, 'x');
  const [first] = token.image.split(/[ \t]+x[ \t]+/);
  const count = token.image.slice(token.image.lastIndexOf('x') + 1).trim();
  return {
    code: 'NN1008',
    severity: 'warning',
    message:
      `\`${token.image}\` is read as \`${glued}\`, a ${glued.slice(1)} size; write \`${glued}\` to say so, or \`${first} x${count}\` ` +
      `(the count glued to \`x\`) or the layer in parentheses to repeat the layer ${count} times.`,
    span: tokenSpan(token, end),
  };
}

/** Moves a line-1 token one column left: the byte-order mark before it is no character. */
function unshiftBom(token: IToken): void {
  if (token.startLine !== 1) return;
  if (token.startColumn !== undefined) token.startColumn -= 1;
  if (token.endLine === 1 && token.endColumn !== undefined) token.endColumn -= 1;
}

/**
 * A block may be called `b1` or `s2`, which read as short options (`k5`, `s2`). Where no option can stand, right
 * after `def` or glued to the `(` of a block use (`b1(16)`), such a token is a name.
 */
function retypeBlockNames(tokens: IToken[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.tokenType !== ShortOption || !/^[a-z][0-9]+$/.test(token.image)) continue;
    const next = tokens[i + 1];
    const call = next?.tokenType === LParen && next.startOffset === token.startOffset + token.image.length;
    if (tokens[i - 1]?.tokenType === Def || call) {
      token.tokenType = Identifier;
      token.tokenTypeIdx = Identifier.tokenTypeIdx!;
    }
  }
}

function shiftToken(token: IToken, offset: number, lineShift: number): void {
  token.startOffset += offset;
  if (token.endOffset !== undefined) token.endOffset += offset;
  if (token.startLine !== undefined) token.startLine += lineShift;
  if (token.endLine !== undefined) token.endLine += lineShift;
}

function error(code: string, message: string, span: Span): Diagnostic {
  return { code, severity: 'error', message, span };
}

/** A number too large for a double becomes Infinity: report it where it is written (only long texts can be). */
function checkMagnitudes(token: IToken, end: Span, diagnostics: Diagnostic[]): void {
  const image = token.image;
  if (image.length < 300 && !/[eE]/.test(image)) return;
  const start = token.tokenType === ShortOption || token.tokenType === Repeat ? 1 : 0;
  for (const match of image.slice(start).matchAll(/[^ \tx]+/g)) {
    if (Number.isFinite(Number(match[0]))) continue;
    const from = start + match.index;
    const span = partSpan(token, from, from + match[0].length, end);
    diagnostics.push(error('NN1004', `The number \`${shorten(match[0])}\` is too large; netc numbers are 64-bit floats.`, span));
  }
}

/**
 * Names are lower case. An upper-case letter is reported once here; the token is then read as its lower-case
 * spelling (`Conv` as `conv`, `MODEL` as the keyword), so that no second, confusing error follows from it.
 */
function lowerIdentifier(token: IToken, end: Span, diagnostics: Diagnostic[]): void {
  const lower = token.image.toLowerCase();
  diagnostics.push(
    error(
      'NN1002',
      `Names are written in lower case: \`${shorten(token.image)}\` has upper-case letters; write \`${shorten(lower)}\`.`,
      tokenSpan(token, end),
    ),
  );
  // Re-typed by the patterns of the tokens an identifier can be lowered into (a keyword, a repetition count, a
  // short option), in the lexer's order.
  const type = keywords.get(lower) ?? (repeatOnly.test(lower) ? Repeat : shortOptionOnly.test(lower) ? ShortOption : Identifier);
  token.tokenType = type;
  token.tokenTypeIdx = type.tokenTypeIdx!;
  token.image = lower;
}

const keywords: ReadonlyMap<string, TokenType> = new Map([
  ['model', Model],
  ['input', Input],
  ['train', Train],
  ['def', Def],
  ['residual', Residual],
  ['expect', Expect],
  ['budget', Budget],
  ['x', Times],
  ['proj', Proj],
]);
const repeatOnly = new RegExp(`^(?:${(Repeat.PATTERN as RegExp).source})$`);
const shortOptionOnly = new RegExp(`^(?:${(ShortOption.PATTERN as RegExp).source})$`);

/** Cuts long texts for messages so that a megabyte of junk does not become a megabyte-long message. */
export function shorten(text: string, max = 40): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function malformedNumberMessage(text: string): string {
  const shown = `\`${shorten(text)}\``;
  if (/\dx$/.test(text)) return `Malformed size ${shown}: every \`x\` must be followed by a number, as in \`3x5\`.`;
  if (/\d(x\d+(\.\d+)?)+[^\d.x]/.test(text) || /x[^\d.-]/.test(text)) {
    return `Malformed size ${shown}: a size is numbers joined by \`x\`, as in \`1x28x28\`.`;
  }
  if (/[eE][+-]?$/.test(text)) return `Malformed number ${shown}: an exponent needs digits, as in \`1e-5\`.`;
  if (/\.$/.test(text)) {
    return `Malformed number ${shown}: a decimal point must be followed by digits; write \`${shorten(text.slice(0, -1))}\` or \`${shorten(text)}0\`.`;
  }
  if (/\..*\./.test(text)) return `Malformed number ${shown}: a number has at most one decimal point.`;
  if (/^-?\.?\d[\d.]*(?:[eE][+-]?\d+)?[a-zA-Z_]/.test(text)) {
    return `Malformed number ${shown}: a number must not run into letters; put a space between them.`;
  }
  return `Malformed number ${shown}.`;
}

/** Characters that users paste by mistake, with the fix. */
const characterHints: Readonly<Record<string, string>> = {
  ';': '; end a statement with a new line',
  ':': '; write options as `key=value`',
  '<': '; a budget is written `budget params <= 50k`',
  '>': '; a budget is an upper limit, written `budget params <= 50k`',
  '×': '; write sizes with the letter `x`, as in `3x5`',
  '-': '; a minus sign must be followed by a number',
  '.': '; a decimal point must be between digits, as in `0.5`',
  '"': '; values are written without quotes',
  "'": '; values are written without quotes',
  '\\': '; a line that ends in `|` continues on the next one, no backslash needed',
  '\u00a0': ' (a no-break space); use an ordinary space',
  '\u200b': ' (a zero-width space); delete it',
  '\u2212': ' (a typographic minus); use `-`',
};

function unrecognisedMessage(text: string): string {
  const chars = Array.from(text);
  const first = chars[0] ?? '';
  const hint = characterHints[first] ?? '';
  if (chars.length === 1) return `Unrecognised character ${showChars(text)}${hint}.`;
  return `Unrecognised characters ${showChars(text)}${chars.some((c) => c !== first) ? '' : hint}.`;
}

/** Quotes visible characters in backticks; invisible or control characters are written as code points. */
function showChars(text: string): string {
  const chars = Array.from(text);
  const shown = chars.slice(0, 20);
  const visible = shown.every((c) => /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(c));
  const more = chars.length > shown.length ? '…' : '';
  if (visible) return `\`${shown.join('')}\`${more}`;
  return `${shown.map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ')}${more}`;
}
