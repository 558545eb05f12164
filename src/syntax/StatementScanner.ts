import type { IToken } from 'chevrotain';
import { maxNesting } from './brackets.js';
import { isStatementKeyword } from './parser.js';
import { isCloser, isOpener, isStageStart } from './tokenKinds.js';
import { Def, Equals, Newline, Pipe } from './tokens.js';

/**
 * Finds where statements end, part by part, and drops the line breaks that do not end one: after a `|`, after the
 * `=` of a `def` header, and inside brackets (in a pipeline or a `def`). What it returns has a NEWLINE only where a
 * statement ends or a line is blank, which is what the grammar reads. A bracket left open swallows the lines after
 * it, up to a line that starts with a statement keyword: that line cannot be inside brackets, so the statement is
 * ended before it and the parse driver reports the bracket.
 */
export class StatementScanner {
  private depth = 0;
  private empty = true;
  /** Brackets count in pipelines and `def`s only: a stray `(` in `input` must not swallow the file. */
  private brackets = false;
  private pipeline = false;
  private def = false;
  /** In a `def` before its header's `=`. */
  private defHeader = false;
  private continued = false;
  private lastPipe = false;
  /** A line break inside brackets, held until the next token shows whether the bracket was left open. */
  private pending: IToken | undefined;
  private deepStatement = false;
  private deepBatch = false;

  /** True when the statement being read is a pipeline or a `def` body left open by a `|` ending its last line. */
  get openPipeline(): boolean {
    return (this.pipeline || (this.def && !this.defHeader)) && this.depth === 0 && this.lastPipe;
  }

  /** Whether the statements handed over since the last call may nest brackets deeper than `maxNesting`. */
  takeDeep(): boolean {
    const deep = this.deepBatch;
    this.deepBatch = this.deepStatement;
    return deep;
  }

  /** The tokens without continuing line breaks, and how many of them make complete statements (-1: none). */
  scan(tokens: readonly IToken[]): { tokens: IToken[]; complete: number } {
    const out: IToken[] = [];
    let complete = -1;
    for (const token of tokens) {
      if (token.tokenType === Newline) {
        if (this.empty) {
          out.push(token);
          complete = out.length;
        } else if (this.depth > 0) {
          this.pending ??= token;
        } else if (!this.continued) {
          out.push(token);
          complete = out.length;
          this.reset();
        }
        continue;
      }
      if (this.pending !== undefined) {
        const newline = this.pending;
        this.pending = undefined;
        if (isStatementKeyword(token)) {
          out.push(newline);
          complete = out.length;
          this.reset();
        }
      }
      this.read(token);
      out.push(token);
    }
    return { tokens: out, complete };
  }

  private read(token: IToken): void {
    const type = token.tokenType;
    if (this.empty) {
      this.empty = false;
      this.def = type === Def;
      this.defHeader = this.def;
      this.pipeline = isStageStart(token);
      this.brackets = this.def || this.pipeline;
    }
    if (this.brackets && isOpener(token)) {
      this.depth++;
      if (this.depth > maxNesting && !this.deepStatement) {
        this.deepStatement = true;
        this.deepBatch = true;
      }
    } else if (this.brackets && isCloser(token) && this.depth > 0) {
      this.depth--;
    }
    this.lastPipe = type === Pipe;
    this.continued = this.lastPipe || (this.defHeader && type === Equals && this.depth === 0);
    if (type === Equals && this.depth === 0) this.defHeader = false;
  }

  private reset(): void {
    this.depth = 0;
    this.empty = true;
    this.brackets = false;
    this.pipeline = false;
    this.def = false;
    this.defHeader = false;
    this.continued = false;
    this.lastPipe = false;
    this.pending = undefined;
    this.deepStatement = false;
  }
}

/** One statement's tokens (no line breaks) and the line break that ends it, if any. */
export interface StatementTokens {
  readonly tokens: readonly IToken[];
  readonly end: IToken | undefined;
}

/** Splits a token stream at its line breaks: the scanner has left one only where a statement ends. */
export function splitStatements(tokens: readonly IToken[]): StatementTokens[] {
  const statements: StatementTokens[] = [];
  let current: IToken[] = [];
  for (const token of tokens) {
    if (token.tokenType !== Newline) {
      current.push(token);
    } else if (current.length > 0) {
      statements.push({ tokens: current, end: token });
      current = [];
    }
  }
  if (current.length > 0) statements.push({ tokens: current, end: undefined });
  return statements;
}
