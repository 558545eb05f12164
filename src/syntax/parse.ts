import type { CstNode, IRecognitionException, IToken } from 'chevrotain';
import { createTokenInstance, NotAllInputParsedException } from './chevrotain.js';
import type { Diagnostic, Span } from '../diagnostics/Diagnostic.js';
import type { FileNode, KeyValueArgNode, LayerNode, StatementNode } from './ast.js';
import { AstBuilder } from './buildAst.js';
import { lexPart, shorten } from './lexer.js';
import { describeToken, isEof, netParser, type NetParser, type SyntaxMessages } from './parser.js';
import { endOfSource, lineBreaks, tokenSpan } from './spans.js';
import { Equals, Identifier, Input, Model, Newline, Pipe, Train } from './tokens.js';

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

/** A pipeline still open after this many tokens is read layer by layer as the file goes on. */
const absorbAfter = 4096;

/**
 * Parses a `.net` source text. Never throws on any input: problems come back as diagnostics (NN1001 syntax,
 * NN1002 unrecognised character, NN1003 not text, NN1004 malformed number, NN1005 too many errors), and the AST
 * holds every statement, layer and option that could be read, so the checker can still report its own problems.
 */
export function parse(source: string): ParseResult {
  const end = endOfSource(source);
  const fileSpan: Span = { offset: 0, end: source.length, line: 1, column: 1, endLine: end.line, endColumn: end.column };
  const binary = notTextDiagnostic(source);
  if (binary !== undefined) return { ast: { kind: 'File', span: fileSpan, statements: [] }, diagnostics: [binary] };

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
  // Part by part, so that a 10 MB file never holds all its tokens and parse trees at once. Parts are cut after a
  // line break; a statement continued past the cut (its line ends in `|`) is carried over to the next part.
  let carried: IToken[] = [];
  let offset = 0;
  let line = 1;
  while (offset < source.length) {
    const cut = source.indexOf('\n', offset + partSize);
    const stop = cut < 0 ? source.length : cut + 1;
    const text = source.slice(offset, stop);
    const lexed = lexPart(text, offset, line, end);
    sink.add(lexed.diagnostics);
    const last = stop >= source.length;
    // Carried tokens end an open statement, so the scan of the new ones starts as after a `|`. Only new tokens
    // are scanned and carried ones are not copied, so a statement continued over a million lines stays linear.
    const complete = last ? lexed.tokens.length : completeStatementsLength(lexed.tokens, carried.length > 0);
    if (complete === 0 && !last) {
      for (const token of lexed.tokens) carried.push(token);
      if (carried.length > absorbAfter) carried = driver.absorbOpenPipeline(carried);
    } else {
      const done = lexed.tokens.slice(0, complete);
      driver.parseStatements(carried.length === 0 ? done : carried.concat(done), last);
      carried = lexed.tokens.slice(complete);
    }
    line += lineBreaks(text);
    offset = stop;
  }
  return { ast: { kind: 'File', span: fileSpan, statements: driver.statements }, diagnostics: sink.result() };
}

/**
 * How many leading tokens end complete statements (up to a line break that is not after a `|`); `continued` when
 * the tokens continue an open statement, `first` to stop at the end of the first statement.
 */
function completeStatementsLength(tokens: readonly IToken[], continued: boolean, first = false): number {
  let length = 0;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]!.tokenType;
    if (type !== Newline) {
      continued = type === Pipe;
    } else if (!continued) {
      length = i + 1;
      if (first) return length;
    }
  }
  return length;
}

/** One statement's tokens (continuation line breaks included) and the line break that ends it, if any. */
interface StatementTokens {
  readonly tokens: readonly IToken[];
  readonly end: IToken | undefined;
}

type UnitRule = 'statement' | 'layer' | 'keyValue';

/**
 * Runs the parser over a file. A file without syntax errors is parsed in one pass with the `file` rule. Otherwise
 * each statement is parsed on its own, pipelines one layer at a time and `train` one option at a time, so that one
 * run reports an error in every statement, layer and option, and keeps everything else in the AST.
 */
