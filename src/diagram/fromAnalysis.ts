import type { Analysis } from '../frontend/analyze.js';
import { diagramModel, type DiagramModel } from './model.js';

/** The diagram of an analysed source; a model with errors is drawn up to its first error. */
export function diagramOfAnalysis(analysis: Analysis): DiagramModel {
  const { model, ast } = analysis;
  const written = ast.statements.find((statement) => statement.kind === 'Model');
  const name = model?.name ?? (written?.kind === 'Model' ? written.name.name : baseName(analysis.file));
  const input = model === null ? null : { shape: model.input, span: model.inputSpan };
  return diagramModel({ name, input, graph: analysis.graph, diagnostics: analysis.diagnostics });
}

function baseName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const name = base.endsWith('.net') ? base.slice(0, -'.net'.length) : base;
  return name === '' ? 'model' : name;
}
