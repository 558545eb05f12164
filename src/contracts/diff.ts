import type { Span } from '../diagnostics/Diagnostic.js';
import { alignRows } from './align.js';
import type { LockEntry, LockLayer, LockTotals } from './lock.js';

/** A layer on one side of a diff: the lock's record of it, and where it is written when the side is a source file. */
export interface DiffLayer extends LockLayer {
  readonly span?: Span;
}

/** One side of a diff: a lock entry, with spans when it comes from a checked file. */
export interface DiffSide extends Omit<LockEntry, 'layers'> {
  readonly layers: readonly DiffLayer[];
}

/** What differs between two aligned layers. */
export type LayerField = 'op' | 'variant' | 'args' | 'output' | 'params' | 'macs';

/** One row of a diff: a layer on both sides (`same` or `changed`), or on one side only. */
export interface DiffRow {
  readonly status: 'same' | 'changed' | 'removed' | 'added';
  /** 0-based positions in each side's layers; null on the side that lacks the layer. */
  readonly a: number | null;
  readonly b: number | null;
  /** For `changed`, what differs; empty otherwise. */
  readonly fields: readonly LayerField[];
}

/** Two models compared: their layers aligned, and whether their inputs differ. */
export interface ModelDiff {
  readonly rows: readonly DiffRow[];
  readonly inputChanged: boolean;
  /** False when every row is `same`, the inputs agree and so, therefore, do the totals. */
  readonly changed: boolean;
}

/**
 * Aligns the layers of `a` and `b` (a longest common subsequence of op, variant and arguments; the rest paired by
 * op) and marks what changed: a layer may keep its arguments and still change its shape, parameters or MACs because
 * something before it did.
 */
export function diffModels(a: DiffSide, b: DiffSide): ModelDiff {
  const steps = alignRows(a.layers, b.layers, layerKey, (layer) => layer.op);
  const rows: DiffRow[] = steps.map((step) => {
    if (step.kind === 'removed') return { status: 'removed', a: step.a, b: null, fields: [] };
    if (step.kind === 'added') return { status: 'added', a: null, b: step.b, fields: [] };
    const fields = changedFields(a.layers[step.a]!, b.layers[step.b]!);
    return { status: fields.length === 0 ? 'same' : 'changed', a: step.a, b: step.b, fields };
  });
  const inputChanged = !sameNumbers(a.input, b.input);
  return { rows, inputChanged, changed: inputChanged || rows.some((row) => row.status !== 'same') };
}

/** The totals' differences, b minus a. */
export function totalsDelta(a: LockTotals, b: LockTotals): LockTotals {
  return {
    trainable: b.trainable - a.trainable,
    nonTrainable: b.nonTrainable - a.nonTrainable,
    macs: b.macs - a.macs,
    flops: b.flops - a.flops,
    activations: b.activations - a.activations,
  };
}

function layerKey(layer: LockLayer): string {
  return JSON.stringify([layer.op, layer.variant, layer.args]);
}

function changedFields(a: LockLayer, b: LockLayer): LayerField[] {
  const fields: LayerField[] = [];
  if (a.op !== b.op) fields.push('op');
  if (a.variant !== b.variant) fields.push('variant');
  if (JSON.stringify(a.args) !== JSON.stringify(b.args)) fields.push('args');
  if (!sameNumbers(a.output, b.output)) fields.push('output');
  if (a.params.trainable !== b.params.trainable || a.params.nonTrainable !== b.params.nonTrainable) fields.push('params');
  if (a.macs !== b.macs) fields.push('macs');
  return fields;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
