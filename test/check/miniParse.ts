// A stand-in for src/syntax/parse.ts while it is being written: enough of the language for checker tests
// (one statement per line, `|` chains and trailing-`|` continuation, `#` comments), with exact spans.
// It reports nothing: tests give it valid syntax only.
import type { Span } from '../../src/diagnostics/Diagnostic.js';
import type {
  ArgNode,
  DimsNode,
  FileNode,
  IdentNode,
  LayerNode,
  NumberNode,
  StatementNode,
  ValueNode,
} from '../../src/syntax/ast.js';

interface Token {
  readonly text: string;
  readonly offset: number;
}

const numberPattern = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

export function miniParse(source: string): FileNode {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const position = (offset: number): { line: number; column: number } => {
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= offset) line++;
    return { line: line + 1, column: offset - lineStarts[line]! + 1 };
  };
  const span = (offset: number, end: number): Span => {
    const start = position(offset);
    const stop = position(end);
    return { offset, end, line: start.line, column: start.column, endLine: stop.line, endColumn: stop.column };
  };

  // Tokens per logical statement: split on whitespace and `|`, keep `|`, drop comments, join continued lines.
  const statements: Token[][] = [];
  let current: Token[] = [];
  for (let index = 0; index < lineStarts.length; index++) {
    const start = lineStarts[index]!;
    const lineText = source.slice(start, index + 1 < lineStarts.length ? lineStarts[index + 1]! - 1 : source.length);
    const code = lineText.split('#')[0]!;
    for (const match of code.matchAll(/\||[^\s|]+/g)) current.push({ text: match[0], offset: start + match.index! });
    if (current.length > 0 && current[current.length - 1]!.text !== '|') {
      statements.push(current);
      current = [];
    }
  }
  if (current.length > 0) statements.push(current);

  const ident = (token: Token, text = token.text, offset = token.offset): IdentNode => ({
    kind: 'Ident',
    span: span(offset, offset + text.length),
    name: text,
  });
  const number = (text: string, offset: number): NumberNode => ({
    kind: 'Number',
    span: span(offset, offset + text.length),
    value: Number(text),
    text,
  });
  const value = (text: string, offset: number): ValueNode => {
    if (numberPattern.test(text)) return number(text, offset);
    const parts = text.split('x');
    if (parts.length > 1 && parts.every((part) => numberPattern.test(part))) return dims(text, offset);
    return { kind: 'Ident', span: span(offset, offset + text.length), name: text };
  };
  const dims = (text: string, offset: number): DimsNode => {
    const values: NumberNode[] = [];
    let at = offset;
    for (const part of text.split('x')) {
      values.push(number(part, at));
      at += part.length + 1;
    }
    return { kind: 'Dims', span: span(offset, offset + text.length), values };
  };
  const arg = (token: Token): ArgNode => {
    const whole = span(token.offset, token.offset + token.text.length);
    const equals = token.text.indexOf('=');
    if (equals > 0) {
      const key = token.text.slice(0, equals);
      return {
        kind: 'KeyValueArg',
        span: whole,
        key: ident(token, key),
        value: value(token.text.slice(equals + 1), token.offset + equals + 1),
      };
    }
    const short = /^([a-z])(-?[\d.].*)$/.exec(token.text);
    if (short !== null) {
      const inner = value(short[2]!, token.offset + 1);
      if (inner.kind !== 'Ident') return { kind: 'ShortArg', span: whole, letter: short[1]!, value: inner };
    }
    return { kind: 'PositionalArg', span: whole, value: value(token.text, token.offset) };
  };

  const nodes: StatementNode[] = statements.map((tokens) => {
    const first = tokens[0]!;
    const last = tokens[tokens.length - 1]!;
    const whole = span(first.offset, last.offset + last.text.length);
    switch (first.text) {
      case 'model':
        return { kind: 'Model', span: whole, name: ident(tokens[1]!) };
      case 'input': {
        const shape = value(tokens[1]!.text, tokens[1]!.offset);
        const dimsList = shape.kind === 'Dims' ? shape.values : shape.kind === 'Number' ? [shape] : [];
        return { kind: 'Input', span: whole, dims: dimsList };
      }
      case 'train':
        return {
          kind: 'Train',
          span: whole,
          options: tokens.slice(1).map((token) => {
            const parsed = arg(token);
            if (parsed.kind !== 'KeyValueArg') throw new Error(`miniParse: train needs key=value, got ${token.text}`);
            return parsed;
          }),
        };
      default: {
        const layers: LayerNode[] = [];
        let group: Token[] = [];
        const flush = (): void => {
          const head = group[0]!;
          const tail = group[group.length - 1]!;
          layers.push({
            kind: 'Layer',
            span: span(head.offset, tail.offset + tail.text.length),
            name: ident(head),
            args: group.slice(1).map(arg),
          });
          group = [];
        };
        for (const token of tokens) {
          if (token.text === '|') flush();
          else group.push(token);
        }
        flush();
        return { kind: 'Pipeline', span: whole, layers };
      }
    }
  });
  return { kind: 'File', span: span(0, source.length), statements: nodes };
}
