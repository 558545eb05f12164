import { expect } from 'vitest';
import type { Span } from '../../src/diagnostics/Diagnostic.js';
import type { ArgNode, FileNode, LayerNode, StageNode, StatementNode, ValueNode } from '../../src/syntax/ast.js';
import { parse } from '../../src/syntax/parse.js';

/** The AST of a source that must parse without any diagnostic. */
export function parseClean(source: string): FileNode {
  const { ast, diagnostics } = parse(source);
  expect(diagnostics).toEqual([]);
  return ast;
}

/** A span as `line:column-endLine:endColumn`, to compare positions at a glance. */
export function where(span: Span): string {
  return `${span.line}:${span.column}-${span.endLine}:${span.endColumn}`;
}

/** The syntax diagnostics of `source` as code and start position. */
export function diagnosticsOf(source: string): { code: string; line: number; column: number }[] {
  return parse(source).diagnostics.map((d) => ({ code: d.code, line: d.span.line, column: d.span.column }));
}

/** A node without its spans, nested nodes included: the structure a test compares. */
export function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'span')
      .map(([key, inner]) => [key, withoutSpans(inner)]),
  );
}

/** Every layer stage of the file's top-level pipelines, in order (a v1 file has no other stage). */
export function layersOf(ast: FileNode): LayerNode[] {
  return ast.statements.flatMap((statement: StatementNode) =>
    statement.kind === 'Pipeline' ? statement.layers.filter((stage): stage is LayerNode => stage.kind === 'Layer') : [],
  );
}

/** Every stage of the file's top-level pipelines, in order. */
export function stagesOf(ast: FileNode): StageNode[] {
  return ast.statements.flatMap((statement: StatementNode) => (statement.kind === 'Pipeline' ? statement.layers : []));
}

/**
 * A stage written back compactly: layers as `showLayer`, `cbs(#6, k=#3)`, `( a | b )`, `residual proj{ a }`, and
 * a repetition as `rep(STAGE, #3)` so that what it binds to is plain.
 */
export function showStage(stage: StageNode): string {
  switch (stage.kind) {
    case 'Layer':
      return showLayer(stage);
    case 'BlockUse':
      return `${stage.name.name}(${stage.args.map(showArg).join(', ')})`;
    case 'Group':
      return `( ${stage.body.layers.map(showStage).join(' | ')} )`;
    case 'Residual':
      return `residual${stage.proj === null ? '' : ' proj'}{ ${stage.body.layers.map(showStage).join(' | ')} }`;
    case 'Repeat':
      return `rep(${showStage(stage.body)}, ${showValue(stage.count)})`;
    case 'Expect':
      return `expect ${stage.dims.map((dim) => `#${dim.value}`).join('x')}`;
  }
}

/** A statement written back: pipelines as their stages, defs as `def NAME(PARAMS) = STAGES`, others by kind. */
export function showStatement(statement: StatementNode): string {
  switch (statement.kind) {
    case 'Pipeline':
      return statement.layers.map(showStage).join(' | ');
    case 'Def': {
      const params = statement.params.map((p) => (p.default === null ? p.name.name : `${p.name.name}=${showValue(p.default)}`));
      return `def ${statement.name.name}(${params.join(', ')}) = ${statement.body.layers.map(showStage).join(' | ')}`;
    }
    default:
      return statement.kind;
  }
}

/** A layer as `name arg arg`, written back from the AST (positions left out). */
export function showLayer(layer: LayerNode): string {
  return [layer.name.name, ...layer.args.map(showArg)].join(' ');
}

function showArg(arg: ArgNode): string {
  switch (arg.kind) {
    case 'PositionalArg':
      return showValue(arg.value);
    case 'ShortArg':
      return `${arg.letter}:${showValue(arg.value)}`;
    case 'KeyValueArg':
      return `${arg.key.name}=${showValue(arg.value)}`;
  }
}

/** A value: `#6` for a number, `#3x#5` for a size, `'same'` for a name. */
export function showValue(value: ValueNode): string {
  switch (value.kind) {
    case 'Number':
      return `#${value.value}`;
    case 'Dims':
      return value.values.map((v) => `#${v.value}`).join('x');
    case 'Ident':
      return `'${value.name}'`;
  }
}

/** A node with every span written as `line:column-endLine:endColumn` under `at`, nested nodes included. */
export function withPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPositions);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => (key === 'span' ? ['at', where(inner as Span)] : [key, withPositions(inner)])),
  );
}
