import type { CheckedLayer, CheckedModel, ModelCost, ParamCount } from '../ir/model.js';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import type { BudgetNode, DefNode, FileNode, InputNode, ModelNode, StageNode, TrainNode } from '../syntax/ast.js';
// Only type imports from tfjs are reachable from here: `netc check` must answer without loading TensorFlow.js.
import { Reporter } from './Reporter.js';
import { SyntaxDamage } from './SyntaxDamage.js';
import { collectBlocks } from './blocks.js';
import { checkBudgets, resolveBudgets } from './budgets.js';
import { Expander } from './expand.js';
import { addOp, useFrames, type GraphNode } from './graph.js';
import { resolveInputShape } from './inputShape.js';
import type { ReportFn } from './resolveArgs.js';
import { siteOf } from './sites.js';
import { rules } from './rules/index.js';
import type { FileStatements, RuleContext } from './rules/Rule.js';
import { resolveTrain } from './trainOptions.js';
import { defaultDataset } from '../ir/catalogue.js';

/** Options of `check`. */
export interface CheckOptions {
  /** The file's path; its base name (without `.net`) names a model that has no `model` statement. */
  readonly fileName?: string;
  /**
   * The parser's diagnostics for this AST. With them the checker stays quiet about what a syntax error caused (an
   * argument lost with its layer, a shape that skipped a dropped layer) and reports only independent problems.
   */
  readonly parseDiagnostics?: readonly Diagnostic[];
  /**
   * The dataset the model will train on when it is not the file's `dataset=` (`netc train --dataset`): the rules
   * that compare the model with its dataset use this one. A name outside the catalogue (`idx:DIR`, user data whose
   * size is known only once read) turns those rules off; training checks the fit after loading.
   */
  readonly dataset?: string;
}

/** What `check` returns: the checked model when there is no error (warnings allowed), and every diagnostic. */
export interface CheckResult {
  readonly model: CheckedModel | null;
  readonly diagnostics: Diagnostic[];
  /**
   * The expanded graph as far as the checker got, with unknown shapes after a problem: what `netc diagram` draws
   * of a model with errors.
   */
  readonly graph: readonly GraphNode[];
  /**
   * Every layer whose input and output shapes were inferred, also when the check found errors (an editor shows the
   * shapes up to the first problem); the model's layers when there is no error.
   */
  readonly inferred: readonly CheckedLayer[];
}

/**
 * Checks a parsed `.net` file: collects the blocks, expands the pipeline into a graph while inferring every shape
 * (one pass), runs the rules, and builds the checked model. Reports every problem it can find; never throws on
 * user input.
 */
export function check(ast: FileNode, options: CheckOptions = {}): CheckResult {
  const reporter = new Reporter();
  const report: ReportFn = (code, message, span, related, fix) => reporter.report(code, message, span, related, undefined, fix);

  const statements = groupStatements(ast);
  const damage = new SyntaxDamage(ast, options.parseDiagnostics ?? []);
  const firstInput = statements.inputs[0];
  // A damaged `input` may have lost dimensions (`1x28x` reads as `1`): its shape is unknown, not wrong.
  const input = firstInput === undefined || damage.damaged(firstInput) ? null : resolveInputShape(firstInput, report);
  const train = resolveTrain(statements.trains, report);
  const budgets = resolveBudgets(statements.budgets, report);
  const blocks = collectBlocks(statements.defs, statements.layers, damage, report);
  const expander = new Expander({ reporter, damage, blocks });
  const output = expander.expandMain(statements.layers, input);
  // A block the model never expands is still checked for what its definition alone decides.
  // One expander per block, dropped after it: the nodes made while checking a block alone are needed by nothing
  // else, and a file of 200,000 unused blocks would otherwise keep them all.
  for (const def of statements.defs) if (!expander.entered.has(def)) new Expander({ reporter, damage, blocks }, true).checkAlone(def);
  const nodes = expander.nodes;

  const context: RuleContext = {
    statements,
    nodes,
    output: output.shape === null ? null : (nodes[output.id] ?? null),
    damage,
    dataset: options.dataset ?? train.options.dataset ?? defaultDataset,
    report,
    reportAt(node, code, message, at = {}) {
      const site = siteOf(node.frames, node.span, message, at.dependent ?? true, at.related);
      reporter.report(code, site.message, site.span, site.related.length > 0 ? site.related : undefined, at.severity);
    },
  };
  for (const rule of rules) rule(context);

  const diagnostics = reporter.sorted();
  if (reporter.hasErrors || damage.any || firstInput === undefined || input === null) {
    // Built on first use: `netc check` never asks, and on a big file with errors they would cost it time.
    let inferred: readonly CheckedLayer[] | undefined;
    return {
      model: null,
      diagnostics,
      graph: nodes,
      get inferred(): readonly CheckedLayer[] {
        inferred ??= nodes.filter(resolved).map(checkedLayer);
        return inferred;
      },
    };
  }
  const checkedLayers = nodes.map(checkedLayer);
  const model: CheckedModel = {
    name: statements.models[0]?.name.name ?? modelNameFromFile(options.fileName),
    input,
    inputSpan: firstInput.span,
    train: train.options,
    trainSpans: train.spans,
    layers: checkedLayers,
    totals: sumParams(checkedLayers.map((layer) => layer.params)),
    cost: sumCost(checkedLayers),
  };
  // Budgets are held against the totals, which exist only for a model without errors.
  checkBudgets(budgets, model, report);
  if (reporter.hasErrors) return { model: null, diagnostics: reporter.sorted(), graph: nodes, inferred: checkedLayers };
  return { model, diagnostics, graph: nodes, inferred: checkedLayers };
}

