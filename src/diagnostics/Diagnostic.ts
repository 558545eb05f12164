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

/** One replacement in the source: `span`'s text becomes `text` (an empty span inserts at its offset). */
export interface SourceEdit {
  readonly span: Span;
  readonly text: string;
}

/** A change that resolves a diagnostic, for editors (a quick fix): its title, and its edits. */
export interface Fix {
  readonly title: string;
  readonly edits: readonly SourceEdit[];
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
  /** The change the message proposes, where it is one edit of this file (did you mean, add `flatten`, add `proj`). */
  readonly fix?: Fix;
}

/** A span covering nothing at the start of a file, for problems that belong to no token. */
export const startSpan: Span = { offset: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };

/** The empty span at the start of `span`: where an edit inserts before it. */
export function spanBefore(span: Span): Span {
  return { offset: span.offset, end: span.offset, line: span.line, column: span.column, endLine: span.line, endColumn: span.column };
}

/** The empty span at the end of `span`: where an edit inserts after it. */
export function spanAfter(span: Span): Span {
  return { offset: span.end, end: span.end, line: span.endLine, column: span.endColumn, endLine: span.endLine, endColumn: span.endColumn };
}

/** The fix that replaces the name at `span` with `name` (a did-you-mean). */
export function replaceFix(span: Span, written: string, name: string): Fix {
  return { title: `Replace \`${written}\` with \`${name}\``, edits: [{ span, text: name }] };
}

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
