import type { CstElement, CstNode, IToken } from 'chevrotain';
import { joinSpans, type Span } from '../diagnostics/Diagnostic.js';
import type {
  ArgNode,
  BlockUseNode,
  BudgetNode,
  DefNode,
  DimsNode,
  ExpectNode,
  GroupNode,
  IdentNode,
  InputNode,
  KeyValueArgNode,
  LayerNode,
  ModelNode,
  NumberNode,
  ParamNode,
  PipelineNode,
  PositionalArgNode,
  RepeatNode,
  ResidualNode,
  StageNode,
  StatementNode,
  TrainNode,
  ValueNode,
} from './ast.js';
import { partSpan, tokenSpan } from './spans.js';
import { Count, MalformedNumber } from './tokens.js';

/** The powers of ten of a COUNT's suffix: `50k`, `1.5M`, `2G`. */
const suffixExponents: Readonly<Record<string, number>> = { k: 3, M: 6, G: 9 };

/** Shared by every layer written without arguments (most of them), so a big file allocates fewer arrays. */
const noArgs: readonly ArgNode[] = Object.freeze([]);

/** One number inside a DIMS or SHORT_OPTION image (the `x` and blanks between them are skipped). */
const numberInText = /-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/g;

/**
 * Turns the parser's CST into AST nodes (src/syntax/ast.ts). It only sees CSTs of units that parsed without
 * error (or a complete prefix of one), so every child the grammar requires is present; a missing one is a bug.
 */
export class AstBuilder {
  /** `end` is the span of the end of the source, for tokens without a position. */
  constructor(private readonly end: Span) {}

  private readonly strings = new Map<string, string>();

  /** statement = modelStatement | inputStatement | trainStatement | defStatement | pipeline */
  statement(node: CstNode): StatementNode {
    const c = node.children;
    const [inner] = (c['pipeline'] ??
      c['modelStatement'] ??
      c['inputStatement'] ??
      c['trainStatement'] ??
      c['defStatement'] ??
      c['budgetStatement'] ??
      []) as CstNode[];
    switch (inner?.name) {
      case 'defStatement':
        return this.def(inner);
      case 'modelStatement':
        return this.model(inner);
      case 'inputStatement':
        return this.input(inner);
      case 'trainStatement':
        return this.train(inner);
      case 'pipeline':
        return this.pipeline(inner);
      case 'budgetStatement':
        return this.budget(inner);
      default:
        throw new Error(`internal: unexpected statement CST ${inner?.name ?? '(empty)'}`);
    }
  }

  /** modelStatement = "model" IDENTIFIER */
  model(node: CstNode): ModelNode {
    const keyword = this.span(token(node, 'Model'));
    const name = this.ident(token(node, 'Identifier'));
    return { kind: 'Model', span: joinSpans(keyword, name.span), name };
  }

  /** inputStatement = "input" ( NUMBER | DIMS ) */
  input(node: CstNode): InputNode {
    const keyword = this.span(token(node, 'Input'));
    const shape = optionalToken(node, 'Number') ?? optionalToken(node, 'Dims');
    if (shape === undefined) return { kind: 'Input', span: keyword, dims: [] };
    const value = this.valueOf(shape);
    const dims = value.kind === 'Dims' ? value.values : value.kind === 'Number' ? [value] : [];
    return { kind: 'Input', span: joinSpans(keyword, value.span), dims };
  }

  /** An `input` statement whose shape could not be read: the statement is there, its dimensions are not. */
  inputWithoutShape(keyword: IToken): InputNode {
    return { kind: 'Input', span: this.span(keyword), dims: [] };
  }

  /** trainStatement = "train" { keyValue } */
  train(node: CstNode): TrainNode {
    return this.trainFrom(token(node, 'Train'), children(node, 'keyValue').map((kv) => this.keyValue(kv)));
  }

  /** A `train` statement from its keyword and the options that could be read. */
  trainFrom(keyword: IToken, options: readonly KeyValueArgNode[]): TrainNode {
    const start = this.span(keyword);
    const last = options[options.length - 1];
    return { kind: 'Train', span: last === undefined ? start : joinSpans(start, last.span), options };
  }

