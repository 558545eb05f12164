import type { ArgValue, Shape } from '../ir/model.js';
import type { Span } from '../diagnostics/Diagnostic.js';
import type { LayerKind } from '../layers/LayerKind.js';
import type { BlockUseNode, DefNode, ParamNode, RepeatNode, ValueNode } from '../syntax/ast.js';

/** The value one parameter takes in one use of a block; null when it is unknown (a block checked on its own). */
export interface Binding {
  readonly param: ParamNode;
  readonly value: ValueNode | null;
  /** True when the value is the parameter's default rather than an argument of the use. */
  readonly defaulted: boolean;
}

/** A block's parameters and their values in one use, in the order the `def` lists them. */
export type Bindings = ReadonlyMap<string, Binding>;

/** A block use a node was expanded through. */
export interface UseFrame {
  readonly kind: 'use';
  readonly use: BlockUseNode;
  readonly def: DefNode;
  readonly bindings: Bindings;
}

/** One copy of a repetition a node was expanded through (`copy` counts from 1). */
export interface RepeatFrame {
  readonly kind: 'repeat';
  readonly node: RepeatNode;
  readonly copy: number;
  readonly count: number;
}

/** What a node was expanded through, outermost first: block uses and repetition copies. */
export type Frame = UseFrame | RepeatFrame;

/**
 * What a node computes: a layer as written, the join of a residual block (`y = x + f(x)`, op `add`), or the
 * projection `residual proj` puts on the skip path (a 1x1 convolution, or a dense layer on flat inputs).
 */
export type NodeRole = 'layer' | 'add' | 'projection';

/** The op of a residual join in the checked graph (not a layer kind: it has two inputs and no arguments). */
export const addOp = 'add';

/** One node of the expanded graph as the checker sees it: resolved arguments and the shapes flowing through. */
export interface GraphNode {
  /** Position in the expanded graph; also the node's id in `inputs`. */
  readonly index: number;
  readonly role: NodeRole;
  /** The layer's name as written (`linear` for the alias), `add` for a join. */
  readonly name: string;
  /** Null for a join, and for a name that is not a layer (already reported). */
  readonly kind: LayerKind | null;
  /** Where the node is written: inside a `def` for a node that came from a block. */
  readonly span: Span;
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly argSpans: Readonly<Record<string, Span>>;
  /** False when an argument that decides the shape is missing or wrong (already reported). */
  readonly complete: boolean;
  /** Ids of the nodes whose outputs feed this one; -1 is the model input. */
  readonly inputs: readonly number[];
  readonly frames: readonly Frame[];
  /** The shape flowing in (the first input's), or null where an earlier problem leaves it unknown. */
  readonly input: Shape | null;
  readonly output: Shape | null;
  /** True when a syntax error lies before the node: a layer may have been dropped, so its shapes are not checked. */
  readonly afterSyntaxError: boolean;
}

/** The block-use frames of a node, outermost first. */
export function useFrames(frames: readonly Frame[]): UseFrame[] {
  return frames.filter((frame): frame is UseFrame => frame.kind === 'use');
}
