import type { Span } from '../diagnostics/Diagnostic.js';

/** A whole `.net` file: statements in source order. */
export interface FileNode {
  readonly kind: 'File';
  readonly span: Span;
  readonly statements: readonly StatementNode[];
}

/** Any statement of the language. */
export type StatementNode = ModelNode | InputNode | TrainNode | PipelineNode;

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

/** `LAYER args | LAYER args ...` (one statement, possibly continued over lines). */
export interface PipelineNode {
  readonly kind: 'Pipeline';
  readonly span: Span;
  readonly layers: readonly LayerNode[];
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

/** An identifier: a name, or a word value such as `same`, `scratch`, `false`. */
export interface IdentNode {
  readonly kind: 'Ident';
  readonly span: Span;
  readonly name: string;
}
