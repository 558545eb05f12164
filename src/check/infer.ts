import type { ArgValue, Shape } from './model.js';
import type { LayerKind, ShapeContext } from '../layers/LayerKind.js';
import type { LayerNode } from '../syntax/ast.js';
import type { Span } from '../diagnostics/Diagnostic.js';
import { isCode, type Reporter } from './Reporter.js';

/** One layer as the checker sees it after name and argument resolution. */
export interface ResolvedLayer {
  /** Position in the file's stack of layers, across statements. */
  readonly index: number;
  readonly node: LayerNode;
  /** Null when the name is not a layer (already reported). */
  readonly kind: LayerKind | null;
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly argSpans: Readonly<Record<string, Span>>;
  /** False when an argument that decides the shape is missing or wrong (already reported). */
  readonly complete: boolean;
  /** True when a syntax error lies before this layer's end: a layer may have been dropped, so shapes are unknown. */
  readonly afterSyntaxError: boolean;
}

/** The shapes flowing into and out of one layer; null where an earlier problem leaves them unknown. */
export interface LayerShapes {
  readonly input: Shape | null;
  readonly output: Shape | null;
}

/**
 * The one inference pass: feeds the model input through the stack, asking each kind for its output shape.
 * An unknown shape (after any problem) stays unknown downstream and is never checked, so one mistake gives
 * one diagnostic while independent mistakes further on (a bad argument, an unknown layer) are still found.
 */
export function inferShapes(input: Shape | null, layers: readonly ResolvedLayer[], reporter: Reporter): LayerShapes[] {
  const shapes: LayerShapes[] = [];
  let current = input;
  for (const layer of layers) {
    let output: Shape | null = null;
    if (layer.kind !== null && layer.complete) {
      const context = shapeContext(layer, reporter);
      const argsOk = layer.kind.checkArgs?.(layer.args, context) ?? true;
      if (argsOk && current !== null && !layer.afterSyntaxError) output = layer.kind.inferShape(current, layer.args, context);
    }
    shapes.push({ input: current, output });
    current = output;
  }
  return shapes;
}

function shapeContext(layer: ResolvedLayer, reporter: Reporter): ShapeContext {
  const spanOf = (arg: string): Span => layer.argSpans[arg] ?? layer.node.span;
  return {
    layerName: layer.node.name.name,
    spanOf,
    report(code, message, options) {
      if (!isCode(code)) throw new Error(`internal: layer kind '${layer.node.name.name}' reported unknown code ${code}`);
      const span = options?.arg === undefined ? layer.node.span : spanOf(options.arg);
      reporter.report(code, message, span, undefined, options?.severity);
    },
  };
}
