import * as tf from '@tensorflow/tfjs';
import { addOp } from '../check/graph.js';
import { FusedAddActivation } from './fused/FusedAddActivation.js';
import { toChannelsLast } from '../ir/layout.js';
import type { CheckedLayer, CheckedModel, Shape } from '../ir/model.js';
import type { BnImpl } from '../ir/catalogue.js';
import type { LowerContext } from '../layers/LayerKind.js';
import { findLayerKind } from '../layers/registry.js';
import { planFusion } from './fused/fusion.js';
import { createNetcLayer, registerNetcLayers } from './netcLayers.js';

/** Options of `compileModel`. */
export interface CompileOptions {
  /** Overrides every `bn`'s `impl=` (the `--bn` flag); absent keeps what the file says. */
  readonly bn?: BnImpl;
  /** Seeds the Glorot initialisers, so the same seed gives the same initial weights; absent is random. */
  readonly seed?: number;
  /** netc's fast path (src/compile/fused/fusion.ts): each `bn` fused with the activation after it; default off. */
  readonly fuse?: boolean;
}

/** Where one node of the checked graph lives in the compiled model. */
export interface CompiledNode {
  /** The node's `CheckedLayer.index`. */
  readonly index: number;
  readonly op: string;
  /** Every tfjs layer the node was lowered to, in order (a padding layer, then the convolution, ...). */
  readonly layers: readonly string[];
  /** The tfjs layer whose output is the node's output (the last of `layers`). */
  readonly output: string;
}

/** A compiled model and the map from checked nodes to its tfjs layers. */
export interface CompiledGraph {
  readonly model: tf.LayersModel;
  readonly nodes: readonly CompiledNode[];
}

/** What a compiled model carries in `getUserDefinedMetadata()` (and so in a saved `model.json`). */
export interface NetcMetadata {
  readonly netc: {
    readonly model: string;
    /** The input as the language writes it: `[C, H, W]` or `[F]`; tfjs's input is channels-last. */
    readonly input: readonly number[];
    readonly nodes: readonly CompiledNode[];
  };
}

/** The name of the model's input layer. */
export const inputLayerName = 'input';

/**
 * The tfjs name of node `index`'s layers: `conv_1`, `bn_2`, ... numbered like the rows of `netc summary`
 * (index + 1), and `conv_1_pad` for a helper layer the node needs first.
 */
export function nodeLayerName(op: string, index: number, suffix?: string): string {
  return suffix === undefined ? `${op}_${index + 1}` : `${op}_${index + 1}_${suffix}`;
}

/** Compiles a checked model to an (uncompiled-for-training) tfjs functional model; see `compileGraph`. */
export function compileModel(model: CheckedModel, options: CompileOptions = {}): tf.LayersModel {
  return compileGraph(model, options).model;
}

/**
 * Lowers every node of the checked graph to tfjs layers with the functional API, channels-last inside.
 * A node reads the outputs of `CheckedLayer.inputs`; a residual join (op `add`, language v2) is their
 * elementwise sum, and any other node with several inputs first adds them. The map from nodes to layers is
 * returned and also stored as the model's user-defined metadata, so it survives a save and load.
 */
