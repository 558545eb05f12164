import type { CstNode, IRecognitionException, IToken } from 'chevrotain';
import { createTokenInstance, NotAllInputParsedException } from './chevrotain.js';
import type { RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
import type { DefNode, IdentNode, KeyValueArgNode, ParamNode, StageNode, StatementNode } from './ast.js';
import { matchBrackets, splitLines, unitTokens, type StatementView } from './brackets.js';
import { AstBuilder } from './buildAst.js';
import type { DiagnosticSink } from './DiagnosticSink.js';
import { shorten } from './lexer.js';
import { describeToken, isEof, netParser, type NetParser, type SyntaxMessages } from './parser.js';
import { endOfLine, extraTokenMessage, type UnitRule } from './recoveryMessages.js';
import { splitStatements, type StatementTokens } from './StatementScanner.js';
import { isCloser, isName, isOpener, isStageStart } from './tokenKinds.js';
import { tokenSpan } from './spans.js';
import { Comma, Def, Equals, Input, LBrace, LParen, Newline, Pipe, Proj, Repeat, Residual, RParen, Times, Train } from './tokens.js';

/**
 * Statements handed over with more tokens than this (a `def` body or a bracket over thousands of lines) are read
 * stage by stage, as the recovery does: one parse tree for the whole run would hold millions of nodes at once.
 */
const onePassLimit = 1 << 16;

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

/**
 * Runs the parser over a file. A file without syntax errors is parsed in one pass with the `file` rule. Otherwise
 * each statement is parsed on its own: a pipeline one stage at a time (inside a group, a residual body or a
 * `def`'s body too), `train` one option at a time, a `def` header one parameter at a time and a block use one
 * argument at a time, so that one run reports an error in each of them and keeps everything else in the AST.
 */
export class ParseDriver {
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

  /** Matches a statement's brackets, reporting those that do not match (see `matchBrackets`). */
  private matchBrackets(t: readonly IToken[]): { view: StatementView; unclosed: number } | undefined {
    return matchBrackets(t, (code, message, span, related) => this.report(code, message, span, related), (token) => this.span(token));
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