class ParseDriver {
  /** The statements read so far, in source order. */
  readonly statements: StatementNode[] = [];
  /** The layers read so far of a long pipeline that has not ended yet (see `absorbOpenPipeline`). */
  private open: { layers: LayerNode[] } | undefined;
  private readonly parser: NetParser;
  private readonly messages: SyntaxMessages;
  private readonly builder: AstBuilder;

  constructor(
    private readonly end: Span,
    private readonly sink: DiagnosticSink,
  ) {
    ({ parser: this.parser, messages: this.messages } = netParser());
    this.builder = new AstBuilder(end);
  }

  /** Parses complete statements; `last` when they run to the end of the file. */
  parseStatements(all: IToken[], last: boolean): void {
    const tokens = this.open === undefined ? all : this.closeOpenPipeline(all, this.open);
    if (tokens.length === 0) return;
    const end = this.end;
    // The end of the file ends the last statement as a line break would: the grammar sees one more NEWLINE.
    const input = last
      ? [...tokens, createTokenInstance(Newline, '', end.offset, end.offset, end.line, end.line, end.column, end.column)]
      : tokens;
    this.setInput(input, undefined, undefined);
    const cst = this.parser.file();
    if (this.parser.errors.length === 0 && cst !== undefined) {
      for (const node of cst.children['statement'] ?? []) this.statements.push(this.builder.statement(node as CstNode));
      return;
    }
    for (const statement of splitStatements(tokens)) {
      const node = this.recoverStatement(statement);
      if (node !== undefined) this.statements.push(node);
    }
  }

  private recoverStatement(statement: StatementTokens): StatementNode | undefined {
    const first = statement.tokens[0]!;
    if (first.tokenType === Identifier) return this.recoverPipeline(statement);
    if (first.tokenType === Train) return this.recoverTrain(statement);
    const { cst, error } = this.run('statement', statement.tokens, undefined, statement.end);
    if (error === undefined || error instanceof NotAllInputParsedException) {
      // Either clean, or `model NAME junk` / `input SHAPE junk`: the statement itself was read in full.
      if (cst !== undefined) return this.builder.statement(cst);
    }
    // `input` without a readable shape still counts as the input statement, so no "missing input" follows.
    return first.tokenType === Input ? this.builder.inputWithoutShape(first) : undefined;
  }

  /** pipeline = layer { "|" { NEWLINE } layer }, one layer at a time. */
  private recoverPipeline(statement: StatementTokens): StatementNode | undefined {
    const layers: LayerNode[] = [];
    this.readLayers(statement.tokens, layers, undefined, statement.end);
    return layers.length === 0 ? undefined : this.builder.pipelineFrom(layers);
  }

  /**
   * Reads the layers of a run of pipeline tokens split at its `|`, adding to `layers` those that parse and
   * reporting the others. `before` is the `|` just before the run, `after` the token just after it.
   */
  private readLayers(tokens: readonly IToken[], layers: LayerNode[], before: IToken | undefined, after: IToken | undefined): void {
    let start = 0;
    for (let i = 0; i <= tokens.length; i++) {
      const token = tokens[i];
      if (token !== undefined && token.tokenType !== Pipe) continue;
      const layerTokens = tokens.slice(start, i).filter((t) => t.tokenType !== Newline);
      const next = token ?? after;
      if (layerTokens.length === 0) {
        this.missingLayer(before, next);
      } else {
        const { cst, error } = this.run('layer', layerTokens, before, next);
        if (cst !== undefined && (error === undefined || error instanceof NotAllInputParsedException)) {
          layers.push(this.builder.layer(cst));
        }
      }
      before = token;
      start = i + 1;
    }
  }

