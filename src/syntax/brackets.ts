import type { IToken } from 'chevrotain';
import type { RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
import { position } from './recoveryMessages.js';
import { closerOf, isCloser, isOpener } from './tokenKinds.js';
import { Def, Equals, Pipe, RParen } from './tokens.js';

/**
 * Brackets, `(` and `{` together, nest at most this deep (NN1006). The parser descends one level of its own
 * stack per bracket, and measured, it runs out at about twice this depth on Node's default stack; no network
 * needs more than a handful of levels.
 */
export const maxNesting = 256;

/** A statement's tokens with its brackets matched; the recovery reads it by index ranges. */
export interface StatementView {
  readonly t: readonly IToken[];
  /** For an opener, the index of the bracket that closes it; -1 for an opener left open and for other tokens. */
  readonly close: Int32Array;
  /** 1 for a closer that closes a bracket, 2 for one that closes nothing (reported, then left out of every unit). */
  readonly closer: Uint8Array;
}

/**
 * Matches the brackets of a statement and reports those that do not match (NN1007), or reports a nesting
 * deeper than `maxNesting` (NN1006) and returns nothing: such a statement is dropped whole.
 */
export function matchBrackets(
t: readonly IToken[],
report: (code: string, message: string, span: Span, related?: readonly RelatedLocation[]) => void,
span: (token: IToken) => Span,
): { view: StatementView; unclosed: number } | undefined {
  let depth = 0;
  for (const token of t) {
    if (isOpener(token)) {
      if (++depth > maxNesting) {
        report(
          'NN1006',
          `Brackets are nested more than ${maxNesting} deep here; netc reads at most ${maxNesting} levels of \`(\` and \`{\`, so this statement is skipped.`,
          span(token),
        );
        return undefined;
      }
    } else if (isCloser(token) && depth > 0) {
      depth--;
    }
  }
  const close = new Int32Array(t.length).fill(-1);
  const closer = new Uint8Array(t.length);
  const stack: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const token = t[i]!;
    if (isOpener(token)) {
      stack.push(i);
      continue;
    }
    if (!isCloser(token)) continue;
    if (stack.length === 0) {
      closer[i] = 2;
      const opener = token.tokenType === RParen ? '(' : '{';
      report('NN1007', `\`${token.image}\` closes nothing: no \`${opener}\` before it is still open; delete it.`, span(token));
      continue;
    }
    // The innermost open bracket of the same kind; those opened after it were left open.
    let match = stack.length - 1;
    while (match >= 0 && closerOf(t[stack[match]!]!) !== token.image) match--;
    if (match < 0) {
      const top = stack.pop()!;
      const opener = t[top]!;
      report(
        'NN1007',
        `\`${token.image}\` cannot close the \`${opener.image}\` opened at ${position(opener)}; write \`${closerOf(opener)}\`.`,
        span(token),
        [{ message: `\`${opener.image}\` opened here`, span: span(opener) }],
      );
      close[top] = i;
      closer[i] = 1;
      continue;
    }
    for (let k = stack.length - 1; k > match; k--) {
      const opener = t[stack[k]!]!;
      const outer = t[stack[match]!]!;
      report(
        'NN1007',
        `\`${opener.image}\` is never closed: the \`${token.image}\` at ${position(token)} closes the \`${outer.image}\` opened before it; add \`${closerOf(opener)}\` before that \`${token.image}\`.`,
        span(opener),
        [{ message: `\`${token.image}\` closes the \`${outer.image}\` here`, span: span(token) }],
      );
    }
    close[stack[match]!] = i;
    closer[i] = 1;
    stack.length = match;
  }
  if (stack.length > 0) {
    const first = t[stack[0]!]!;
    const closers = stack
      .map((index) => closerOf(t[index]!))
      .reverse()
      .join('');
    const more = stack.length - 1;
    const others = more === 0 ? '' : `, nor ${more === 1 ? 'is the bracket' : `are the ${more} brackets`} opened after it`;
    report('NN1007', `\`${first.image}\` is never closed${others}; add \`${closers}\` where the statement should end.`, span(first));
  }
  return { view: { t, close, closer }, unclosed: stack.length };
}

/** The tokens `[from, to)` of a statement, without the closers that close nothing. */
export function unitTokens(v: StatementView, from: number, to: number): IToken[] {
  const tokens: IToken[] = [];
  for (let i = from; i < to; i++) if (v.closer[i] !== 2) tokens.push(v.t[i]!);
  return tokens;
}

/**
 * The ranges of a statement with a bracket left open, line by line: the lines it swallowed are read as the
 * statements they most likely are. A line break still continues after `|`, after a `def` header's `=` and inside
 * brackets that are closed; a bracket left open is closed where its line ends.
 */
export function splitLines(v: StatementView): [number, number][] {
  const t = v.t;
  const ranges: [number, number][] = [];
  let start = 0;
  let depth = 0;
  for (let i = 1; i <= t.length; i++) {
    const previous = t[i - 1]!;
    if (v.close[i - 1]! >= 0) depth++;
    else if (v.closer[i - 1] === 1) depth--;
    if (i < t.length) {
      if (depth > 0 || t[i]!.startLine === previous.startLine) continue;
      if (previous.tokenType === Pipe || (previous.tokenType === Equals && t[start]!.tokenType === Def)) continue;
      // `residual {` or `(` at the end of a line: the body is on the lines below.
      if (isOpener(previous)) continue;
    }
    ranges.push([start, i]);
    start = i;
  }
  return ranges;
}
