import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import type { Analyzed } from './document.js';

/** The document's diagnostics as the protocol has them: UTF-16 ranges, NN codes, related locations. */
export function toLspDiagnostics(doc: Analyzed): LspDiagnostic[] {
  return doc.analysis.diagnostics.map((d) => toLspDiagnostic(doc, d));
}

/** One diagnostic; a related location in another file keeps its line and column (that file is not open here). */
export function toLspDiagnostic(doc: Analyzed, d: Diagnostic): LspDiagnostic {
  const related = (d.related ?? []).map((r) => ({
    location: {
      uri: r.file === undefined ? doc.uri : r.file,
      range: r.file === undefined ? doc.lines.range(r.span.offset, r.span.end) : fileRange(r.span),
    },
    message: r.message,
  }));
  return {
    range: doc.lines.range(d.span.offset, d.span.end),
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'netc',
    message: d.message,
    ...(related.length > 0 ? { relatedInformation: related } : {}),
  };
}

function fileRange(span: Diagnostic['span']): LspDiagnostic['range'] {
  return {
    start: { line: span.line - 1, character: span.column - 1 },
    end: { line: span.endLine - 1, character: span.endColumn - 1 },
  };
}
