import { check } from '../check/check.js';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import { parse } from '../syntax/parse.js';
import { diagramModel, type DiagramModel } from './model.js';

/** A diagram of source text with the diagnostics that came with it. */
export interface SourceDiagram {
  readonly diagram: DiagramModel;
  /** Parser and checker diagnostics, in that order. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses and checks `source` and builds its diagram; a model with errors is drawn up to its first error. */
export function diagramOfSource(source: string, fileName?: string): SourceDiagram {
  const parsed = parse(source);
  const checked = check(parsed.ast, { parseDiagnostics: parsed.diagnostics, ...(fileName === undefined ? {} : { fileName }) });
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics];
  const written = parsed.ast.statements.find((statement) => statement.kind === 'Model');
  const name = checked.model?.name ?? (written?.kind === 'Model' ? written.name.name : baseName(fileName));
  const input = checked.model === null ? null : { shape: checked.model.input, span: checked.model.inputSpan };
  return { diagram: diagramModel({ name, input, graph: checked.graph, diagnostics }), diagnostics };
}

function baseName(fileName: string | undefined): string {
  const base = (fileName ?? '').split(/[\\/]/).pop() ?? '';
  const name = base.endsWith('.net') ? base.slice(0, -'.net'.length) : base;
  return name === '' ? 'model' : name;
}
