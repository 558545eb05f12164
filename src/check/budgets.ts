import type { CheckedModel } from '../ir/model.js';
import type { RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
import type { Code } from '../diagnostics/messages.js';
import type { BudgetNode } from '../syntax/ast.js';
import { didYouMean, listNames } from './didYouMean.js';

/** What a `budget` line can limit: how the count reads in a message, and the count of a checked model. */
interface BudgetMetric {
  /** `44,878 trainable parameters`: the noun after the number. */
  readonly noun: string;
  /** What the count is made of, after the noun: `(44,878 trainable)` for all parameters. */
  readonly detail?: (model: CheckedModel) => string;
  readonly count: (model: CheckedModel) => number;
  /** The per-layer part of the count, to name the layer that contributes most; absent when it is not per layer. */
  readonly perLayer: (layer: CheckedModel['layers'][number]) => number;
}

/** Every budget the language knows, by the name written after `budget`. */
export const budgetMetrics: Readonly<Record<string, BudgetMetric>> = {
  params: {
    noun: 'parameters',
    detail: (model) => ` (${formatCount(model.totals.trainable)} trainable, ${formatCount(model.totals.nonTrainable)} non-trainable)`,
    count: (model) => model.totals.trainable + model.totals.nonTrainable,
    perLayer: (layer) => layer.params.trainable + layer.params.nonTrainable,
  },
  trainable: { noun: 'trainable parameters', count: (model) => model.totals.trainable, perLayer: (layer) => layer.params.trainable },
  macs: { noun: 'MACs', count: (model) => model.cost.macs, perLayer: (layer) => layer.macs },
  memory: {
    noun: 'floats of activation memory',
    count: (model) => model.cost.activations,
    perLayer: (layer) => layer.outputShape.reduce((product, size) => product * size, 1),
  },
};

/** A budget line whose metric and limit are valid. */
export interface Budget {
  readonly node: BudgetNode;
  readonly metric: string;
  readonly limit: number;
}

type Report = (code: Code, message: string, span: Span, related?: readonly RelatedLocation[]) => void;

/**
 * Reads the `budget` lines: NN2032 for a metric the language does not know (with "did you mean"), NN2011 for a
 * negative or infinite limit, NN2015 for a fractional one, NN2007 for a second budget on the same metric.
 * Returns the valid ones, to be held against the model once it is checked.
 */
export function resolveBudgets(nodes: readonly BudgetNode[], report: Report): Budget[] {
  const budgets: Budget[] = [];
  const first = new Map<string, BudgetNode>();
  const names = Object.keys(budgetMetrics);
  for (const node of nodes) {
    const metric = node.metric.name;
    if (!Object.hasOwn(budgetMetrics, metric)) {
      const guess = didYouMean(metric, names);
      const hint = guess === undefined ? '' : `; did you mean \`${guess}\``;
      report('NN2032', `Unknown budget \`${metric}\`${hint}? A budget limits ${listNames(names)}.`, node.metric.span);
      continue;
    }
    const limit = node.limit.value;
    if (!Number.isFinite(limit) || limit < 0) {
      report('NN2011', `A budget's limit is a count of at least 0, not \`${node.limit.text}\`.`, node.limit.span);
      continue;
    }
    if (!Number.isInteger(limit)) {
      report('NN2015', `A budget's limit is a whole count, not \`${node.limit.text}\`; write \`${Math.floor(limit)}\`.`, node.limit.span);
      continue;
    }
    const earlier = first.get(metric);
    if (earlier !== undefined) {
      report('NN2007', `\`budget ${metric}\` is given twice; keep the one on line ${earlier.span.line} and remove this one.`, node.span, [
        { message: `The first \`budget ${metric}\` is here.`, span: earlier.span },
      ]);
      continue;
    }
    first.set(metric, node);
    budgets.push({ node, metric, limit });
  }
  return budgets;
}

/**
 * NN6003 at each budget line the checked model exceeds, naming the count and the limit with thousands separators
 * and the layer that contributes most, the first place to look.
 */
export function checkBudgets(budgets: readonly Budget[], model: CheckedModel, report: Report): void {
  for (const budget of budgets) {
    const metric = budgetMetrics[budget.metric]!;
    const count = metric.count(model);
    if (count <= budget.limit) continue;
    let largest: CheckedModel['layers'][number] | undefined;
    for (const layer of model.layers) if (largest === undefined || metric.perLayer(layer) > metric.perLayer(largest)) largest = layer;
    const share = largest === undefined ? 0 : metric.perLayer(largest);
    const most =
      largest === undefined || share === 0
        ? ''
        : `; the most, ${formatCount(share)}, are in \`${largest.op}\` at line ${largest.span.line}`;
    report(
      'NN6003',
      `${formatCount(count)} ${metric.noun}${metric.detail?.(model) ?? ''} exceed the budget of ${formatCount(budget.limit)} ` +
        `(by ${formatCount(count - budget.limit)})${most}.`,
      budget.node.span,
      largest === undefined || share === 0 ? undefined : [{ message: `\`${largest.op}\` is here.`, span: largest.span }],
    );
  }
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
