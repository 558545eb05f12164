import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import type {
  ArgNode,
  CommentNode,
  DefNode,
  FileNode,
  KeyValueArgNode,
  PipelineNode,
  PositionalArgNode,
  StageNode,
  StatementNode,
  ValueNode,
} from './ast.js';
import { parse } from './parse.js';

/** A `def` whose one-line form is longer than this is broken after its `=` and after each `|` of its body. */
export const formatWidth = 120;

/** Trailing comments start at least this many blanks after the longest code line of their block. */
const commentGap = 2;

/** What `formatSource` returns: the formatted text, or the syntax errors that stopped it. */
export type FormatResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/**
 * Prints a `.net` source in netc's one layout (`netc fmt`): one blank around `|` and between arguments, `key=value`
 * without blanks, block arguments after `, `, at most one blank line, continuation lines indented by two blanks per
 * open bracket, trailing comments aligned within each block of lines, long `def` bodies broken after each `|`.
 * Every comment is kept, and so is every line break the source puts inside a statement (they are the author's
 * choice and always where the grammar allows one). A source with syntax errors is refused: its tree is partial.
 */
export function formatSource(source: string): FormatResult {
  const { ast, diagnostics } = parse(source);
  const errors = diagnostics.filter((d) => d.code.startsWith('NN1') && d.severity === 'error');
  if (errors.length > 0) return { ok: false, diagnostics: errors };
  const text = printFile(ast, source);
  // The promise is that formatting never changes meaning: hold the printer to it rather than trust it.
  const again = parse(text);
  if (again.diagnostics.some((d) => d.severity === 'error') || structure(again.ast) !== structure(ast)) {
    throw new Error('internal: netc fmt would change what this file means; it was left as it is');
  }
  return { ok: true, text };
}

/** The statements and comment texts without positions: what formatting must keep. */
function structure(ast: FileNode): string {
  const statements = JSON.stringify(ast.statements, (key, value: unknown) => (key === 'span' ? undefined : value));
  return `${statements}\n${ast.comments.map((c) => c.text.trimEnd()).join('\n')}`;
}

/** One output line: indentation, code, and the comment at its end (or a comment alone on its line). */
interface Line {
  indent: number;
  code: string;
  comment: string | null;
}

/** Prints a syntax tree without syntax errors back to source text, with the comments of `source`. */
export function printFile(ast: FileNode, source: string): string {
  const writer = new Writer(source, ast.comments);
  for (const statement of ast.statements) {
    writer.statementBreak(statement.span.offset);
    const mark = writer.mark();
    printStatement(writer, statement, new Set());
    if (statement.kind === 'Def' && writer.longestSince(mark) > formatWidth) {
      writer.reset(mark);
      printStatement(writer, statement, breaksOf(statement));
    }
  }
  writer.statementBreak(source.length);
  return writer.text();
}

/** Where a long `def` is broken: before its body and before each stage after the first. */
function breaksOf(def: DefNode): Set<number> {
  return new Set(def.body.layers.map((stage) => stage.span.offset));
}

/**
 * Builds the lines. Every piece of text is placed with its offset in the source, so the comments and line breaks
 * between two pieces are found in the source text between them and reproduced (a comment always ends a line).
 */
class Writer {
  private lines: Line[] = [];
  private current: Line | null = null;
  /** Where the source text already printed ends. */
  private position = 0;
  private nextComment = 0;
  /** Open brackets at the current point, for the indentation of continuation lines. */
  depth = 0;

  constructor(
    private readonly source: string,
    private readonly comments: readonly CommentNode[],
  ) {}

  /** A snapshot to print a statement again in another layout. */
  mark(): { lines: Line[]; current: Line | null; position: number; nextComment: number; depth: number } {
    return {
      lines: this.lines.map((l) => ({ ...l })),
      current: this.current === null ? null : { ...this.current },
      position: this.position,
      nextComment: this.nextComment,
      depth: this.depth,
    };
  }

