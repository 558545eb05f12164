/** A source range: 0-based offsets (end exclusive), 1-based lines and columns (end exclusive). */
export interface Span {
  readonly offset: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** How bad a diagnostic is. */
export type Severity = 'error' | 'warning';

/** A second location that explains a diagnostic (for example the line of a block definition). */
export interface RelatedLocation {
  readonly message: string;
  readonly span: Span;
  /** The file the related span is in, when it is not the diagnostic's own file. */
  readonly file?: string;
}

/** One problem found in any phase: syntax, names, shapes, compile, data, training. */
export interface Diagnostic {
  /** Stable code such as `NN3001`: NN1xxx syntax, NN2xxx names/values, NN3xxx shapes, NN4xxx compile/backend, NN5xxx data/training, NN6xxx contracts. */
  readonly code: string;
  readonly severity: Severity;
  /** A whole sentence with quoted names, the numbers that explain it and a fix where one exists. */
  readonly message: string;
  readonly span: Span;
  readonly related?: readonly RelatedLocation[];
}

/** A span covering nothing at the start of a file, for problems that belong to no token. */
export const startSpan: Span = { offset: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };

/** The smallest span that covers both `a` and `b`. */
export function joinSpans(a: Span, b: Span): Span {
  const first = a.offset <= b.offset ? a : b;
  const last = a.end >= b.end ? a : b;
  return {
    offset: first.offset,
    end: last.end,
    line: first.line,
    column: first.column,
    endLine: last.endLine,
    endColumn: last.endColumn,
  };
}
