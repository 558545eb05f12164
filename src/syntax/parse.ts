import type { CstNode, IRecognitionException, IToken } from 'chevrotain';
import { createTokenInstance, NotAllInputParsedException, tokenMatcher } from './chevrotain.js';
import type { Diagnostic, RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
import type { DefNode, FileNode, IdentNode, KeyValueArgNode, ParamNode, StageNode, StatementNode } from './ast.js';
import { AstBuilder } from './buildAst.js';
import { lexPart, shorten } from './lexer.js';
import { describeToken, isEof, isStatementKeyword, netParser, type NetParser, type SyntaxMessages } from './parser.js';
import { endOfSource, lineBreaks, tokenSpan } from './spans.js';
import {
  Comma,
  Def,
  Equals,
  Expect,
  Identifier,
  Input,
  LBrace,
  LParen,
  Model,
  Newline,
  Pipe,
  Proj,
  RBrace,
  Repeat,
  Residual,
  RParen,
  Times,
  Train,
} from './tokens.js';

/** What `parse` returns: an AST (partial where the source has errors) and every syntax problem found. */
export interface ParseResult {
  readonly ast: FileNode;
  readonly diagnostics: Diagnostic[];
}

/** At most this many syntax diagnostics per file; one more (NN1005) says how many were left out. */
export const maxSyntaxDiagnostics = 100;

/**
 * Brackets, `(` and `{` together, nest at most this deep (NN1006). The parser descends one level of its own
 * stack per bracket, and measured, it runs out at about twice this depth on Node's default stack; no network
 * needs more than a handful of levels.
 */
export const maxNesting = 256;

/**
 * Sources are lexed and parsed in parts of about this many characters, cut after a line break. Small parts let a
 * part's tokens and parse tree die young, which the garbage collector handles cheaply: measured on a 10 MB file,
 * 4 K-character parts take half the time of 16 K ones and a tenth of the memory of one part for the whole file.
 */
const partSize = 1 << 12;

/** A pipeline still open after this many tokens is read stage by stage as the file goes on. */
const absorbAfter = 4096;

/**
 * Statements handed over with more tokens than this (a `def` body or a bracket over thousands of lines) are read
 * stage by stage, as the recovery does: one parse tree for the whole run would hold millions of nodes at once.
 */
const onePassLimit = 1 << 16;

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
  const scanner = new StatementScanner();
  // Part by part, so that a 10 MB file never holds all its tokens and parse trees at once. Parts are cut after a
  // line break; a statement continued past the cut is carried over to the next part. Only new tokens are scanned
  // and carried ones are not copied, so a statement continued over a million lines stays linear.
  let carried: IToken[] = [];
  let offset = 0;
  let line = 1;
  while (offset < source.length) {
    const cut = source.indexOf('\n', offset + partSize);
    const stop = cut < 0 ? source.length : cut + 1;
    const text = source.slice(offset, stop);
    const lexed = lexPart(text, offset, line, end);
    sink.add(lexed.diagnostics);
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
  return { ast: { kind: 'File', span: fileSpan, statements: driver.statements }, diagnostics: sink.result() };
}

/** True for `(` and `{`. */
function isOpener(token: IToken): boolean {
  return token.tokenType === LParen || token.tokenType === LBrace;
}

/** True for `)` and `}`. */
function isCloser(token: IToken): boolean {
  return token.tokenType === RParen || token.tokenType === RBrace;
}

/** The closer that matches an opener. */
function closerOf(opener: IToken): string {
  return opener.tokenType === LParen ? ')' : '}';
}

/** True for any name: an IDENTIFIER, and the words `x` and `proj` outside their special places. */
function isName(token: IToken | undefined): boolean {
  return token !== undefined && tokenMatcher(token, Identifier);
}

/** True for a token that can start a stage: a layer or block name, `(` or `residual`. */
function isStageStart(token: IToken | undefined): boolean {
  return (
    token !== undefined && (isName(token) || token.tokenType === LParen || token.tokenType === Residual || token.tokenType === Expect)
  );
}

/**
 * Finds where statements end, part by part, and drops the line breaks that do not end one: after a `|`, after the
 * `=` of a `def` header, and inside brackets (in a pipeline or a `def`). What it returns has a NEWLINE only where a
 * statement ends or a line is blank, which is what the grammar reads. A bracket left open swallows the lines after
 * it, up to a line that starts with a statement keyword: that line cannot be inside brackets, so the statement is
 * ended before it and the parse driver reports the bracket.
 */
class StatementScanner {
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

/** A long pipeline being read as the file goes on: its stages so far, and the header when it is a `def` body. */
interface OpenPipeline {
  readonly stages: StageNode[];
  readonly def?: DefHeader | undefined;
}

/** What a `def` has before its body. */
interface DefHeader {
  readonly keyword: IToken;
  readonly name: IdentNode;
  readonly params: ParamNode[];
}

/** One statement's tokens (no line breaks) and the line break that ends it, if any. */
interface StatementTokens {
  readonly tokens: readonly IToken[];
  readonly end: IToken | undefined;
}

/** A statement's tokens with its brackets matched; the recovery reads it by index ranges. */
interface StatementView {
  readonly t: readonly IToken[];
  /** For an opener, the index of the bracket that closes it; -1 for an opener left open and for other tokens. */
  readonly close: Int32Array;
  /** 1 for a closer that closes a bracket, 2 for one that closes nothing (reported, then left out of every unit). */
  readonly closer: Uint8Array;
}

type UnitRule = 'statement' | 'stage' | 'keyValue' | 'parameter' | 'blockArgument' | 'repetition';

/**
 * Runs the parser over a file. A file without syntax errors is parsed in one pass with the `file` rule. Otherwise
 * each statement is parsed on its own: a pipeline one stage at a time (inside a group, a residual body or a
 * `def`'s body too), `train` one option at a time, a `def` header one parameter at a time and a block use one
 * argument at a time, so that one run reports an error in each of them and keeps everything else in the AST.
 */
class ParseDriver {
  /** The statements read so far, in source order. */
  readonly statements: StatementNode[] = [];
  /** The stages read so far of a long pipeline or `def` body that has not ended yet (see `absorbOpenPipeline`). */
  private open: OpenPipeline | undefined;
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

  /** Parses complete statements; `last` when they run to the end of the file; `deep` when brackets may nest too deep. */
  parseStatements(all: IToken[], last: boolean, deep: boolean): void {
    const tokens = this.open === undefined ? all : this.closeOpenPipeline(all, this.open);
    if (tokens.length === 0) return;
    // Too deep a nesting would overflow the parser's stack: such statements go to the recovery, which reports them.
    if (!deep && tokens.length <= onePassLimit) {
      const end = this.end;
      // The end of the file ends the last statement as a line break would: the grammar sees one more NEWLINE.
      const input = last
        ? [...tokens, createTokenInstance(Newline, '', end.offset, end.offset, end.line, end.line, end.column, end.column)]
        : tokens;
      this.setInput(input, undefined, undefined);
      const cst = this.parser.file();
      if (this.parser.errors.length === 0 && cst !== undefined) {
        for (const node of cst.children['statement'] ?? []) this.push(this.builder.statement(node as CstNode));
        return;
      }
    }
    for (const statement of splitStatements(tokens)) this.recoverStatement(statement);
  }

  private push(statement: StatementNode | undefined): void {
    if (statement === undefined) return;
    if (statement.kind === 'Def') this.checkDef(statement);
    this.statements.push(statement);
  }

  private recoverStatement(statement: StatementTokens): void {
    const tokens = statement.tokens;
    const first = tokens[0]!;
    if (first.tokenType === Def || isStageStart(first)) {
      const matched = this.matchBrackets(tokens);
      if (matched === undefined) return;
      if (matched.unclosed === 0) {
        this.push(this.recoverRange(matched.view, 0, tokens.length, statement.end));
        return;
      }
      // A bracket left open swallowed the lines after it: read them line by line instead (see `splitLines`).
      for (const [from, to] of splitLines(matched.view)) {
        const last = tokens[to - 1]!;
        const lineEnd = to === tokens.length ? statement.end : endOfLine(last);
        this.push(this.recoverRange(matched.view, from, to, lineEnd));
      }
      return;
    }
    this.push(this.recoverOther(tokens, statement.end));
  }

  /** Reads one statement (or one line of a statement with a bracket left open): tokens `[from, to)` of `v`. */
  private recoverRange(v: StatementView, from: number, to: number, after: IToken | undefined): StatementNode | undefined {
    const first = v.t[from]!;
    if (first.tokenType === Def) return this.recoverDef(v, from, to, after);
    if (isStageStart(first)) {
      const stages = this.recoverPipeline(v, from, to, undefined, after, false);
      return stages.length === 0 ? undefined : this.builder.pipelineFrom(stages);
    }
    return this.recoverOther(unitTokens(v, from, to), after);
  }

  /** `model`, `input`, `train`, or something that starts no statement. */
  private recoverOther(tokens: readonly IToken[], after: IToken | undefined): StatementNode | undefined {
    const first = tokens[0];
    if (first === undefined) return undefined;
    if (first.tokenType === Train) return this.recoverTrain(tokens, after);
    const { cst, error } = this.run('statement', tokens, undefined, after);
    if (error === undefined || error instanceof NotAllInputParsedException) {
      // Either clean, or `model NAME junk` / `input SHAPE junk`: the statement itself was read in full.
      if (cst !== undefined) return this.builder.statement(cst);
    }
    // `input` without a readable shape still counts as the input statement, so no "missing input" follows.
    return first.tokenType === Input ? this.builder.inputWithoutShape(first) : undefined;
  }

  /**
   * Matches the brackets of a statement and reports those that do not match (NN1007), or reports a nesting
   * deeper than `maxNesting` (NN1006) and returns nothing: such a statement is dropped whole.
   */
  private matchBrackets(t: readonly IToken[]): { view: StatementView; unclosed: number } | undefined {
    let depth = 0;
    for (const token of t) {
      if (isOpener(token)) {
        if (++depth > maxNesting) {
          this.report(
            'NN1006',
            `Brackets are nested more than ${maxNesting} deep here; netc reads at most ${maxNesting} levels of \`(\` and \`{\`, so this statement is skipped.`,
            this.span(token),
          );
          return undefined;
        }
      } else if (isCloser(token) && depth > 0) {
        depth--;
      }
    }
    const close = new Int32Array(t.length).fill(-1);
    const closer = new Uint8Array(t.length);
    const stack: number[] = [];
    for (let i = 0; i < t.length; i++) {
      const token = t[i]!;
      if (isOpener(token)) {
        stack.push(i);
        continue;
      }
      if (!isCloser(token)) continue;
      if (stack.length === 0) {
        closer[i] = 2;
        const opener = token.tokenType === RParen ? '(' : '{';
        this.report('NN1007', `\`${token.image}\` closes nothing: no \`${opener}\` before it is still open; delete it.`, this.span(token));
        continue;
      }
      // The innermost open bracket of the same kind; those opened after it were left open.
      let match = stack.length - 1;
      while (match >= 0 && closerOf(t[stack[match]!]!) !== token.image) match--;
      if (match < 0) {
        const top = stack.pop()!;
        const opener = t[top]!;
        this.report(
          'NN1007',
          `\`${token.image}\` cannot close the \`${opener.image}\` opened at ${position(opener)}; write \`${closerOf(opener)}\`.`,
          this.span(token),
          [{ message: `\`${opener.image}\` opened here`, span: this.span(opener) }],
        );
        close[top] = i;
        closer[i] = 1;
        continue;
      }
      for (let k = stack.length - 1; k > match; k--) {
        const opener = t[stack[k]!]!;
        const outer = t[stack[match]!]!;
        this.report(
          'NN1007',
          `\`${opener.image}\` is never closed: the \`${token.image}\` at ${position(token)} closes the \`${outer.image}\` opened before it; add \`${closerOf(opener)}\` before that \`${token.image}\`.`,
          this.span(opener),
          [{ message: `\`${token.image}\` closes the \`${outer.image}\` here`, span: this.span(token) }],
        );
      }
      close[stack[match]!] = i;
      closer[i] = 1;
      stack.length = match;
    }
    if (stack.length > 0) {
      const first = t[stack[0]!]!;
      const closers = stack
        .map((index) => closerOf(t[index]!))
        .reverse()
        .join('');
      const more = stack.length - 1;
      const others = more === 0 ? '' : `, nor ${more === 1 ? 'is the bracket' : `are the ${more} brackets`} opened after it`;
      this.report('NN1007', `\`${first.image}\` is never closed${others}; add \`${closers}\` where the statement should end.`, this.span(first));
    }
    return { view: { t, close, closer }, unclosed: stack.length };
  }

  /**
   * pipeline = stage { "|" stage }, one stage at a time: tokens `[from, to)` of `v` split at the `|` outside
   * brackets. `before` is the token just before the range, `after` the one just after it. `quietEmpty` when the
   * range is the body of a bracket left open (already reported), so an empty body is not reported again.
   */
  private recoverPipeline(
    v: StatementView,
    from: number,
    to: number,
    before: IToken | undefined,
    after: IToken | undefined,
    quietEmpty: boolean,
  ): StageNode[] {
    const stages: StageNode[] = [];
    const t = v.t;
    if (from >= to) {
      if (!quietEmpty) this.missingStage(before, after);
      return stages;
    }
    let start = from;
    let previous = before;
    for (let i = from; i <= to; i++) {
      if (i < to) {
        const closeAt = v.close[i]!;
        if (closeAt > i && closeAt < to) {
          i = closeAt;
          continue;
        }
        // A bracket left open (reported) takes the rest of the range: its `|` are its own.
        if (isOpener(t[i]!)) {
          i = to - 1;
          continue;
        }
        if (t[i]!.tokenType !== Pipe) continue;
      }
      const next = i < to ? t[i] : after;
      const stage = this.recoverStage(v, start, i, previous, next);
      if (stage !== undefined) stages.push(stage);
      previous = t[i];
      start = i + 1;
    }
    return stages;
  }

  /** One stage: tokens `[from, to)` of `v`, between `before` and `after`. */
  private recoverStage(v: StatementView, from: number, to: number, before: IToken | undefined, after: IToken | undefined): StageNode | undefined {
    const t = v.t;
    let first = from;
    while (first < to && v.closer[first] === 2) first++;
    if (first >= to) {
      // A stage of nothing but brackets that close nothing has been reported already.
      if (first === from) this.missingStage(before, after);
      return undefined;
    }
    const token = t[first]!;
    if (token.tokenType === LParen) return this.recoverGroup(v, first, to, after);
    if (token.tokenType === Residual) return this.recoverResidual(v, first, to, after);
    let second = first + 1;
    while (second < to && v.closer[second] === 2) second++;
    if (isName(token) && t[second]?.tokenType === LParen && second < to) return this.recoverBlockUse(v, first, second, to, after);
    // A layer, perhaps repeated: no brackets inside, so chevrotain reads it without descending.
    const { cst, error } = this.run('stage', unitTokens(v, first, to), before, after);
    return cst !== undefined && (error === undefined || error instanceof NotAllInputParsedException) ? this.builder.stage(cst) : undefined;
  }

  /** group = "(" pipeline ")" [ repetition ], the `(` at `open`. */
  private recoverGroup(v: StatementView, open: number, to: number, after: IToken | undefined): StageNode | undefined {
    const t = v.t;
    const close = v.close[open]!;
    const closed = close > open && close < to;
    const stages = this.recoverPipeline(v, open + 1, closed ? close : to, t[open], closed ? t[close] : after, !closed);
    if (stages.length === 0) return undefined;
    const group = this.builder.groupFrom(t[open]!, this.builder.pipelineFrom(stages), closed ? t[close] : undefined);
    return closed ? this.recoverRepetition(group, v, close + 1, to, after) : group;
  }

  /** residual = "residual" [ "proj" ] "{" pipeline "}" [ repetition ], the keyword at `keyword`. */
  private recoverResidual(v: StatementView, keyword: number, to: number, after: IToken | undefined): StageNode | undefined {
    const t = v.t;
    let open = keyword + 1;
    const proj = t[open]?.tokenType === Proj && open < to ? t[open] : undefined;
    if (proj !== undefined) open++;
    if (open >= to || t[open]!.tokenType !== LBrace) {
      const found = open < to ? t[open] : after;
      this.report(
        'NN1001',
        `Expected \`{\` after ${describeToken(t[open - 1])} but found ${describeToken(found)}; a residual block is written \`residual { PIPELINE }\` or \`residual proj { PIPELINE }\`.`,
        this.spanOrEnd(found),
      );
      return undefined;
    }
    const close = v.close[open]!;
    const closed = close > open && close < to;
    const stages = this.recoverPipeline(v, open + 1, closed ? close : to, t[open], closed ? t[close] : after, !closed);
    if (stages.length === 0) return undefined;
    const residual = this.builder.residualFrom(t[keyword]!, proj, this.builder.pipelineFrom(stages), closed ? t[close] : undefined);
    return closed ? this.recoverRepetition(residual, v, close + 1, to, after) : residual;
  }

  /** blockUse = IDENTIFIER "(" [ blockArgument { "," blockArgument } ] ")" [ repetition ], one argument at a time. */
  private recoverBlockUse(v: StatementView, name: number, open: number, to: number, after: IToken | undefined): StageNode {
    const t = v.t;
    const close = v.close[open]!;
    const closed = close > open && close < to;
    const end = closed ? close : to;
    // `relu (dense 3)` reads as a use of a block `relu`; a blank before `(` suggests a group was meant.
    const nameToken = t[name]!;
    const spaced = t[open]!.startOffset > nameToken.startOffset + nameToken.image.length;
    const hint = spaced ? `; to chain a group after the layer \`${shorten(nameToken.image)}\`, put \`|\` before \`(\`` : '';
    const args = this.recoverList(v, open, end, closed ? t[close] : after, 'blockArgument', (cst) => this.builder.blockArgument(cst), hint);
    const use = this.builder.blockUseFrom(t[name]!, args, closed ? t[close] : undefined);
    return closed ? this.recoverRepetition(use, v, close + 1, to, after) : use;
  }

  /**
   * The comma-separated units between the `(` at `open` and `end` (exclusive), each parsed with `rule`; an empty
   * list is fine, an empty unit (`f(6,)`, `f(,6)`) is reported.
   */
  private recoverList<T>(
    v: StatementView,
    open: number,
    end: number,
    after: IToken | undefined,
    rule: 'parameter' | 'blockArgument',
    build: (cst: CstNode) => T,
    hint = '',
  ): T[] {
    const t = v.t;
    const items: T[] = [];
    if (unitTokens(v, open + 1, end).length === 0) return items;
    let start = open + 1;
    for (let i = start; i <= end; i++) {
      if (i < end) {
        const closeAt = v.close[i]!;
        if (closeAt > i && closeAt < end) {
          i = closeAt;
          continue;
        }
        if (t[i]!.tokenType !== Comma) continue;
      }
      const next = i < end ? t[i] : after;
      const tokens = unitTokens(v, start, i);
      if (tokens.length === 0) {
        const what = rule === 'parameter' ? 'a parameter name' : 'a block argument';
        this.report('NN1001', `Expected ${what} after ${describeToken(t[start - 1])} but found ${describeToken(next)}.`, this.spanOrEnd(next));
      } else {
        const { cst, error } = this.run(rule, tokens, t[start - 1], next, hint);
        if (cst !== undefined && (error === undefined || error instanceof NotAllInputParsedException)) items.push(build(cst));
      }
      start = i + 1;
    }
    return items;
  }

  /** The tokens after a stage's closing bracket, `[from, to)`: a repetition, or nothing. */
  private recoverRepetition(stage: StageNode, v: StatementView, from: number, to: number, after: IToken | undefined): StageNode {
    const tokens = unitTokens(v, from, to);
    const first = tokens[0];
    if (first === undefined) return stage;
    const previous = v.t[from - 1];
    if (first.tokenType === Repeat || first.tokenType === Times) {
      const { cst, error } = this.run('repetition', tokens, previous, after);
      return cst !== undefined && (error === undefined || error instanceof NotAllInputParsedException) ? this.builder.repeatFrom(stage, cst) : stage;
    }
    let hint = '';
    if (isName(first) && first.image.startsWith('x') && first.image.length > 1) {
      hint = `; to repeat by a parameter, put a space after \`x\`: \`x ${shorten(first.image.slice(1))}\``;
    } else if (isStageStart(first)) {
      hint = `; put \`|\` before ${describeToken(first)} to chain another stage`;
    }
    this.report(
      'NN1001',
      `Expected a repetition such as \`x3\`, \`|\` or the end of the line after ${describeToken(previous)} but found ${describeToken(first)}${hint}.`,
      this.span(first),
    );
    return stage;
  }

  /** defStatement = "def" IDENTIFIER [ parameters ] "=" pipeline, tokens `[from, to)` of `v`. */
  private recoverDef(v: StatementView, from: number, to: number, after: IToken | undefined): DefNode | undefined {
    const t = v.t;
    const read = this.recoverDefHeader(v, from, to, after);
    if (read === undefined) return undefined;
    const { header, bodyStart } = read;
    const stages = bodyStart < to ? this.recoverPipeline(v, bodyStart, to, t[bodyStart - 1], after, false) : [];
    const last = t[Math.min(bodyStart, to) - 1]!;
    const body = stages.length > 0 ? this.builder.pipelineFrom(stages) : this.builder.emptyPipeline(this.span(last));
    return this.builder.defFrom(header.keyword, header.name, header.params, body);
  }

  /**
   * "def" IDENTIFIER [ parameters ] "=", one parameter at a time; returns where the body starts (`to` when it is
   * missing, which is reported unless `bodyFollows`: the tokens are the header of a body read later), or nothing
   * when there is no name.
   */
  private recoverDefHeader(
    v: StatementView,
    from: number,
    to: number,
    after: IToken | undefined,
    bodyFollows = false,
  ): { header: DefHeader; bodyStart: number } | undefined {
    const t = v.t;
    const nameToken = from + 1 < to ? t[from + 1] : undefined;
    if (!isName(nameToken)) {
      this.report(
        'NN1001',
        `Expected a block name after \`def\` but found ${describeToken(nameToken ?? after)}; a block is defined as \`def NAME(PARAMS) = PIPELINE\`.`,
        this.spanOrEnd(nameToken ?? after),
      );
      return undefined;
    }
    const name = this.builder.ident(nameToken!);
    let i = from + 2;
    let params: ParamNode[] = [];
    if (i < to && t[i]!.tokenType === LParen) {
      const open = i;
      let close = v.close[open]!;
      if (!(close > open && close < to)) {
        // Left open (reported): the list most likely ends before the header's `=`, the first `=` after a value.
        close = open + 1;
        while (close < to && !(t[close]!.tokenType === Equals && !isName(t[close - 1]) && t[close - 1]!.tokenType !== Comma)) close++;
        params = this.recoverList(v, open, close, t[close] ?? after, 'parameter', (cst) => this.builder.parameter(cst));
        i = close;
      } else {
        params = this.recoverList(v, open, close, t[close], 'parameter', (cst) => this.builder.parameter(cst));
        i = close + 1;
      }
    }
    let bodyStart = i + 1;
    const equals = t[i];
    if (i >= to || equals!.tokenType !== Equals) {
      const found = i < to ? t[i] : after;
      this.report(
        'NN1001',
        `Expected \`=\` after ${describeToken(t[i - 1])} but found ${describeToken(found)}; a block is defined as \`def NAME(PARAMS) = PIPELINE\`.`,
        this.spanOrEnd(found),
      );
      // `def f(c) conv c`: the rest is most likely the body.
      bodyStart = i < to && isStageStart(t[i]) ? i : to;
    } else if (bodyStart >= to && !bodyFollows) {
      this.report(
        'NN1001',
        `The block \`${name.name}\` has no body: write its pipeline after \`=\`, as in \`def ${name.name}(c) = conv c k3 | relu\`.`,
        this.span(equals!),
      );
    }
    return { header: { keyword: t[from]!, name, params }, bodyStart: Math.min(bodyStart, to) };
  }

  /**
   * A parameter cannot be named `x`: after a stage `x` is the repetition operator, so `conv x` could never use it.
   * (Other checks of parameter lists, such as a name given twice, are the checker's: NN2025.)
   */
  private checkDef(def: DefNode): void {
    for (const param of def.params) {
      if (param.name.name !== 'x') continue;
      this.report(
        'NN1001',
        `\`x\` cannot name a parameter: after a stage it is the repetition operator, as in \`relu x 3\`; choose another name.`,
        param.name.span,
      );
    }
  }

  /**
   * A pipeline still open (its last line ends in `|`) after many lines: reads the stages it has so far and keeps
   * them until it ends, so that a statement continued over a whole file is parsed as it is read, not all at once.
   * `carried` is its tokens so far, ending in that `|`; returns those still to carry: the `|`.
   */
  absorbOpenPipeline(carried: IToken[]): IToken[] {
    const lastPipe = carried.length - 1;
    if (lastPipe <= 0 || carried[lastPipe]!.tokenType !== Pipe) return carried;
    let start = 1;
    let before: IToken | undefined = carried[0];
    if (this.open === undefined) {
      const header = carried[0]!.tokenType === Def ? this.readDefHeader(carried, lastPipe) : undefined;
      if (header === null) return carried;
      start = header?.bodyStart ?? 0;
      before = header === undefined ? undefined : carried[start - 1];
      this.open = { stages: [], def: header?.header };
    }
    this.readStagesInto(this.open.stages, carried.slice(start, lastPipe), before, carried[lastPipe]);
    return carried.slice(lastPipe);
  }

  /** The header of an open `def` (up to its `=`, which the scanner has seen); null when it cannot be read. */
  private readDefHeader(carried: readonly IToken[], end: number): { header: DefHeader; bodyStart: number } | null {
    let depth = 0;
    let equals = 0;
    for (; equals < end; equals++) {
      const token = carried[equals]!;
      if (isOpener(token)) depth++;
      else if (isCloser(token) && depth > 0) depth--;
      else if (token.tokenType === Equals && depth === 0) break;
    }
    // Only a header of the plain shape `def NAME [ ( ... ) ] =` is read early; any other is left to the whole
    // statement's recovery, so that no problem of it is reported twice.
    const plain =
      isName(carried[1]) &&
      (equals === 2 ||
        (carried[2]!.tokenType === LParen &&
          carried[equals - 1]!.tokenType === RParen &&
          carried.slice(3, equals - 1).every((token) => !isOpener(token) && !isCloser(token))));
    if (!plain || equals >= end) return null;
    const matched = this.matchBrackets(carried.slice(0, equals + 1));
    if (matched === undefined) return null;
    const header = this.recoverDefHeader(matched.view, 0, equals + 1, carried[equals + 1], true);
    return header === undefined || header.bodyStart !== equals + 1 ? null : { header: header.header, bodyStart: equals + 1 };
  }

  /** Ends an open pipeline with the first statement of `tokens` (which starts at its last `|`); returns the rest. */
  private closeOpenPipeline(tokens: IToken[], open: OpenPipeline): IToken[] {
    const length = tokens.findIndex((token) => token.tokenType === Newline);
    const ended = length >= 0;
    this.readStagesInto(open.stages, tokens.slice(1, ended ? length : tokens.length), tokens[0], ended ? tokens[length] : undefined);
    const def = open.def;
    if (def !== undefined) {
      // Stages were read, so the body is not empty.
      this.push(this.builder.defFrom(def.keyword, def.name, def.params, this.builder.pipelineFrom(open.stages)));
    } else if (open.stages.length > 0) {
      this.statements.push(this.builder.pipelineFrom(open.stages));
    }
    this.open = undefined;
    return ended ? tokens.slice(length + 1) : [];
  }

  /** Reads the stages of a piece of an open pipeline into `stages` (a bracket left open runs to its end). */
  private readStagesInto(stages: StageNode[], tokens: readonly IToken[], before: IToken | undefined, after: IToken | undefined): void {
    const matched = this.matchBrackets(tokens);
    if (matched === undefined) return;
    for (const stage of this.recoverPipeline(matched.view, 0, tokens.length, before, after, false)) stages.push(stage);
  }

  /** An empty stage: between two `|`, after `(`, or at the end of the file after `|` (reported at the `|`). */
  private missingStage(before: IToken | undefined, after: IToken | undefined): void {
    if (before?.tokenType === Pipe && after === undefined) {
      this.report(
        'NN1001',
        'The file ends after `|`, so the pipeline has no layer after it; add a layer or delete the `|`.',
        this.span(before),
      );
      return;
    }
    this.report('NN1001', `Expected a layer name${before === undefined ? '' : ` after ${describeToken(before)}`} but found ${describeToken(after)}.`, this.spanOrEnd(after));
  }

  /** trainStatement = "train" { keyValue }, one option at a time; an option starts at a name not after `=`. */
  private recoverTrain(tokens: readonly IToken[], end: IToken | undefined): StatementNode {
    const options: KeyValueArgNode[] = [];
    let start = 1;
    for (let i = 2; i <= tokens.length; i++) {
      const token = tokens[i];
      if (token !== undefined && !(isName(token) && tokens[i - 1]!.tokenType !== Equals)) continue;
      const { cst, error } = this.run('keyValue', tokens.slice(start, i), tokens[start - 1], token ?? end);
      if (cst !== undefined && (error === undefined || error instanceof NotAllInputParsedException)) {
        options.push(this.builder.keyValue(cst));
      }
      start = i;
    }
    return this.builder.trainFrom(tokens[0]!, options);
  }

  /** Parses one unit with `rule`, reporting its error (at most one: recovery happens between units) with `hint` added. */
  private run(
    rule: UnitRule,
    tokens: readonly IToken[],
    before: IToken | undefined,
    after: IToken | undefined,
    hint = '',
  ): { cst: CstNode | undefined; error: IRecognitionException | undefined } {
    if (tokens.length === 0) return { cst: undefined, error: undefined };
    this.setInput([...tokens], before, after);
    const cst: CstNode | undefined = this.parser[rule]();
    const error = this.parser.errors[0];
    if (error !== undefined) {
      const at = isEof(error.token) ? after : error.token;
      const message =
        error instanceof NotAllInputParsedException ? extraTokenMessage(rule, tokens, error.token, cst) : error.message;
      this.report('NN1001', hint === '' ? message : `${message.slice(0, -1)}${hint}.`, this.spanOrEnd(at));
    }
    return { cst, error };
  }

  private setInput(tokens: IToken[], before: IToken | undefined, after: IToken | undefined): void {
    this.parser.input = tokens;
    this.messages.before = before;
    this.messages.after = after;
  }

  private span(token: IToken): Span {
    return tokenSpan(token, this.end);
  }

  /** The span of `token`, or the end of the file when there is none. */
  private spanOrEnd(token: IToken | undefined): Span {
    return token === undefined ? this.end : tokenSpan(token, this.end);
  }

  private report(code: string, message: string, span: Span, related?: readonly RelatedLocation[]): void {
    this.sink.push(related === undefined ? { code, severity: 'error', message, span } : { code, severity: 'error', message, span, related });
  }
}

/** `line:column` of a token, for messages that point at a second place. */
function position(token: IToken): string {
  return `${token.startLine ?? 1}:${token.startColumn ?? 1}`;
}

/** The tokens `[from, to)` of a statement, without the closers that close nothing. */
function unitTokens(v: StatementView, from: number, to: number): IToken[] {
  const tokens: IToken[] = [];
  for (let i = from; i < to; i++) if (v.closer[i] !== 2) tokens.push(v.t[i]!);
  return tokens;
}

/** An empty NEWLINE just after `token`: the end of its line, for messages about what a line lacks. */
function endOfLine(token: IToken): IToken {
  const offset = token.startOffset + token.image.length;
  const line = token.startLine ?? 1;
  const column = (token.startColumn ?? 1) + token.image.length;
  return createTokenInstance(Newline, '', offset, offset, line, line, column, column);
}

/**
 * The ranges of a statement with a bracket left open, line by line: the lines it swallowed are read as the
 * statements they most likely are. A line break still continues after `|`, after a `def` header's `=` and inside
 * brackets that are closed; a bracket left open is closed where its line ends.
 */
function splitLines(v: StatementView): [number, number][] {
  const t = v.t;
  const ranges: [number, number][] = [];
  let start = 0;
  let depth = 0;
  for (let i = 1; i <= t.length; i++) {
    const previous = t[i - 1]!;
    if (v.close[i - 1]! >= 0) depth++;
    else if (v.closer[i - 1] === 1) depth--;
    if (i < t.length) {
      if (depth > 0 || t[i]!.startLine === previous.startLine) continue;
      if (previous.tokenType === Pipe || (previous.tokenType === Equals && t[start]!.tokenType === Def)) continue;
      // `residual {` or `(` at the end of a line: the body is on the lines below.
      if (isOpener(previous)) continue;
    }
    ranges.push([start, i]);
    start = i;
  }
  return ranges;
}

/** Splits a token stream at its line breaks: the scanner has left one only where a statement ends. */
function splitStatements(tokens: readonly IToken[]): StatementTokens[] {
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

/** The message for tokens left over after a complete unit: what could have come there instead. */
function extraTokenMessage(rule: UnitRule, tokens: readonly IToken[], extra: IToken, cst: CstNode | undefined): string {
  const index = tokens.indexOf(extra);
  const previous = index > 0 ? tokens[index - 1] : undefined;
  const after = previous === undefined ? '' : ` after ${describeToken(previous)}`;
  const found = describeToken(extra);
  const type = extra.tokenType;
  const anotherRepetition = type === Repeat || type === Times ? '; a stage takes one repetition: to repeat it again, group it, as in `(relu x2) x3`' : '';
  switch (rule) {
    case 'stage': {
      if (cst?.children['repetition'] !== undefined) return `Expected \`|\` or the end of the line${after} but found ${found}${anotherRepetition}.`;
      let hint = '';
      if (isName(extra)) {
        const name = shorten(extra.image);
        hint = `; put \`|\` before \`${name}\` if it starts a new layer, or write \`${name}=VALUE\` if it is an option`;
      } else if (isStatementKeyword(extra)) {
        hint = `; \`${extra.image}\` starts a statement of its own, on a new line`;
      } else if (type === Residual || type === LParen) {
        hint = `; put \`|\` before ${found} to chain it after the layer`;
      } else if (type === LBrace) {
        hint = '; `{` starts the body of `residual`, as in `residual { conv 16 k3 p1 | bn }`';
      } else if (type === Comma) {
        hint = '; a layer\'s arguments are separated by spaces (commas separate a block\'s arguments, as in `cbs(6, k=3)`)';
      } else if (type === Equals) {
        hint = '; options are written `key=value`, as in `pad=same`';
      }
      return `Expected an argument, \`|\` or the end of the line${after} but found ${found}${hint}.`;
    }
    case 'keyValue':
      return `Expected another \`key=value\` option or the end of the line${after} but found ${found}.`;
    case 'parameter':
      return `Expected \`,\` or \`)\`${after} but found ${found}; a parameter is a name with an optional default, as in \`k=5\`.`;
    case 'blockArgument':
      return `Expected \`,\` or \`)\`${after} but found ${found}; a block's arguments are values or \`key=value\`, separated by commas, as in \`cbs(6, k=3)\`.`;
    case 'repetition':
      return `Expected \`|\` or the end of the line${after} but found ${found}${anotherRepetition}.`;
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