  /** budgetStatement = "budget" IDENTIFIER "<=" ( NUMBER | COUNT ) */
  budget(node: CstNode): BudgetNode {
    const keyword = this.span(token(node, 'Budget'));
    const metric = this.ident(token(node, 'Identifier'));
    const count = optionalToken(node, 'Count');
    const numberToken = count ?? token(node, 'Number');
    const limit = this.number(numberToken, 0, numberToken.image.length, numberToken.tokenType === MalformedNumber);
    return { kind: 'Budget', span: joinSpans(keyword, limit.span), metric, limit };
  }

  /** defStatement = "def" IDENTIFIER [ parameters ] "=" pipeline */
  def(node: CstNode): DefNode {
    const parameters = children(node, 'parameters')[0];
    const params = parameters === undefined ? [] : children(parameters, 'parameter').map((p) => this.parameter(p));
    return this.defFrom(token(node, 'Def'), this.ident(token(node, 'Identifier')), params, this.pipeline(children(node, 'pipeline')[0]!));
  }

  /** A `def` from its keyword, name, parameters and body (the body may be empty when it could not be read). */
  defFrom(keyword: IToken, name: IdentNode, params: readonly ParamNode[], body: PipelineNode): DefNode {
    const last = body.layers.length > 0 ? body.span : (params[params.length - 1]?.span ?? name.span);
    return { kind: 'Def', span: joinSpans(this.span(keyword), last), name, params, body };
  }

  /** parameter = IDENTIFIER [ "=" value ] */
  parameter(node: CstNode): ParamNode {
    const name = this.ident(token(node, 'Identifier'));
    const valueNode = children(node, 'value')[0];
    if (valueNode === undefined) return { kind: 'Param', span: name.span, name, default: null };
    const value = this.value(valueNode);
    return { kind: 'Param', span: joinSpans(name.span, value.span), name, default: value };
  }

  /** pipeline = stage { "|" stage } */
  pipeline(node: CstNode): PipelineNode {
    return this.pipelineFrom(children(node, 'stage').map((stage) => this.stage(stage)));
  }

  /** A pipeline from the stages that could be read (at least one). */
  pipelineFrom(stages: readonly StageNode[]): PipelineNode {
    const first = stages[0];
    const last = stages[stages.length - 1];
    if (first === undefined || last === undefined) throw new Error('internal: a pipeline needs a stage');
    // A one-stage statement (most lines) shares its stage's span rather than allocating an equal one.
    return { kind: 'Pipeline', span: first === last ? first.span : joinSpans(first.span, last.span), layers: stages };
  }

  /** A pipeline with no stage, for a `def` whose body could not be read: an empty span at `at`'s end. */
  emptyPipeline(at: Span): PipelineNode {
    const span = { offset: at.end, end: at.end, line: at.endLine, column: at.endColumn, endLine: at.endLine, endColumn: at.endColumn };
    return { kind: 'Pipeline', span, layers: [] };
  }

  /** stage = expectation | ( blockUse | layer | group | residual ) [ repetition ] */
  stage(node: CstNode): StageNode {
    const c = node.children;
    const expectation = children(node, 'expectation')[0];
    if (expectation !== undefined) return this.expectation(expectation);
    const [inner] = (c['layer'] ?? c['blockUse'] ?? c['group'] ?? c['residual'] ?? []) as CstNode[];
    let stage: StageNode;
    switch (inner?.name) {
      case 'layer':
        stage = this.layer(inner);
        break;
      case 'blockUse':
        stage = this.blockUse(inner);
        break;
      case 'group':
        stage = this.groupFrom(token(inner, 'LParen'), this.pipeline(children(inner, 'pipeline')[0]!), token(inner, 'RParen'));
        break;
      case 'residual':
        stage = this.residualFrom(
          token(inner, 'Residual'),
          optionalToken(inner, 'Proj'),
          this.pipeline(children(inner, 'pipeline')[0]!),
          token(inner, 'RBrace'),
        );
        break;
      default:
        throw new Error(`internal: unexpected stage CST ${inner?.name ?? '(empty)'}`);
    }
    const repetition = children(node, 'repetition')[0];
    return repetition === undefined ? stage : this.repeatFrom(stage, repetition);
  }