  reset(mark: ReturnType<Writer['mark']>): void {
    this.lines = mark.lines;
    this.current = mark.current;
    this.position = mark.position;
    this.nextComment = mark.nextComment;
    this.depth = mark.depth;
  }

  /** The longest code printed since `mark` (the current line included). */
  longestSince(mark: ReturnType<Writer['mark']>): number {
    const since = this.lines.slice(Math.max(0, mark.lines.length - 1));
    if (this.current !== null) since.push(this.current);
    return Math.max(0, ...since.map((l) => l.indent + l.code.length));
  }

  /** Ends the statement before `offset` (a new statement starts there, or the file ends). */
  statementBreak(offset: number): void {
    this.gap(offset, true);
    this.depth = 0;
  }

  /**
   * Places `text`, which starts at `offset` in the source: on the current line after a blank when `space`, on a new
   * line when the source breaks the line before it (or a comment comes first, or `force`).
   */
  put(text: string, offset: number, space: boolean, force = false): void {
    const broke = this.gap(offset, force);
    if (this.current === null) {
      this.current = { indent: broke ? 2 * (this.depth + 1) : 0, code: text, comment: null };
    } else {
      this.current.code += (space ? ' ' : '') + text;
    }
    this.position = Math.max(this.position, offset + text.length);
  }

  /** Appends `text` to the current line without reading the source (a `|` or `,` whose source place may differ). */
  append(text: string, space: boolean): void {
    if (this.current === null) throw new Error('internal: nothing to append to');
    this.current.code += (space ? ' ' : '') + text;
  }

  /** Moves `position` past source text that prints differently (`1 x 28` printed `1x28`). */
  skipTo(end: number): void {
    this.position = Math.max(this.position, end);
  }

  /** The source offset of the next `char` at or after `from`, past blanks, line breaks and comments. */
  find(char: string, from: number): number {
    const s = this.source;
    for (let i = from; i < s.length; i++) {
      const c = s[i]!;
      if (c === char) return i;
      if (c === '#') while (i < s.length && s[i] !== '\n' && s[i] !== '\r') i++;
    }
    throw new Error(`internal: no '${char}' after offset ${from}`);
  }

  /**
   * Reproduces what lies between the printed text and `offset`: comments (trailing when on the line of the code
   * before them) and line breaks, at most one blank line. True when the next text starts a new line.
   */
  private gap(offset: number, force: boolean): boolean {
    let from = this.position;
    let broke = false;
    while (this.nextComment < this.comments.length && this.comments[this.nextComment]!.span.offset < offset) {
      const comment = this.comments[this.nextComment++]!;
      const breaks = lineBreaksIn(this.source, from, comment.span.offset);
      const text = comment.text.trimEnd();
      if (breaks === 0 && this.current !== null && this.current.code !== '') {
        this.current.comment = text;
        this.endLine();
      } else {
        this.endLine();
        if (breaks >= 2 && this.lines.length > 0) this.blank();
        this.lines.push({ indent: this.statementOpen ? 2 * (this.depth + 1) : 0, code: '', comment: text });
      }
      from = comment.span.end;
      broke = true;
    }
    const breaks = lineBreaksIn(this.source, from, offset);
    if (breaks > 0 || broke || force) {
      this.endLine();
      if (breaks >= 2 && this.lines.length > 0 && offset < this.source.length) this.blank();
      broke = true;
    }
    this.position = Math.max(this.position, offset);
    return broke;
  }

  /** True between the first and the last piece of a statement: a comment there is indented as a continuation. */
  statementOpen = false;

  private endLine(): void {
    if (this.current !== null) this.lines.push(this.current);
    this.current = null;
  }

  private blank(): void {
    const last = this.lines[this.lines.length - 1];
    if (last !== undefined && (last.code !== '' || last.comment !== null)) this.lines.push({ indent: 0, code: '', comment: null });
  }