/** The statements by kind; top-level pipelines are joined into one, as consecutive statements chain. */
function groupStatements(file: FileNode): FileStatements {
  const models: ModelNode[] = [];
  const inputs: InputNode[] = [];
  const trains: TrainNode[] = [];
  const defs: DefNode[] = [];
  const budgets: BudgetNode[] = [];
  const layers: StageNode[] = [];
  for (const statement of file.statements) {
    switch (statement.kind) {
      case 'Model':
        models.push(statement);
        break;
      case 'Input':
        inputs.push(statement);
        break;
      case 'Train':
        trains.push(statement);
        break;
      case 'Def':
        defs.push(statement);
        break;
      case 'Pipeline':
        for (const stage of statement.layers) layers.push(stage);
        break;
      case 'Budget':
        budgets.push(statement);
        break;
    }
  }
  return { file, models, inputs, trains, defs, budgets, layers };
}

/** True when the node's shapes are known and it is a layer (or a join): what `checkedLayer` needs. */
function resolved(node: GraphNode): boolean {
  return node.input !== null && node.output !== null && (node.kind !== null || node.role === 'add') && node.complete !== false;
}

// Called when the check found no error (or, through `resolved`, for the nodes that did resolve), so every node resolved and every shape is known.
function checkedLayer(node: GraphNode): CheckedLayer {
  const { kind, input, output } = node;
  if (input === null || output === null || (kind === null && node.role !== 'add')) {
    throw new Error(`internal: node ${node.index} is unresolved in an error-free check`);
  }
  const uses = useFrames(node.frames);
  return {
    index: node.index,
    op: kind?.name ?? addOp,
    variant: node.role === 'projection' ? 'projection' : (kind?.variant?.(input) ?? null),
    args: node.args,
    span: node.span,
    inputs: node.inputs,
    inputShape: input,
    outputShape: output,
    params: kind?.params(input, node.args) ?? { trainable: 0, nonTrainable: 0 },
    macs: kind?.macs(input, node.args, output) ?? 0,
    ...(uses.length > 0 ? { blocks: uses.map((frame) => ({ name: frame.def.name.name, span: frame.use.span })) } : {}),
  };
}

function sumParams(counts: readonly ParamCount[]): ParamCount {
  return counts.reduce(
    (total, count) => ({
      trainable: total.trainable + count.trainable,
      nonTrainable: total.nonTrainable + count.nonTrainable,
    }),
    { trainable: 0, nonTrainable: 0 },
  );
}

/** MACs, FLOPs (2 per MAC) and the floats of every layer's output, for one example. */
export function sumCost(layers: readonly CheckedLayer[]): ModelCost {
  let macs = 0;
  let activations = 0;
  for (const layer of layers) {
    macs += layer.macs;
    activations += layer.outputShape.reduce((product, size) => product * size, 1);
  }
  return { macs, flops: 2 * macs, activations };
}

/** `models/lenet-bn.net` names its model `lenet-bn`; without a file name the model is `model`. */
function modelNameFromFile(fileName: string | undefined): string {
  if (fileName === undefined) return 'model';
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const name = base.endsWith('.net') ? base.slice(0, -'.net'.length) : base;
  return name === '' ? 'model' : name;
}
