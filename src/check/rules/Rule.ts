import type { SyntaxDamage } from '../SyntaxDamage.js';
import type { GraphNode } from '../graph.js';
import type { RelatedLocation, Severity, Span } from '../../diagnostics/Diagnostic.js';
import type { Code } from '../../diagnostics/messages.js';
import type { BudgetNode, DefNode, FileNode, InputNode, ModelNode, StageNode, TrainNode } from '../../syntax/ast.js';

/** The statements of a file grouped by kind, each group in source order. */
export interface FileStatements {
  readonly file: FileNode;
  readonly models: readonly ModelNode[];
  readonly inputs: readonly InputNode[];
  readonly trains: readonly TrainNode[];
  readonly defs: readonly DefNode[];
  readonly budgets: readonly BudgetNode[];
  /** Every stage of every top-level pipeline, top to bottom: the model as written, before expansion. */
  readonly layers: readonly StageNode[];
}

/** What a rule reads (the file and the expanded graph with its shapes) and how it reports. */
export interface RuleContext {
  readonly statements: FileStatements;
  /** The expanded graph in topological order, with the shapes flowing into and out of each node. */
  readonly nodes: readonly GraphNode[];
  /** The node whose output is the model's output, or null when it is unknown (after a problem). */
  readonly output: GraphNode | null;
  /** Where syntax errors were, so rules do not report what they caused (a dropped layer, a lost `input`). */
  readonly damage: SyntaxDamage;
  /** The dataset the file trains on: its `train` line's, or the default. */
  readonly dataset: string;
  report(code: Code, message: string, span: Span, related?: readonly RelatedLocation[]): void;
  /**
   * Reports a problem of a node: at the node, or at its block use when it came from one and `dependent` (the
   * default) says the problem depends on the use (see `siteOf`).
   */
  reportAt(
    node: GraphNode,
    code: Code,
    message: string,
    options?: { readonly related?: readonly RelatedLocation[]; readonly dependent?: boolean; readonly severity?: Severity },
  ): void;
}

/** A check that reads the results of expansion and inference and reports what it finds; one per file. */
export type Rule = (context: RuleContext) => void;
