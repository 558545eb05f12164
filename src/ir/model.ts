import type { Span } from '../diagnostics/Diagnostic.js';

/** A tensor shape without the batch dimension, in the language's order: `[C, H, W]` or `[F]`. */
export type Shape = readonly number[];

/** A resolved argument value: a number, a pair such as a `3x5` kernel, a word, or a boolean. */
export type ArgValue = number | readonly number[] | string | boolean;

/** Trainable and non-trainable parameter counts, as PyTorch counts them (moving statistics are non-trainable). */
export interface ParamCount {
  readonly trainable: number;
  readonly nonTrainable: number;
}

/** One node of the checked graph: a layer as written, resolved. */
export interface CheckedLayer {
  /** Position in `CheckedModel.layers`; also the node's id. */
  readonly index: number;
  /** Canonical layer name (`dense` for `linear`), or `add` for a residual join (language v2; not a layer kind). */
  readonly op: string;
  /** `BatchNorm1d` / `BatchNorm2d` for `bn`, `projection` for the skip-path layer of `residual proj`, null elsewhere. */
  readonly variant: string | null;
  /** Every argument of the layer kind, defaults filled in, by long name (`kernel`, `stride`, `pad`, ...). */
  readonly args: Readonly<Record<string, ArgValue>>;
  /** The layer as written in the source. */
  readonly span: Span;
  /**
   * Ids of the nodes whose outputs feed this one; -1 is the model input. A straight stack gives `[index - 1]`;
   * a residual join (language v2) has two.
   */
  readonly inputs: readonly number[];
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly params: ParamCount;
  /** Multiply-accumulates of one example's forward pass through this node (0 for layers without weights). */
  readonly macs: number;
  /**
   * Language v2: the block uses this node was expanded from, outermost first (empty or absent for a layer written
   * directly in the pipeline). `span` is the use's span in the source.
   */
  readonly blocks?: readonly BlockOrigin[];
}

/** One block use a node came from: the block's name and where it was used. */
export interface BlockOrigin {
  readonly name: string;
  readonly span: Span;
}

/** Training defaults from the file's `train` line; absent keys are absent. */
export interface TrainOptions {
  readonly dataset?: string;
  readonly epochs?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly optimizer?: string;
  readonly momentum?: number;
  readonly seed?: number;
  readonly schedule?: string;
  readonly warmup?: number;
  readonly step?: number;
  readonly gamma?: number;
  readonly wd?: number;
  readonly wd_all?: boolean;
  readonly nesterov?: boolean;
  readonly clip?: number;
  readonly label_smoothing?: number;
  readonly flip?: boolean;
  readonly crop?: number;
  readonly val_split?: number;
  readonly patience?: number;
  readonly keep?: string;
}

/** A model that passed the checker: everything the compiler and trainer need, with spans for late errors. */
export interface CheckedModel {
  readonly name: string;
  readonly input: Shape;
  readonly inputSpan: Span;
  readonly train: TrainOptions;
  /** Where each `train` key was written, for errors found at training time (a dataset that does not fit). */
  readonly trainSpans: Readonly<Record<string, Span>>;
  /** Nodes in a topological order; the last one is the model's output. */
  readonly layers: readonly CheckedLayer[];
  readonly totals: ParamCount;
  /** What one example's forward pass costs, summed over the layers. */
  readonly cost: ModelCost;
}

/** The compute and memory of one example's forward pass. */
export interface ModelCost {
  /** Multiply-accumulates, torchinfo's "Mult-Adds". */
  readonly macs: number;
  /** Floating-point operations, counted as 2 per multiply-accumulate. */
  readonly flops: number;
  /** Activation memory: the floats of every layer's output (the input not included), 4 bytes each in float32. */
  readonly activations: number;
}

/** A model's totals as plain data, in one key order: parameters and one example's cost (summary JSON, netc.lock). */
export function totalsOf(model: CheckedModel): {
  trainable: number;
  nonTrainable: number;
  macs: number;
  flops: number;
  activations: number;
} {
  return {
    trainable: model.totals.trainable,
    nonTrainable: model.totals.nonTrainable,
    macs: model.cost.macs,
    flops: model.cost.flops,
    activations: model.cost.activations,
  };
}