  /** expectation = "expect" ( NUMBER | DIMS ) */
  expectation(node: CstNode): ExpectNode {
    const keyword = this.span(token(node, 'Expect'));
    const shape = this.valueOf(optionalToken(node, 'Number') ?? token(node, 'Dims'));
    const dims = shape.kind === 'Dims' ? shape.values : shape.kind === 'Number' ? [shape] : [];
    return { kind: 'Expect', span: joinSpans(keyword, shape.span), dims };
  }

  /** layer = IDENTIFIER { argument } */
  layer(node: CstNode): LayerNode {
    const name = this.ident(token(node, 'Identifier'));
    const argNodes = children(node, 'argument');
    const args = argNodes.length === 0 ? noArgs : argNodes.map((arg) => this.argument(arg));
    const last = args[args.length - 1];
    return { kind: 'Layer', span: last === undefined ? name.span : joinSpans(name.span, last.span), name, args };
  }

  /** blockUse = IDENTIFIER "(" [ blockArgument { "," blockArgument } ] ")" */
  blockUse(node: CstNode): BlockUseNode {
    const args = children(node, 'blockArgument').map((arg) => this.blockArgument(arg));
    return this.blockUseFrom(token(node, 'Identifier'), args, token(node, 'RParen'));
  }

  /** A block use from its name, the arguments that could be read and its closing `)` (if written). */
  blockUseFrom(nameToken: IToken, args: readonly (PositionalArgNode | KeyValueArgNode)[], close: IToken | undefined): BlockUseNode {
    const name = this.ident(nameToken);
    const end = close !== undefined ? this.span(close) : (args[args.length - 1]?.span ?? name.span);
    return { kind: 'BlockUse', span: joinSpans(name.span, end), name, args };
  }

  /** blockArgument = keyValue | value */
  blockArgument(node: CstNode): PositionalArgNode | KeyValueArgNode {
    const keyValue = children(node, 'keyValue')[0];
    if (keyValue !== undefined) return this.keyValue(keyValue);
    const value = this.value(children(node, 'value')[0]!);
    return { kind: 'PositionalArg', span: value.span, value };
  }

  /** group = "(" pipeline ")"; `close` is missing when the `(` was never closed. */
  groupFrom(open: IToken, body: PipelineNode, close: IToken | undefined): GroupNode {
    const end = close !== undefined ? this.span(close) : body.span;
    return { kind: 'Group', span: joinSpans(this.span(open), end), body };
  }

  /** residual = "residual" [ "proj" ] "{" pipeline "}"; `close` is missing when the `{` was never closed. */
  residualFrom(keyword: IToken, proj: IToken | undefined, body: PipelineNode, close: IToken | undefined): ResidualNode {
    const end = close !== undefined ? this.span(close) : body.span;
    return { kind: 'Residual', span: joinSpans(this.span(keyword), end), proj: proj === undefined ? null : this.ident(proj), body };
  }

  /** repetition = REPEAT | "x" ( NUMBER | IDENTIFIER ), applied to `body`. */
  repeatFrom(body: StageNode, node: CstNode): RepeatNode {
    const glued = optionalToken(node, 'Repeat');
    let count: NumberNode | IdentNode;
    if (glued !== undefined) {
      // `x3`: the count is the text after the `x`, with its own span.
      count = this.number(glued, 1, glued.image.length, false);
    } else {
      const numberToken = optionalToken(node, 'Number');
      count = numberToken !== undefined ? this.number(numberToken, 0, numberToken.image.length, numberToken.tokenType === MalformedNumber) : this.ident(token(node, 'Identifier'));
    }
    return { kind: 'Repeat', span: joinSpans(body.span, count.span), body, count };
  }

  /** argument = NUMBER | DIMS | SHORT_OPTION | keyValue | IDENTIFIER */
  argument(node: CstNode): ArgNode {
    const keyValue = children(node, 'keyValue')[0];
    if (keyValue !== undefined) return this.keyValue(keyValue);
    const name = optionalToken(node, 'Identifier');
    if (name !== undefined) {
      // A bare name as a value: a block parameter (`conv c`), or a mistake such as a missing `|` that the checker
      // reports with the names it knows.
      const value = this.ident(name);
      return { kind: 'PositionalArg', span: value.span, value };
    }
    const short = optionalToken(node, 'ShortOption');
    if (short !== undefined) {
      const value = this.valueOf(short, 1);
      if (value.kind === 'Ident') throw new Error('internal: a short option holds a number');
      return { kind: 'ShortArg', span: this.span(short), letter: short.image.charAt(0), value };
    }
    const positional = optionalToken(node, 'Number') ?? token(node, 'Dims');
    const value = this.valueOf(positional);
    return { kind: 'PositionalArg', span: value.span, value };
  }

