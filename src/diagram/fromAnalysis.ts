import type { Analysis } from '../frontend/analyze.js';
import { diagramModel, type DiagramModel, type DiagramSource } from './model.js';

/** The diagram of an analysed source; a model with errors is drawn up to its first error. */
export function diagramOfAnalysis(analysis: Analysis): DiagramModel {
  const { model, ast } = analysis;
  const written = ast.statements.find((statement) => statement.kind === 'Model');
  const name = model?.name ?? (written?.kind === 'Model' ? written.name.name : baseName(analysis.file));
  const input = model === null ? writtenInput(analysis) : { shape: model.input, span: model.inputSpan };
  return diagramModel({ name, input, graph: analysis.graph, diagnostics: analysis.diagnostics });
}

/** A model that does not check still shows its `input` when that is whole positive sizes with no syntax error. */
function writtenInput(analysis: Analysis): DiagramSource['input'] {
  const statement = analysis.ast.statements.find((s) => s.kind === 'Input');
  if (statement?.kind !== 'Input' || statement.dims.length === 0) return null;
  // A syntax error in it (`1x28x`) may have cost it dimensions: no shape rather than a wrong one.
  const { offset, end } = statement.span;
  if (analysis.diagnostics.some((d) => d.code.startsWith('NN1') && d.span.offset < end && d.span.end > offset)) return null;
  const sizes = statement.dims.map((dim) => dim.value);
  return sizes.every((size) => Number.isInteger(size) && size > 0) ? { shape: sizes, span: statement.span } : null;
}

function baseName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const name = base.endsWith('.net') ? base.slice(0, -'.net'.length) : base;
  return name === '' ? 'model' : name;
}
