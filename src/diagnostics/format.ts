import type { Diagnostic } from './Diagnostic.js';
import { printCodeFrame, splitLines } from './codeFrame.js';

/** The JSON form of one diagnostic, as `netc check --format json` prints it. */
export interface DiagnosticJson {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  readonly related?: readonly { file: string; line: number; column: number; message: string }[];
}

/** Sorts diagnostics by position, errors before warnings at the same place. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.span.offset - b.span.offset || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}

/** `file:line:col - error NN3001: message` followed by a code frame, one block per diagnostic. */
export function formatDiagnosticsText(file: string, source: string, diagnostics: readonly Diagnostic[]): string {
  const lines = splitLines(source);
  return sortDiagnostics(diagnostics)
    .map((d) => {
      const head = `${file}:${d.span.line}:${d.span.column} - ${d.severity} ${d.code}: ${d.message}`;
      // Related locations are indented under the diagnostic and show their line alone, so a chain of them (a
      // block used inside a block) reads as notes on the error rather than as further errors.
      const related = (d.related ?? []).map((r) => {
        const frame = printCodeFrame(source, r.span, lines, 0).replace(/^/gm, '  ');
        return `\n  ${r.file ?? file}:${r.span.line}:${r.span.column} - ${r.message}\n${frame}`;
      });
      return `${head}\n${printCodeFrame(source, d.span, lines)}${related.join('')}\n`;
    })
    .join('\n');
}

/** The JSON objects for one file's diagnostics. */
export function toDiagnosticsJson(file: string, diagnostics: readonly Diagnostic[]): DiagnosticJson[] {
  return sortDiagnostics(diagnostics).map((d) => ({
    file,
    line: d.span.line,
    column: d.span.column,
    endLine: d.span.endLine,
    endColumn: d.span.endColumn,
    severity: d.severity,
    code: d.code,
    message: d.message,
    ...(d.related && d.related.length > 0
      ? {
          related: d.related.map((r) => ({ file: r.file ?? file, line: r.span.line, column: r.span.column, message: r.message })),
        }
      : {}),
  }));
}

/** "2 errors and 1 warning", "99,551 warnings", "no problems". */
export function describeCounts(errors: number, warnings: number): string {
  const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
  if (errors === 0 && warnings === 0) return 'no problems';
  if (warnings === 0) return plural(errors, 'error');
  if (errors === 0) return plural(warnings, 'warning');
  return `${plural(errors, 'error')} and ${plural(warnings, 'warning')}`;
}
