import { InlayHintKind, type InlayHint } from 'vscode-languageserver';
import { formatShape } from '../ir/layout.js';
import type { CheckedLayer } from '../ir/model.js';
import type { StageNode } from '../syntax/ast.js';
import type { Analyzed } from './document.js';

/**
 * The output shape at the end of every line of the model's pipeline (`-> 16x4x4`), from the shapes the checker
 * inferred (in a file with errors, those before and apart from them), for the lines `fromLine..toLine`.
 */
export function shapeHints(doc: Analyzed, fromLine: number, toLine: number): InlayHint[] {
  const layers = doc.analysis.index.layers;
  if (layers.length === 0) return [];
  const hints = new Map<number, InlayHint>();
  for (const statement of doc.analysis.ast.statements) {
    if (statement.kind !== 'Pipeline') continue;
    const startLine = doc.lines.position(statement.span.offset).line;
    const endLine = doc.lines.position(statement.span.end).line;
    if (endLine < fromLine || startLine > toLine) continue;
    for (const stage of statement.layers) {
      const output = outputOf(stage, layers);
      if (output === null) continue;
      const position = doc.lines.position(stage.span.end);
      if (position.line < fromLine || position.line > toLine) continue;
      // The last stage that ends on a line gives that line's shape.
      hints.set(position.line, { position, label: `-> ${formatShape(output)}`, kind: InlayHintKind.Type, paddingLeft: true });
    }
  }
  return [...hints.values()];
}

/** A top-level stage's output: that of its last layer, a layer written in it or expanded from a block used in it. */
function outputOf(stage: StageNode, layers: readonly CheckedLayer[]): readonly number[] | null {
  const inside = (span: { offset: number; end: number }): boolean => stage.span.offset <= span.offset && span.end <= stage.span.end;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const origin = layer.blocks?.[0]?.span ?? layer.span;
    if (inside(origin)) return layer.outputShape;
  }
  return null;
}