  /**
   * A pipeline still open (its last line ends in `|`) after many lines: reads the layers it has so far and keeps
   * them until it ends, so that a statement continued over a whole file is parsed as it is read, not all at once.
   * `carried` is its tokens so far; returns those still to carry: its last `|` and the line breaks after it.
   */
  absorbOpenPipeline(carried: IToken[]): IToken[] {
    const continuing = this.open !== undefined;
    if (!continuing && carried[0]?.tokenType !== Identifier) return carried;
    let lastPipe = carried.length - 1;
    while (lastPipe > 0 && carried[lastPipe]!.tokenType !== Pipe) lastPipe--;
    if (lastPipe === 0) return carried;
    this.open ??= { layers: [] };
    this.readLayers(carried.slice(continuing ? 1 : 0, lastPipe), this.open.layers, continuing ? carried[0] : undefined, carried[lastPipe]);
    return carried.slice(lastPipe);
  }

  /** Ends an open pipeline with the first statement of `tokens` (which starts at its last `|`); returns the rest. */
  private closeOpenPipeline(tokens: IToken[], open: { layers: LayerNode[] }): IToken[] {
    const length = completeStatementsLength(tokens, true, true);
    const ended = length > 0;
    const run = ended ? tokens.slice(0, length - 1) : tokens;
    this.readLayers(run.slice(1), open.layers, run[0], ended ? tokens[length - 1] : undefined);
    if (open.layers.length > 0) this.statements.push(this.builder.pipelineFrom(open.layers));
    this.open = undefined;
    return ended ? tokens.slice(length) : [];
  }

  /** A `|` with no layer after it: before another `|`, or at the end of the file (reported at the `|`). */
  private missingLayer(pipe: IToken | undefined, after: IToken | undefined): void {
    if (pipe !== undefined && after === undefined) {
      this.report(
        'The file ends after `|`, so the pipeline has no layer after it; add a layer or delete the `|`.',
        tokenSpan(pipe, this.end),
      );
      return;
    }
    const at = after === undefined ? this.end : tokenSpan(after, this.end);
    this.report(`Expected a layer name${pipe === undefined ? '' : ' after `|`'} but found ${describeToken(after)}.`, at);
  }

  /** trainStatement = "train" { keyValue }, one option at a time; an option starts at a name not after `=`. */
  private recoverTrain(statement: StatementTokens): StatementNode {
    const tokens = statement.tokens;
    const options: KeyValueArgNode[] = [];
    let start = 1;
    for (let i = 2; i <= tokens.length; i++) {
      const token = tokens[i];
      if (token !== undefined && !(token.tokenType === Identifier && tokens[i - 1]!.tokenType !== Equals)) continue;
      const { cst, error } = this.run('keyValue', tokens.slice(start, i), tokens[start - 1], token ?? statement.end);
      if (cst !== undefined && (error === undefined || error instanceof NotAllInputParsedException)) {
        options.push(this.builder.keyValue(cst));
      }
      start = i;
    }
    return this.builder.trainFrom(tokens[0]!, options);
  }

  /** Parses one unit with `rule`, reporting its error (at most one: recovery happens between units). */
  private run(
    rule: UnitRule,
    tokens: readonly IToken[],
    before: IToken | undefined,
    after: IToken | undefined,
  ): { cst: CstNode | undefined; error: IRecognitionException | undefined } {
    if (tokens.length === 0) return { cst: undefined, error: undefined };
    this.setInput([...tokens], before, after);
    const cst: CstNode | undefined = this.parser[rule]();
    const error = this.parser.errors[0];
    if (error !== undefined) {
      const at = isEof(error.token) ? after : error.token;
      const message =
        error instanceof NotAllInputParsedException ? extraTokenMessage(rule, tokens, error.token) : error.message;
      this.report(message, at === undefined ? this.end : tokenSpan(at, this.end));
    }
    return { cst, error };
  }

  private setInput(tokens: IToken[], before: IToken | undefined, after: IToken | undefined): void {
    this.parser.input = tokens;
    this.messages.before = before;
    this.messages.after = after;
  }

