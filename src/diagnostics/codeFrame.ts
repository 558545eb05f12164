import type { Span } from './Diagnostic.js';

/** Lines of context shown before the line a span starts on. */
const contextBefore = 1;
/** The longest source line a frame prints; longer lines are cut around the caret. */
const maxLineWidth = 120;
/** Tab stops in a printed frame: a tab is one column in a span but printed as blanks up to the next stop. */
const tabWidth = 4;

/**
 * A code frame: the span's line with `context` lines (one by default) before it, numbered, and a caret line
 * under the span.
 *
 *    6 | conv 16 k5 | bn | sigmoid | avgpool 2
 *    7 | dense 120 | bn | sigmoid
 *      | ^~~~~~~~~
 */
export function printCodeFrame(
  source: string,
  span: Span,
  lines: readonly string[] = splitLines(source),
  context: number = contextBefore,
): string {
  const lineIndex = Math.min(Math.max(span.line - 1, 0), Math.max(lines.length - 1, 0));
  const first = Math.max(0, lineIndex - context);
  const gutter = String(lineIndex + 1).length;
  const out: string[] = [];
  const raw = lines[lineIndex] ?? '';
  const text = expandTabs(raw);
  // Columns count characters; the frame prints tabs as blanks, so the caret goes where the character is shown.
  const startCol = displayColumn(raw, Math.max(0, span.column - 1));
  // A span that runs onto later lines is underlined to the end of its first line.
  const endCol =
    span.endLine === span.line ? Math.max(displayColumn(raw, Math.max(span.endColumn - 1, 0)), startCol + 1) : Math.max(text.length, startCol + 1);
  const cut = cutWindow(text.length, startCol);
  for (let i = first; i <= lineIndex; i++) {
    const other = expandTabs(lines[i] ?? '');
    const shown = i === lineIndex ? sliceVisible(text, cut) : sliceVisible(other, cutWindow(other.length, 0));
    out.push(`${String(i + 1).padStart(gutter + 2)} | ${shown}`);
  }
  const caretStart = startCol - cut.start + (cut.start > 0 ? 1 : 0);
  const caretLen = Math.max(1, Math.min(endCol, cut.end) - startCol);
  out.push(`${' '.repeat(gutter + 2)} | ${' '.repeat(Math.max(0, caretStart))}^${'~'.repeat(Math.max(0, caretLen - 1))}`);
  return out.join('\n');
}

/** Splits source text into lines, accepting \n, \r\n and \r; a byte-order mark is no part of line 1. */
export function splitLines(source: string): string[] {
  return (source.charCodeAt(0) === 0xfeff ? source.slice(1) : source).split(/\r\n|\r|\n/);
}

/** `line` with each tab replaced by blanks up to the next tab stop. */
function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const c of line) out += c === '\t' ? ' '.repeat(tabWidth - (out.length % tabWidth)) : c;
  return out;
}

/** Where character `column` (0-based, as spans count) of `line` is printed once its tabs are expanded. */
function displayColumn(line: string, column: number): number {
  if (!line.includes('\t')) return column;
  return expandTabs(line.slice(0, column)).length + Math.max(0, column - line.length);
}

interface Window {
  readonly start: number;
  readonly end: number;
  readonly length: number;
}

function cutWindow(length: number, focus: number): Window {
  if (length <= maxLineWidth) return { start: 0, end: length, length };
  const start = Math.max(0, Math.min(focus - 20, length - maxLineWidth));
  return { start, end: Math.min(length, start + maxLineWidth), length };
}

function sliceVisible(text: string, cut: Window): string {
  // Control characters would corrupt the terminal; show them as '?'.
  const clean = (s: string): string => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?');
  const body = clean(text.slice(cut.start, cut.end));
  return `${cut.start > 0 ? '…' : ''}${body}${cut.end < cut.length ? '…' : ''}`;
}