export function compileGraph(model: CheckedModel, options: CompileOptions = {}): CompiledGraph {
  // Registering here means anything that compiled a model can also save and load one.
  registerNetcLayers();
  let initialiserCount = 0;
  const kernelInitializer: LowerContext['kernelInitializer'] = () => {
    // Distinct per layer (an offset per initialiser, in graph order) but the same on every run with this seed.
    const seed = options.seed === undefined ? undefined : options.seed * 1000 + initialiserCount;
    initialiserCount += 1;
    return tf.initializers.glorotUniform(seed === undefined ? {} : { seed });
  };

  let randomCount = 0;
  const randomSeed: LowerContext['randomSeed'] = () =>
    // Apart from the initialisers' seeds (seed * 1000 + n) and from each other's masks (call k uses seed + k).
    options.seed === undefined ? undefined : options.seed * 1_000_003 + 7_919 * ++randomCount;

  const input = tf.input({ shape: toChannelsLast(model.input), name: inputLayerName });
  const outputs = new Map<number, tf.SymbolicTensor>([[-1, input]]);
  const nodes: CompiledNode[] = [];
  const usedNames = new Set<string>([inputLayerName]);
  const fusion = options.fuse === true ? planFusion(model) : undefined;

  for (const written of model.layers) {
    const layer = withBnOverride(written, options.bn);
    // A residual join is no layer kind: the node is only the sum of its inputs (see joinInputs).
    const kind = layer.op === addOp ? null : findLayerKind(layer.op);
    if (kind === undefined) throw new Error(`internal: no layer kind '${layer.op}' (node ${layer.index})`);
    const names: string[] = [];
    const ctx: LowerContext = {
      tf,
      custom: createNetcLayer,
      kernelInitializer,
      randomSeed,
      name: (suffix) => {
        const name = nodeLayerName(layer.op, layer.index, suffix);
        if (usedNames.has(name)) throw new Error(`internal: layer name '${name}' used twice`);
        usedNames.add(name);
        names.push(name);
        return name;
      },
    };

    let x = joinInputs(layer, outputs, ctx, kind === null, fusion?.joins.get(layer.index));
    if (kind !== null) for (const tfLayer of fusion?.nodes.get(layer.index)?.(layer, ctx) ?? kind.lower(layer, ctx)) x = tfLayer.apply(x) as tf.SymbolicTensor;
    outputs.set(layer.index, x);
    const output = names[names.length - 1];
    if (output === undefined) throw new Error(`internal: '${layer.op}' lowered to no layer`);
    nodes.push({ index: layer.index, op: layer.op, layers: names, output });
  }

  const last = model.layers[model.layers.length - 1];
  if (last === undefined) throw new Error('internal: a checked model has at least one layer');
  const compiled = tf.model({ inputs: input, outputs: outputs.get(last.index)!, name: model.name });
  const metadata: NetcMetadata = { netc: { model: model.name, input: [...model.input], nodes } };
  compiled.setUserDefinedMetadata(metadata as unknown as Record<string, unknown>);
  return { model: compiled, nodes };
}

/** The node map stored in a compiled (or loaded) model, or null for a model netc did not make. */
export function netcMetadata(model: tf.LayersModel): NetcMetadata['netc'] | null {
  const metadata = model.getUserDefinedMetadata() as Partial<NetcMetadata> | undefined;
  return metadata?.netc ?? null;
}

/** `--bn` wins over the file's `impl=`. */
function withBnOverride(layer: CheckedLayer, bn: CompileOptions['bn']): CheckedLayer {
  if (bn === undefined || layer.op !== 'bn') return layer;
  return { ...layer, args: { ...layer.args, impl: bn } };
}

/**
 * The tensor a node reads: its one input, or the elementwise sum of several (`tf.layers.add`). For an `add` node
 * (`whole`) the sum is the node itself, named like it (`add_10`); before another node's own layers it is a helper
 * (`relu_3_add`).
 */
function joinInputs(
  layer: CheckedLayer,
  outputs: Map<number, tf.SymbolicTensor>,
  ctx: LowerContext,
  whole: boolean,
  fusedActivation?: 'relu',
): tf.SymbolicTensor {
  const inputs = layer.inputs.map((id) => {
    const tensor = outputs.get(id);
    if (tensor === undefined) throw new Error(`internal: node ${layer.index} reads node ${id} before it is compiled`);
    return tensor;
  });
  if (inputs.length === 0 || (whole && inputs.length < 2)) {
    throw new Error(`internal: node ${layer.index} has ${inputs.length} inputs`);
  }
  if (inputs.length === 1) return inputs[0]!;
  // On the fast path a join read only by a relu applies it too (src/compile/fused/fusion.ts).
  if (whole && fusedActivation !== undefined && inputs.length === 2) {
    return new FusedAddActivation({ name: ctx.name(), activation: fusedActivation }).apply(inputs) as tf.SymbolicTensor;
  }
  return tf.layers.add({ name: whole ? ctx.name() : ctx.name('add') }).apply(inputs) as tf.SymbolicTensor;
}