  /** The finished text: trailing comments aligned per block of consecutive code lines, one final line break. */
  text(): string {
    this.endLine();
    const lines = this.lines;
    while (lines.length > 0 && lines[lines.length - 1]!.code === '' && lines[lines.length - 1]!.comment === null) lines.pop();
    const out: string[] = [];
    let i = 0;
    while (i < lines.length) {
      if (lines[i]!.code === '') {
        const line = lines[i++]!;
        out.push(line.comment === null ? '' : ' '.repeat(line.indent) + line.comment);
        continue;
      }
      let j = i;
      while (j < lines.length && lines[j]!.code !== '') j++;
      const block = lines.slice(i, j);
      const column = Math.max(0, ...block.filter((l) => l.comment !== null).map((l) => l.indent + l.code.length)) + commentGap;
      for (const line of block) {
        const code = ' '.repeat(line.indent) + line.code;
        out.push(line.comment === null ? code : code.padEnd(column) + line.comment);
      }
      i = j;
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}

/** The line breaks (`\r\n`, `\r` or `\n`) in `source` between `from` and `to`. */
function lineBreaksIn(source: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = source[i];
    if (c === '\n') n++;
    else if (c === '\r' && source[i + 1] !== '\n') n++;
  }
  return n;
}

function printStatement(w: Writer, statement: StatementNode, breaks: ReadonlySet<number>): void {
  w.statementOpen = false;
  const start = statement.span.offset;
  switch (statement.kind) {
    case 'Model':
      w.put('model', start, false);
      w.statementOpen = true;
      printValue(w, statement.name, true);
      break;
    case 'Input':
      w.put('input', start, false);
      w.statementOpen = true;
      if (statement.dims.length > 0) {
        const first = statement.dims[0]!;
        w.put(statement.dims.map((d) => d.text).join('x'), first.span.offset, true);
        w.skipTo(statement.dims[statement.dims.length - 1]!.span.end);
      }
      break;
    case 'Train':
      w.put('train', start, false);
      w.statementOpen = true;
      for (const option of statement.options) printKeyValue(w, option, true);
      break;
    case 'Def':
      printDef(w, statement, breaks);
      break;
    case 'Pipeline':
      w.statementOpen = true;
      printPipeline(w, statement, false, breaks);
      break;
    case 'Budget':
      w.put('budget', start, false);
      w.statementOpen = true;
      printValue(w, statement.metric, true);
      w.put('<=', w.find('<', statement.metric.span.end), true);
      w.skipTo(w.find('=', statement.metric.span.end) + 1);
      printValue(w, statement.limit, true);
      break;
    default:
      unknownNode(statement);
  }
  w.statementOpen = false;
}

function printDef(w: Writer, def: DefNode, breaks: ReadonlySet<number>): void {
  w.put('def', def.span.offset, false);
  w.statementOpen = true;
  printValue(w, def.name, true);
  let after = def.name.span.end;
  if (def.params.length > 0) {
    w.put('(', w.find('(', after), false);
    w.depth++;
    def.params.forEach((param, i) => {
      if (i > 0) w.append(',', false);
      printValue(w, param.name, i > 0);
      if (param.default !== null) {
        w.put('=', w.find('=', param.name.span.end), false);
        printValue(w, param.default, false);
      }
      after = param.span.end;
    });
    w.depth--;
    after = w.find(')', after);
    w.put(')', after, false);
    after++;
  }
  w.put('=', w.find('=', after), true);
  printPipeline(w, def.body, true, breaks);
}

/** Stages joined by ` | `; a break the source (or `breaks`) puts before a `|` moves after it. */
function printPipeline(w: Writer, pipeline: PipelineNode, spaceFirst: boolean, breaks: ReadonlySet<number>): void {
  pipeline.layers.forEach((stage, i) => {
    if (i > 0) {
      // Placed at the end of the stage before: a comment or line break before `|` (allowed inside brackets) is
      // printed after it, where a line break is allowed too, so every `|` ends its line.
      w.append('|', true);
    }
    printStage(w, stage, i > 0 || spaceFirst, breaks.has(stage.span.offset));
  });
}

function printStage(w: Writer, stage: StageNode, space: boolean, force = false): void {
  switch (stage.kind) {
    case 'Layer':
      w.put(stage.name.name, stage.span.offset, space, force);
      for (const arg of stage.args) printArg(w, arg);
      break;
    case 'BlockUse':
      w.put(stage.name.name, stage.span.offset, space, force);
      printArguments(w, stage.name.span.end, stage.args);
      break;
    case 'Repeat': {
      printStage(w, stage.body, space, force);
      const x = w.find('x', stage.body.span.end);
      if (stage.count.kind === 'Number') {
        w.put(`x${stage.count.text}`, x, true);
        w.skipTo(stage.count.span.end);
      } else {
        w.put('x', x, true);
        printValue(w, stage.count, true);
      }
      break;
    }
    case 'Group':
      w.put('(', stage.span.offset, space, force);
      w.depth++;
      printPipeline(w, stage.body, false, new Set());
      w.depth--;
      w.put(')', stage.span.end - 1, false);
      break;
    case 'Residual':
      w.put('residual', stage.span.offset, space, force);
      if (stage.proj !== null) w.put('proj', stage.proj.span.offset, true);
      w.put('{', w.find('{', stage.proj?.span.end ?? stage.span.offset), true);
      w.depth++;
      printPipeline(w, stage.body, true, new Set());
      w.depth--;
      w.put('}', stage.span.end - 1, true);
      break;
    case 'Expect':
      w.put('expect', stage.span.offset, space, force);
      if (stage.dims.length > 0) {
        w.put(stage.dims.map((d) => d.text).join('x'), stage.dims[0]!.span.offset, true);
        w.skipTo(stage.dims[stage.dims.length - 1]!.span.end);
      }
      break;
    default:
      unknownNode(stage);
  }
}

/** A node kind the printer does not know yet: the compiler flags the switch, and at run time nothing is lost. */
function unknownNode(node: never): never {
  throw new Error(`internal: netc fmt cannot print ${(node as { kind: string }).kind}`);
}

/** `(a, k=3)` after a block's name, from the source offset `after` of that name. */
function printArguments(w: Writer, after: number, args: readonly (PositionalArgNode | KeyValueArgNode)[]): void {
  w.put('(', w.find('(', after), false);
  w.depth++;
  let previous = after;
  args.forEach((arg, i) => {
    if (i > 0) w.append(',', false);
    if (arg.kind === 'KeyValueArg') printKeyValue(w, arg, i > 0);
    else printValue(w, arg.value, i > 0);
    previous = arg.span.end;
  });
  w.depth--;
  w.put(')', w.find(')', previous), false);
}

function printArg(w: Writer, arg: ArgNode): void {
  switch (arg.kind) {
    case 'PositionalArg':
      printValue(w, arg.value, true);
      break;
    case 'ShortArg':
      w.put(`${arg.letter}${valueText(arg.value)}`, arg.span.offset, true);
      w.skipTo(arg.span.end);
      break;
    case 'KeyValueArg':
      printKeyValue(w, arg, true);
      break;
  }
}

function printKeyValue(w: Writer, arg: KeyValueArgNode, space: boolean): void {
  printValue(w, arg.key, space);
  w.put('=', w.find('=', arg.key.span.end), false);
  printValue(w, arg.value, false);
}

function printValue(w: Writer, value: ValueNode, space: boolean): void {
  w.put(valueText(value), value.span.offset, space);
  w.skipTo(value.span.end);
}

/** A value as printed: numbers as written, sizes joined by `x` without blanks. */
function valueText(value: ValueNode): string {
  switch (value.kind) {
    case 'Number':
      return value.text;
    case 'Dims':
      return value.values.map((v) => v.text).join('x');
    case 'Ident':
      return value.name;
  }
}
