import { check } from '../check/check.js';
import type { GraphNode } from '../check/graph.js';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import type { CheckedModel } from '../ir/model.js';
import type { FileNode } from '../syntax/ast.js';
import { parse } from '../syntax/parse.js';
import { capDiagnostics, maxDiagnosticsPerFile } from './capDiagnostics.js';
import { PositionIndex } from './PositionIndex.js';

/** Everything the front end knows about one `.net` source: what every tool (CLI, language server, formatter) reads. */
export interface Analysis {
  /** The file's path as given; its base name names a model without a `model` statement. */
  readonly file: string;
  readonly source: string;
  /** The syntax tree, partial where the source has syntax errors, with every comment (`ast.comments`). */
  readonly ast: FileNode;
  /** The checked model, or null when there is an error (warnings allowed). */
  readonly model: CheckedModel | null;
  /** Syntax and checker diagnostics, at most `maxDiagnosticsPerFile` and one NN1005 that counts the rest. */
  readonly diagnostics: readonly Diagnostic[];
  /** Errors and warnings found, including those the cap left out. */
  readonly errors: number;
  readonly warnings: number;
  /** The checker's expanded graph as far as it got (unknown shapes after a problem): what `netc diagram` draws. */
  readonly graph: readonly GraphNode[];
  /**
   * Lookups by position: node, shapes, block definitions and uses. Built on first use. Its shapes are those the
   * checker inferred, so a file with errors still has them for the stages before (and independent of) its errors.
   */
  readonly index: PositionIndex;
}

/**
 * Parses and checks a `.net` source. Never throws on user input: problems come back as diagnostics. Runs in Node
 * and in a browser (nothing here loads TensorFlow.js or a node built-in).
 */
export function analyze(source: string, file: string, options: { readonly dataset?: string } = {}): Analysis {
  const parsed = parse(source);
  // Syntax errors make the AST partial; the checker still runs to report independent problems.
  const checked = check(parsed.ast, { fileName: file, parseDiagnostics: parsed.diagnostics, ...options });
  const all = [...parsed.diagnostics, ...checked.diagnostics];
  const errors = all.filter((d) => d.severity === 'error').length;
  const model = errors === 0 ? checked.model : null;
  let index: PositionIndex | undefined;
  return {
    file,
    source,
    ast: parsed.ast,
    model,
    diagnostics: capDiagnostics(all, maxDiagnosticsPerFile),
    errors,
    warnings: all.length - errors,
    graph: checked.graph,
    // `netc check` on a big file never asks for it, so it is not built until someone does.
    get index(): PositionIndex {
      index ??= new PositionIndex(parsed.ast, model, checked.inferred);
      return index;
    },
  };
}
