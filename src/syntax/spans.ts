import type { IToken } from 'chevrotain';
import type { Span } from '../diagnostics/Diagnostic.js';

// The one place where chevrotain positions become netc spans. Chevrotain's end offsets and end columns are
// inclusive and its EOF token (and any token it invents) has NaN or -1 positions; a Span's end is exclusive and
// always a real position.

/** The empty span just after the last character of `source` (where EOF-related problems are reported). */
export function endOfSource(source: string): Span {
  const line = lineBreaks(source) + 1;
  const lastBreak = Math.max(source.lastIndexOf('\n'), source.lastIndexOf('\r'));
  const column = source.length - lastBreak;
  return { offset: source.length, end: source.length, line, column, endLine: line, endColumn: column };
}

/** How many line breaks `text` holds: `\r\n` is one, as are a lone `\r` and a lone `\n` (as the lexer and the code frame count). */
export function lineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) count++;
  }
  return count;
}

/** True when chevrotain gave `token` no real position (EOF, or a token invented by recovery). */
export function hasNoPosition(token: IToken): boolean {
  return !(token.startOffset >= 0) || !(token.startLine !== undefined && token.startLine >= 1);
}

/** The span of `token`; a token without a position gets `fallback` (usually the end of the source). */
export function tokenSpan(token: IToken, fallback: Span): Span {
  if (hasNoPosition(token)) return fallback;
  const offset = token.startOffset;
  const line = token.startLine ?? 1;
  const column = token.startColumn ?? 1;
  // No token runs over a line break except NEWLINE itself, whose span is kept on the line it ends; so the end
  // is always on the start line and the exclusive end column follows from the image's length.
  return { offset, end: offset + token.image.length, line, column, endLine: line, endColumn: column + token.image.length };
}

/** The span of characters `[from, to)` of a single-line token's image (a part of `1x28x28` or of `k3x5`). */
export function partSpan(token: IToken, from: number, to: number, fallback: Span): Span {
  const whole = tokenSpan(token, fallback);
  if (whole === fallback) return fallback;
  return {
    offset: whole.offset + from,
    end: whole.offset + to,
    line: whole.line,
    column: whole.column + from,
    endLine: whole.line,
    endColumn: whole.column + to,
  };
}
