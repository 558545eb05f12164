import type * as tfjs from '@tensorflow/tfjs';
import type { ArgValue, CheckedLayer, ParamCount, Shape } from '../ir/model.js';
import type { Span } from '../diagnostics/Diagnostic.js';

/** The type of an argument value, checked before a layer's rules run. */
export type ArgType =
  | { readonly kind: 'int'; readonly min?: number }
  | {
      readonly kind: 'number';
      readonly min?: number;
      readonly max?: number;
      /** True when `min` itself is not allowed (a learning rate or epsilon must be above 0). */
      readonly minExclusive?: boolean;
      readonly maxExclusive?: boolean;
    }
  /** An integer or `HxW` pair: kernel and stride. */
  | { readonly kind: 'pair'; readonly min?: number }
  /** An integer, an `HxW` pair, or `same`: padding. */
  | { readonly kind: 'pad' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] };

/** One argument a layer kind accepts. */
export interface ArgSpec {
  /** Long name, as in `kernel=5`. */
  readonly name: string;
  readonly type: ArgType;
  /** Short option letter (`k` for `k5`), if the argument has one. */
  readonly short?: string;
  /** True for the argument a first bare number fills (`out` of `conv 6`). */
  readonly positional?: boolean;
  /** Absent means required. A function computes defaults that depend on other arguments (pool stride = kernel). */
  readonly default?: ArgValue | ((args: Readonly<Record<string, ArgValue>>) => ArgValue);
}

/** What a shape rule may report through; the checker turns these into located diagnostics. */
export interface ShapeContext {
  /** The layer's name as written (`linear` for the alias), for messages. */
  readonly layerName: string;
  /**
   * Reports an error (or warning) at the layer, or at one of its arguments when `arg` names it. `insertBefore` is
   * text whose insertion before the layer fixes the problem (`flatten | `), offered to editors as a quick fix.
   */
  report(code: string, message: string, options?: { arg?: string; severity?: 'error' | 'warning'; insertBefore?: string }): void;
  /** The span of an argument as written, or of the layer when it was defaulted. */
  spanOf(arg: string): Span;
}

/** Everything a lowering needs besides the layer itself: the tfjs namespace and netc's own layer classes. */
export interface LowerContext {
  readonly tf: typeof tfjs;
  /**
   * Builds one of netc's own tfjs layer classes by the name it is saved under (`NetcBatchNorm`,
   * `NetcNegInfPadding2D`: src/compile/netcLayers.ts lists them) from its `getConfig()` object. A layer kind that
   * needs a class of its own adds the class there; the context does not grow a field per class.
   */
  readonly custom: (className: string, config: tfjs.serialization.ConfigDict) => tfjs.layers.Layer;
  /** Seeded initialisers, so `--seed` makes runs repeatable. */
  readonly kernelInitializer: () => ReturnType<typeof tfjs.initializers.glorotUniform>;
  /**
   * A seed for a layer that draws random numbers while training (dropout's masks): distinct per call, the same on
   * every run with the run's `--seed`; undefined when the run has none.
   */
  readonly randomSeed: () => number | undefined;
  /** A unique, stable tfjs layer name for the node. */
  readonly name: (suffix?: string) => string;
}

/**
 * A layer kind of the language: its arguments, shape rule, parameter count, MACs and tfjs lowering.
 * Adding a layer to netc means writing one of these in src/layers/ and registering it in registry.ts.
 */
export interface LayerKind {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly args: readonly ArgSpec[];
  /**
   * Checks what the arguments alone decide (a pool's padding against its window), before and whatever the input
   * shape, so such mistakes are found even after an earlier error; false after reporting.
   */
  checkArgs?(args: Readonly<Record<string, ArgValue>>, ctx: ShapeContext): boolean;
  /** Output shape for `input`, or null after reporting why there is none. */
  inferShape(input: Shape, args: Readonly<Record<string, ArgValue>>, ctx: ShapeContext): Shape | null;
  /** Parameter counts, equal to PyTorch's for the equivalent module. */
  params(input: Shape, args: Readonly<Record<string, ArgValue>>): ParamCount;
  /**
   * Multiply-accumulates of one example's forward pass (torchinfo's "Mult-Adds" convention for the weighted layers:
   * a convolution's or dense layer's products of weights and inputs; bias additions, normalisation, pooling and
   * activations count 0).
   */
  macs(input: Shape, args: Readonly<Record<string, ArgValue>>, output: Shape): number;
  /** `BatchNorm1d`/`BatchNorm2d` and the like; null for most kinds. */
  variant?(input: Shape): string | null;
  /**
   * tfjs layers (applied in order) that compute this node on a channels-last tensor.
   * Explicit padding, for example, is a zero-padding layer and then a `valid` convolution.
   */
  lower(layer: CheckedLayer, ctx: LowerContext): tfjs.layers.Layer[];
}
