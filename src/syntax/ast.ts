import type { Span } from '../diagnostics/Diagnostic.js';

/** A whole `.net` file: statements in source order. */
export interface FileNode {
  readonly kind: 'File';
  readonly span: Span;
  readonly statements: readonly StatementNode[];
  /** Every `#` comment in source order, for tools that print the source back (a formatter); the checker ignores them. */
  readonly comments: readonly CommentNode[];
}

/** `# text` to the end of its line. `text` is the comment as written, `#` included. */
export interface CommentNode {
  readonly kind: 'Comment';
  readonly span: Span;
  readonly text: string;
}

/** Any statement of the language. */
export type StatementNode = ModelNode | InputNode | TrainNode | PipelineNode | DefNode | BudgetNode;

/** `def NAME(p1, p2=default) = PIPELINE` (language v2): a block with parameters. */
export interface DefNode {
  readonly kind: 'Def';
  readonly span: Span;
  readonly name: IdentNode;
  readonly params: readonly ParamNode[];
  readonly body: PipelineNode;
}

/** One parameter of a `def`: `c`, or `k=5` with a default. */
export interface ParamNode {
  readonly kind: 'Param';
  readonly span: Span;
  readonly name: IdentNode;
  readonly default: ValueNode | null;
}

/** `model NAME` */
export interface ModelNode {
  readonly kind: 'Model';
  readonly span: Span;
  readonly name: IdentNode;
}

/** `input C x H x W` or `input F`: one number per dimension, without the batch. */
export interface InputNode {
  readonly kind: 'Input';
  readonly span: Span;
  readonly dims: readonly NumberNode[];
}

/** `train key=value ...` */
export interface TrainNode {
  readonly kind: 'Train';
  readonly span: Span;
  readonly options: readonly KeyValueArgNode[];
}

/** `budget METRIC <= LIMIT`: the model's parameters, trainable parameters, MACs or activation floats at most LIMIT. */
export interface BudgetNode {
  readonly kind: 'Budget';
  readonly span: Span;
  /** What is limited, as written: `params`, `trainable`, `macs` or `memory` (the checker knows the names). */
  readonly metric: IdentNode;
  /** The limit, its suffix applied (`50k` has the value 50,000 and the text `50k`). */
  readonly limit: NumberNode;
}

/** `STAGE | STAGE ...` (one statement, possibly continued over lines; also a block's body or a group's). */
export interface PipelineNode {
  readonly kind: 'Pipeline';
  readonly span: Span;
  /** The stages in order; in a v1 file every stage is a LayerNode. */
  readonly layers: readonly StageNode[];
}

/** Anything that may stand between two `|`: a layer, a block use, a repetition, a group, a residual block or an `expect`. */
export type StageNode = LayerNode | BlockUseNode | RepeatNode | GroupNode | ResidualNode | ExpectNode;

/** `expect SHAPE`: the shape at this place in the pipeline must be SHAPE; it adds no layer. */
export interface ExpectNode {
  readonly kind: 'Expect';
  readonly span: Span;
  /** One number per dimension, as written: `16x4x4`, `120`. */
  readonly dims: readonly NumberNode[];
}

/** `NAME(args)`: a use of a block defined with `def` (arguments positional or `key=value`). */
export interface BlockUseNode {
  readonly kind: 'BlockUse';
  readonly span: Span;
  readonly name: IdentNode;
  readonly args: readonly (PositionalArgNode | KeyValueArgNode)[];
}

/** `STAGE x N`: the stage repeated N times in a row (N a number, or a parameter inside a block). */
export interface RepeatNode {
  readonly kind: 'Repeat';
  readonly span: Span;
  readonly body: StageNode;
  readonly count: NumberNode | IdentNode;
}

/** `( PIPELINE )`: a pipeline used as one stage, so that it can be repeated. */
export interface GroupNode {
  readonly kind: 'Group';
  readonly span: Span;
  readonly body: PipelineNode;
}

/** `residual { PIPELINE }` (y = x + f(x)), or `residual proj { PIPELINE }` with a 1x1 convolution on the skip path. */
export interface ResidualNode {
  readonly kind: 'Residual';
  readonly span: Span;
  /** The `proj` keyword when written. */
  readonly proj: IdentNode | null;
  readonly body: PipelineNode;
}

/** One layer as written: its name and arguments in source order. */
export interface LayerNode {
  readonly kind: 'Layer';
  readonly span: Span;
  readonly name: IdentNode;
  readonly args: readonly ArgNode[];
}

/** Any layer argument. */
export type ArgNode = PositionalArgNode | ShortArgNode | KeyValueArgNode;

/** A bare value such as the `6` of `conv 6`. */
export interface PositionalArgNode {
  readonly kind: 'PositionalArg';
  readonly span: Span;
  readonly value: ValueNode;
}

/** A letter glued to a number: `k5`, `k3x5`, `s2`, `p1`. `letter` is `k`, `value` the rest. */
export interface ShortArgNode {
  readonly kind: 'ShortArg';
  readonly span: Span;
  readonly letter: string;
  readonly value: NumberNode | DimsNode;
}

/** `key=value`, in layers and in `train`. */
export interface KeyValueArgNode {
  readonly kind: 'KeyValueArg';
  readonly span: Span;
  readonly key: IdentNode;
  readonly value: ValueNode;
}

/** Any argument value. */
export type ValueNode = NumberNode | DimsNode | IdentNode;

/** A number as written: `6`, `0.9`, `1e-5`, `-3`. */
export interface NumberNode {
  readonly kind: 'Number';
  readonly span: Span;
  readonly value: number;
  readonly text: string;
}

/** Numbers joined by `x`: `3x5`, `1x28x28`. */
export interface DimsNode {
  readonly kind: 'Dims';
  readonly span: Span;
  readonly values: readonly NumberNode[];
}

/** An identifier: a name, a word value such as `same`, `scratch`, `false`, or (v2) a block parameter used as a value. */
export interface IdentNode {
  readonly kind: 'Ident';
  readonly span: Span;
  readonly name: string;
}
