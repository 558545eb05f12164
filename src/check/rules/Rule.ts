import type { SyntaxDamage } from '../SyntaxDamage.js';
import type { LayerShapes, ResolvedLayer } from '../infer.js';
import type { RelatedLocation, Span } from '../../diagnostics/Diagnostic.js';
import type { Code } from '../../diagnostics/messages.js';
import type { FileNode, InputNode, LayerNode, ModelNode, TrainNode } from '../../syntax/ast.js';

/** The statements of a file grouped by kind, each group in source order. */
export interface FileStatements {
  readonly file: FileNode;
  readonly models: readonly ModelNode[];
  readonly inputs: readonly InputNode[];
  readonly trains: readonly TrainNode[];
  /** Every layer of every pipeline, top to bottom: the stack. */
  readonly layers: readonly LayerNode[];
}

/** What a rule reads (the resolved file and the inferred shapes) and how it reports. */
export interface RuleContext {
  readonly statements: FileStatements;
  readonly layers: readonly ResolvedLayer[];
  /** `shapes[i]` belongs to `layers[i]`. */
  readonly shapes: readonly LayerShapes[];
  /** Where syntax errors were, so rules do not report what they caused (a dropped layer, a lost `input`). */
  readonly damage: SyntaxDamage;
  /** The dataset the file trains on: its `train` line's, or the default. */
  readonly dataset: string;
  report(code: Code, message: string, span: Span, related?: readonly RelatedLocation[]): void;
}

/** A check that reads the results of resolution and inference and reports what it finds; one per file. */
export type Rule = (context: RuleContext) => void;
