import type { IToken } from 'chevrotain';
import type { Diagnostic, Span } from '../diagnostics/Diagnostic.js';
import type { CommentNode, FileNode } from './ast.js';
import { DiagnosticSink } from './DiagnosticSink.js';
import { lexPart } from './lexer.js';
import { notTextDiagnostic } from './notText.js';
import { ParseDriver } from './ParseDriver.js';
import { endOfSource, lineBreaks, tokenSpan } from './spans.js';
import { StatementScanner } from './StatementScanner.js';

/** What `parse` returns: an AST (partial where the source has errors) and every syntax problem found. */
export interface ParseResult {
  readonly ast: FileNode;
  readonly diagnostics: Diagnostic[];
}

/** At most this many syntax diagnostics per file; one more (NN1005) says how many were left out. */
export const maxSyntaxDiagnostics = 100;

/**
 * Sources are lexed and parsed in parts of about this many characters, cut after a line break. Small parts let a
 * part's tokens and parse tree die young, which the garbage collector handles cheaply: measured on a 10 MB file,
 * 4 K-character parts take half the time of 16 K ones and a tenth of the memory of one part for the whole file.
 */
const partSize = 1 << 12;

/** A pipeline still open after this many tokens is read stage by stage as the file goes on. */
const absorbAfter = 4096;

/**
 * Parses a `.net` source text. Never throws on any input: problems come back as diagnostics (NN1001 syntax,
 * NN1002 unrecognised character, NN1003 not text, NN1004 malformed number, NN1005 too many errors, NN1006 brackets
 * nested too deep, NN1007 unbalanced brackets), and the AST holds every statement, stage and option that could be
 * read, so the checker can still report its own problems.
 */
export function parse(source: string): ParseResult {
  const end = endOfSource(source);
  const fileSpan: Span = { offset: 0, end: source.length, line: 1, column: 1, endLine: end.line, endColumn: end.column };
  const binary = notTextDiagnostic(source);
  if (binary !== undefined) return { ast: { kind: 'File', span: fileSpan, statements: [], comments: [] }, diagnostics: [binary] };

  // Chevrotain reports each syntax error as an Error; their stack traces are never shown and cost more than the
  // parse itself on a file with an error on every line.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseText(source, end, fileSpan);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function parseText(source: string, end: Span, fileSpan: Span): ParseResult {
  const sink = new DiagnosticSink(maxSyntaxDiagnostics);
  const driver = new ParseDriver(end, sink);
  const scanner = new StatementScanner();
  // Part by part, so that a 10 MB file never holds all its tokens and parse trees at once. Parts are cut after a
  // line break; a statement continued past the cut is carried over to the next part. Only new tokens are scanned
  // and carried ones are not copied, so a statement continued over a million lines stays linear.
  const comments: CommentNode[] = [];
  let carried: IToken[] = [];
  let offset = 0;
  let line = 1;
  while (offset < source.length) {
    const cut = source.indexOf('\n', offset + partSize);
    const stop = cut < 0 ? source.length : cut + 1;
    const text = source.slice(offset, stop);
    const lexed = lexPart(text, offset, line, end);
    sink.add(lexed.diagnostics);
    for (const comment of lexed.comments) comments.push({ kind: 'Comment', span: tokenSpan(comment, end), text: comment.image });
    const { tokens, complete } = scanner.scan(lexed.tokens);
    if (stop >= source.length) {
      driver.parseStatements(carried.length === 0 ? tokens : carried.concat(tokens), true, scanner.takeDeep());
    } else if (complete < 0) {
      for (const token of tokens) carried.push(token);
      if (carried.length > absorbAfter && scanner.openPipeline) carried = driver.absorbOpenPipeline(carried);
    } else {
      const done = tokens.slice(0, complete);
      driver.parseStatements(carried.length === 0 ? done : carried.concat(done), false, scanner.takeDeep());
      carried = tokens.slice(complete);
    }
    line += lineBreaks(text);
    offset = stop;
  }
  return { ast: { kind: 'File', span: fileSpan, statements: driver.statements, comments }, diagnostics: sink.result() };
}
