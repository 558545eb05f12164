import type { Diagnostic, Span } from '../diagnostics/Diagnostic.js';
import { endOfSource } from './spans.js';

/** NN1003 for a file that is not text: a NUL byte, or mostly control characters and undecodable bytes. */
export function notTextDiagnostic(source: string): Diagnostic | undefined {
  const nul = source.indexOf('\0');
  let offset = nul;
  let why = 'it contains NUL bytes';
  if (nul < 0) {
    const sample = Math.min(source.length, 8192);
    let count = 0;
    let first = -1;
    for (let i = 0; i < sample; i++) {
      const c = source.charCodeAt(i);
      // Control characters other than tab, line feed, vertical tab, form feed and carriage return, and U+FFFD,
      // which is what Node decodes bytes that are not UTF-8 to.
      if ((c < 32 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13) || c === 127 || c === 0xfffd) {
        count++;
        if (first < 0) first = i;
      }
    }
    if (count < 8 || count * 10 < sample) return undefined;
    offset = first;
    why = `${count} of its first ${sample} characters are control characters or bytes that are not UTF-8`;
  }
  const span = pointSpan(source, offset);
  return {
    code: 'NN1003',
    severity: 'error',
    message: `This file is not text (${why}); a .net file is plain UTF-8 text.`,
    span,
  };
}

/** The one-character span at `offset`. */
function pointSpan(source: string, offset: number): Span {
  const start = endOfSource(source.slice(0, offset));
  return { ...start, end: offset + 1, endColumn: start.column + 1 };
}
