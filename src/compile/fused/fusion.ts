import type * as tfjs from '@tensorflow/tfjs';
import type { CheckedLayer, CheckedModel } from '../../ir/model.js';
import type { LowerContext } from '../../layers/LayerKind.js';
import { numberArg, wordArg } from '../../layers/args.js';
import type { FusedActivation } from '../../backend/simd/module.js';
import { FusedBatchNormActivation } from './FusedBatchNormActivation.js';
import { addOp } from '../../check/graph.js';

/*
 * The compiler's fast path: every `bn` becomes one FusedBatchNormActivation layer, which also applies the
 * activation that follows it when nothing else reads the batch norm's output. The activation's own node then
 * lowers to a `linear` activation layer, which tfjs applies without running a kernel: the graph keeps one tfjs
 * layer per node, with the names `netc summary` numbers, so the node map and weight names stay as they were.
 * Likewise a residual join followed by a relu becomes one FusedAddActivation layer (the relu's node passes through).
 */

/** How a node lowers on the fast path, when it differs from its layer kind's own lowering. */
export type FusedLowering = (layer: CheckedLayer, ctx: LowerContext) => tfjs.layers.Layer[];

const fusable: ReadonlySet<string> = new Set<FusedActivation>(['sigmoid', 'relu', 'tanh']);

/** What the fast path changes: nodes lowered differently, and residual joins that also apply the relu after them. */
export interface FusionPlan {
  readonly nodes: Map<number, FusedLowering>;
  /** Join (op `add`) node index -> the activation its fused layer applies (its one reader, a relu, lowers to linear). */
  readonly joins: Map<number, 'relu'>;
}

/** The nodes of `model` that lower differently on the fast path, by node index. */
export function planFusion(model: CheckedModel): FusionPlan {
  const readers = new Map<number, CheckedLayer[]>();
  for (const layer of model.layers) {
    for (const input of layer.inputs) readers.set(input, [...(readers.get(input) ?? []), layer]);
  }
  const plan = new Map<number, FusedLowering>();
  for (const layer of model.layers) {
    if (layer.op !== 'bn') continue;
    const next = readers.get(layer.index) ?? [];
    const act = next.length === 1 && next[0]!.inputs.length === 1 && fusable.has(next[0]!.op) ? next[0]! : undefined;
    const activation = (act?.op ?? 'linear') as FusedActivation;
    plan.set(layer.index, (bn, ctx) => [
      new FusedBatchNormActivation({
        momentum: numberArg(bn.args, 'momentum'),
        epsilon: numberArg(bn.args, 'eps'),
        impl: wordArg(bn.args, 'impl') === 'scratch' ? 'scratch' : 'builtin',
        activation,
        name: ctx.name(),
      }),
    ]);
    if (act !== undefined) plan.set(act.index, (_layer, ctx) => [ctx.tf.layers.activation({ activation: 'linear', name: ctx.name() })]);
  }
  // A residual join read only by a relu: the join applies the relu (one kernel each way) and the relu passes through.
  const joins = new Map<number, 'relu'>();
  for (const layer of model.layers) {
    if (layer.op !== addOp) continue;
    const next = readers.get(layer.index) ?? [];
    const relu = next.length === 1 && next[0]!.op === 'relu' && next[0]!.inputs.length === 1 ? next[0]! : undefined;
    if (relu === undefined || layer.inputs.length !== 2) continue;
    joins.set(layer.index, 'relu');
    plan.set(relu.index, (_layer, ctx) => [ctx.tf.layers.activation({ activation: 'linear', name: ctx.name() })]);
  }
  return { nodes: plan, joins };
}