  /** keyValue = IDENTIFIER "=" value */
  keyValue(node: CstNode): KeyValueArgNode {
    const key = this.ident(token(node, 'Identifier'));
    const valueNode = children(node, 'value')[0];
    if (valueNode === undefined) throw new Error('internal: key=value without a value');
    const value = this.value(valueNode);
    return { kind: 'KeyValueArg', span: joinSpans(key.span, value.span), key, value };
  }

  /** value = NUMBER | DIMS | IDENTIFIER | SHORT_OPTION | REPEAT; a short option (`k5`) or `x3` here is a name. */
  value(node: CstNode): ValueNode {
    const valueToken = optionalToken(node, 'Number') ?? optionalToken(node, 'Dims');
    if (valueToken !== undefined) return this.valueOf(valueToken);
    return this.ident(optionalToken(node, 'Identifier') ?? optionalToken(node, 'ShortOption') ?? token(node, 'Repeat'));
  }

  /** The value of a NUMBER or DIMS token, or of the part of a SHORT_OPTION after its letter (`from` = 1). */
  private valueOf(tok: IToken, from = 0): NumberNode | DimsNode | IdentNode {
    const text = tok.image.slice(from);
    const malformed = tok.tokenType === MalformedNumber;
    if (malformed || !text.includes('x')) {
      return this.number(tok, from, tok.image.length, malformed);
    }
    const values: NumberNode[] = [];
    for (const match of text.matchAll(numberInText)) {
      const start = from + match.index;
      values.push(this.number(tok, start, start + match[0].length, false));
    }
    return { kind: 'Dims', span: partSpan(tok, from, tok.image.length, this.end), values };
  }

  private number(tok: IToken, from: number, to: number, malformed: boolean): NumberNode {
    const whole = from === 0 && to === tok.image.length;
    const text = whole ? tok.image : tok.image.slice(from, to);
    // A malformed number was reported by the lexer; reading its leading number (`3` of `3.`) keeps the checker
    // from piling a second error on the same mistake. A COUNT's suffix is a power of ten: `1.1k` is `1.1e3`, exact.
    const suffix = tok.tokenType === Count ? suffixExponents[text.charAt(text.length - 1)] : undefined;
    const value = malformed ? Number.parseFloat(text) : suffix !== undefined ? Number(`${text.slice(0, -1)}e${suffix}`) : Number(text);
    const span = whole ? tokenSpan(tok, this.end) : partSpan(tok, from, to, this.end);
    return { kind: 'Number', span, value, text: this.intern(text) };
  }

  /** The name a token spells (also `x` and `proj`, which are names outside their special places). */
  ident(tok: IToken): IdentNode {
    return { kind: 'Ident', span: this.span(tok), name: this.intern(tok.image) };
  }

  /**
   * One string per distinct name or number text. A big file repeats a handful of names, and sharing their strings
   * keeps its AST a third smaller, which is what the garbage collector spends its time on.
   */
  private intern(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    if (this.strings.size < 4096) this.strings.set(text, text);
    return text;
  }

  private span(tok: IToken): Span {
    return tokenSpan(tok, this.end);
  }
}

function isNode(element: CstElement): element is CstNode {
  return 'children' in element;
}

/** The sub-rule results under `name` (chevrotain keys children by rule name, so they are all nodes). */
function children(node: CstNode, name: string): CstNode[] {
  return (node.children[name] ?? []) as CstNode[];
}

function optionalToken(node: CstNode, name: string): IToken | undefined {
  const element = node.children[name]?.[0];
  return element === undefined || isNode(element) ? undefined : element;
}

function token(node: CstNode, name: string): IToken {
  const found = optionalToken(node, name);
  if (found === undefined) throw new Error(`internal: ${node.name} CST has no ${name}`);
  return found;
}