  private report(message: string, span: Span): void {
    this.sink.push({ code: 'NN1001', severity: 'error', message, span });
  }
}

/** Splits a token stream at the line breaks that end statements (not those after a trailing `|`). */
function splitStatements(tokens: readonly IToken[]): StatementTokens[] {
  const statements: StatementTokens[] = [];
  let current: IToken[] = [];
  let continued = false;
  for (const token of tokens) {
    if (token.tokenType !== Newline) {
      current.push(token);
      continued = token.tokenType === Pipe;
    } else if (current.length > 0) {
      if (continued) {
        current.push(token);
      } else {
        statements.push({ tokens: current, end: token });
        current = [];
      }
    }
  }
  if (current.length > 0) statements.push({ tokens: current, end: undefined });
  return statements;
}

/** The message for tokens left over after a complete unit: what could have come there instead. */
function extraTokenMessage(rule: UnitRule, tokens: readonly IToken[], extra: IToken): string {
  const index = tokens.indexOf(extra);
  const previous = index > 0 ? tokens[index - 1] : undefined;
  const after = previous === undefined ? '' : ` after ${describeToken(previous)}`;
  const found = describeToken(extra);
  switch (rule) {
    case 'layer': {
      let hint = '';
      if (extra.tokenType === Identifier) {
        const name = shorten(extra.image);
        hint = `; put \`|\` before \`${name}\` if it starts a new layer, or write \`${name}=VALUE\` if it is an option`;
      }
      else if (extra.tokenType === Model || extra.tokenType === Input || extra.tokenType === Train) {
        hint = `; \`${extra.image}\` starts a statement of its own, on a new line`;
      } else if (extra.tokenType === Equals) hint = '; options are written `key=value`, as in `pad=same`';
      return `Expected an argument, \`|\` or the end of the line${after} but found ${found}${hint}.`;
    }
    case 'keyValue':
      return `Expected another \`key=value\` option or the end of the line${after} but found ${found}.`;
    case 'statement': {
      const first = tokens[0]?.tokenType;
      const hint =
        first === Model
          ? '; a model has a one-word name'
          : first === Input
            ? '; write the whole shape joined by `x`, as in `1x28x28`'
            : '';
      return `Expected the end of the line${after} but found ${found}${hint}.`;
    }
  }
}

/** NN1003 for a file that is not text: a NUL byte, or mostly control characters and undecodable bytes. */
function notTextDiagnostic(source: string): Diagnostic | undefined {
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

/**
 * Keeps the first `max` diagnostics by position, with one NN1005 for the rest. Memory stays bounded on junk
 * input: whenever many are held, only the first `max` by position are kept and the others are just counted.
 */
class DiagnosticSink {
  private held: Diagnostic[] = [];
  private dropped = 0;

  constructor(private readonly max: number) {}

  push(diagnostic: Diagnostic): void {
    this.held.push(diagnostic);
    if (this.held.length > 4 * this.max) this.trim();
  }

  add(diagnostics: readonly Diagnostic[]): void {
    for (const diagnostic of diagnostics) this.push(diagnostic);
  }

  /** The kept diagnostics in source order, and NN1005 at the first one left out, if any were. */
  result(): Diagnostic[] {
    const firstDropped = this.held.length > this.max ? this.held.sort(byPosition)[this.max] : undefined;
    this.trim();
    if (this.dropped === 0) return this.held;
    const span = firstDropped?.span ?? this.held[this.held.length - 1]!.span;
    const n = this.dropped;
    return [
      ...this.held,
      {
        code: 'NN1005',
        severity: 'error',
        message: `${n} more syntax ${n === 1 ? 'error is' : 'errors are'} not shown; fix the ones above and check again.`,
        span,
      },
    ];
  }

  private trim(): void {
    this.held.sort(byPosition);
    if (this.held.length > this.max) {
      this.dropped += this.held.length - this.max;
      this.held.length = this.max;
    }
  }
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.span.offset - b.span.offset;
}
