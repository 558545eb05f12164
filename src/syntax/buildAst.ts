import type { CstElement, CstNode, IToken } from 'chevrotain';
import { joinSpans, type Span } from '../diagnostics/Diagnostic.js';
import type {
  ArgNode,
  DimsNode,
  IdentNode,
  InputNode,
  KeyValueArgNode,
  LayerNode,
  ModelNode,
  NumberNode,
  PipelineNode,
  StatementNode,
  TrainNode,
  ValueNode,
} from './ast.js';
import { partSpan, tokenSpan } from './spans.js';
import { MalformedNumber } from './tokens.js';

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

  /** statement = modelStatement | inputStatement | trainStatement | pipeline */
  statement(node: CstNode): StatementNode {
    const c = node.children;
    const [inner] = (c['pipeline'] ?? c['modelStatement'] ?? c['inputStatement'] ?? c['trainStatement'] ?? []) as CstNode[];
    switch (inner?.name) {
      case 'modelStatement':
        return this.model(inner);
      case 'inputStatement':
        return this.input(inner);
      case 'trainStatement':
        return this.train(inner);
      case 'pipeline':
        return this.pipeline(inner);
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

  /** pipeline = layer { "|" { NEWLINE } layer } */
  pipeline(node: CstNode): PipelineNode {
    return this.pipelineFrom(children(node, 'layer').map((layer) => this.layer(layer)));
  }

  /** A pipeline from the layers that could be read (at least one). */
  pipelineFrom(layers: readonly LayerNode[]): PipelineNode {
    const first = layers[0];
    const last = layers[layers.length - 1];
    if (first === undefined || last === undefined) throw new Error('internal: a pipeline needs a layer');
    // A one-layer statement (most lines) shares its layer's span rather than allocating an equal one.
    return { kind: 'Pipeline', span: first === last ? first.span : joinSpans(first.span, last.span), layers };
  }

  /** layer = IDENTIFIER { argument } */
  layer(node: CstNode): LayerNode {
    const name = this.ident(token(node, 'Identifier'));
    const argNodes = children(node, 'argument');
    const args = argNodes.length === 0 ? noArgs : argNodes.map((arg) => this.argument(arg));
    const last = args[args.length - 1];
    return { kind: 'Layer', span: last === undefined ? name.span : joinSpans(name.span, last.span), name, args };
  }

  /** argument = NUMBER | DIMS | SHORT_OPTION | keyValue */
  argument(node: CstNode): ArgNode {
    const keyValue = children(node, 'keyValue')[0];
    if (keyValue !== undefined) return this.keyValue(keyValue);
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
    const valueToken = optionalToken(valueNode, 'Number') ?? optionalToken(valueNode, 'Dims');
    // value = NUMBER | DIMS | IDENTIFIER | SHORT_OPTION; after `=` a short option such as `k5` is just a name.
    const value: ValueNode =
      valueToken !== undefined
        ? this.valueOf(valueToken)
        : this.ident(optionalToken(valueNode, 'Identifier') ?? token(valueNode, 'ShortOption'));
    return { kind: 'KeyValueArg', span: joinSpans(key.span, value.span), key, value };
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
    // from piling a second error on the same mistake.
    const value = malformed ? Number.parseFloat(text) : Number(text);
    const span = whole ? tokenSpan(tok, this.end) : partSpan(tok, from, to, this.end);
    return { kind: 'Number', span, value, text: this.intern(text) };
  }

  private ident(tok: IToken): IdentNode {
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
