import type { CheckedModel } from '../ir/model.js';
import { describeLayer } from '../contracts/describeLayer.js';
import { diffModels, totalsDelta, type DiffLayer, type DiffSide, type LayerField, type ModelDiff } from '../contracts/diff.js';
import { lockEntry, type LockTotals } from '../contracts/lock.js';
import { formatCount, formatShape } from './printSummary.js';

/** A checked file as one side of a diff: its lock entry with each layer's span. */
export function diffSide(model: CheckedModel): DiffSide {
  const entry = lockEntry(model);
  return { ...entry, layers: entry.layers.map((layer, i) => ({ ...layer, span: model.layers[i]!.span })) };
}

/** One side's layer in `netc diff --format json`. */
export interface DiffLayerJson {
  /** 0-based position in the side's layers, as in `netc summary --format json`. */
  readonly index: number;
  readonly line: number;
  readonly column: number;
  readonly op: string;
  readonly variant: string | null;
  readonly args: DiffLayer['args'];
  readonly output: readonly number[];
  readonly params: { readonly trainable: number; readonly nonTrainable: number };
  readonly macs: number;
}

/** The JSON form of `netc diff --format json`. */
export interface DiffJson {
  readonly a: { readonly file: string; readonly model: string; readonly input: readonly number[] };
  readonly b: { readonly file: string; readonly model: string; readonly input: readonly number[] };
  /** False when the two models have the same layers, shapes, parameters and MACs. */
  readonly changed: boolean;
  readonly layers: readonly {
    readonly status: 'same' | 'changed' | 'removed' | 'added';
    readonly fields: readonly LayerField[];
    readonly a: DiffLayerJson | null;
    readonly b: DiffLayerJson | null;
  }[];
  /** Each side's totals and b minus a. */
  readonly totals: { readonly a: LockTotals; readonly b: LockTotals; readonly delta: LockTotals };
}

/** The diff of two checked files as data. */
export function toDiffJson(fileA: string, a: DiffSide, fileB: string, b: DiffSide, diff: ModelDiff = diffModels(a, b)): DiffJson {
  const layerJson = (side: DiffSide, index: number | null): DiffLayerJson | null => {
    if (index === null) return null;
    const layer = side.layers[index]!;
    return {
      index,
      line: layer.span?.line ?? 0,
      column: layer.span?.column ?? 0,
      op: layer.op,
      variant: layer.variant,
      args: layer.args,
      output: [...layer.output],
      params: { ...layer.params },
      macs: layer.macs,
    };
  };
  return {
    a: { file: fileA, model: a.model, input: [...a.input] },
    b: { file: fileB, model: b.model, input: [...b.input] },
    changed: diff.changed,
    layers: diff.rows.map((row) => ({ status: row.status, fields: row.fields, a: layerJson(a, row.a), b: layerJson(b, row.b) })),
    totals: { a: a.totals, b: b.totals, delta: totalsDelta(a.totals, b.totals) },
  };
}

const marks = { same: ' ', changed: '~', removed: '-', added: '+' } as const;

/**
 * The diff as a table: one row per aligned layer, marked ` ` same, `~` changed, `-` only in a, `+` only in b, with
 * each side's line, the layer as written, and `old -> new` where the output shape, parameters or MACs differ; then
 * the totals of both sides and their differences.
 */
export function printDiff(fileA: string, a: DiffSide, fileB: string, b: DiffSide, diff: ModelDiff = diffModels(a, b)): string {
  const header = ['', 'a', 'b', 'layer', 'output', 'params', 'MACs'];
  const at = (layer: DiffLayer | undefined): string => (layer?.span === undefined ? '' : `${layer.span.line}:${layer.span.column}`);
  const rows = diff.rows.map((row) => {
    const la = row.a === null ? undefined : a.layers[row.a];
    const lb = row.b === null ? undefined : b.layers[row.b];
    const cell = (show: (layer: DiffLayer) => string): string => {
      const old = la === undefined ? undefined : show(la);
      const now = lb === undefined ? undefined : show(lb);
      if (old === undefined || now === undefined || old === now) return (now ?? old)!;
      return `${old} -> ${now}`;
    };
    return [
      marks[row.status],
      at(la),
      at(lb),
      cell((layer) => describeLayer(layer.op, layer.args)),
      cell((layer) => formatShape(layer.output)),
      cell((layer) => formatCount(layer.params.trainable + layer.params.nonTrainable)),
      cell((layer) => formatCount(layer.macs)),
    ];
  });
  // A reduce, not a spread into Math.max: a spread of a huge model's rows overflows the call stack.
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();

  const delta = totalsDelta(a.totals, b.totals);
  const totals: [string, number, number, number][] = [
    ['params', a.totals.trainable + a.totals.nonTrainable, b.totals.trainable + b.totals.nonTrainable, delta.trainable + delta.nonTrainable],
    ['trainable params', a.totals.trainable, b.totals.trainable, delta.trainable],
    ['non-trainable params', a.totals.nonTrainable, b.totals.nonTrainable, delta.nonTrainable],
    ['MACs', a.totals.macs, b.totals.macs, delta.macs],
    ['FLOPs', a.totals.flops, b.totals.flops, delta.flops],
    ['activation floats', a.totals.activations, b.totals.activations, delta.activations],
  ];
  const totalRows = [
    ['totals', 'a', 'b', 'change'],
    ...totals.map(([name, x, y, d]) => [name, formatCount(x), formatCount(y), d === 0 ? '0' : `${d > 0 ? '+' : '-'}${formatCount(Math.abs(d))}`]),
  ];
  const totalWidths = [0, 1, 2, 3].map((i) => Math.max(...totalRows.map((r) => r[i]!.length)));
  const totalLine = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(totalWidths[i]!) : c.padStart(totalWidths[i]!))).join('  ');

  const counts = (['changed', 'removed', 'added'] as const)
    .map((status) => [status, diff.rows.filter((row) => row.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  const verdict = !diff.changed
    ? 'no differences in layers, shapes, parameters or MACs'
    : [...(diff.inputChanged ? [`input ${formatShape(a.input)} -> ${formatShape(b.input)}`] : []), ...counts].join(', ');
  return [
    `--- a: ${fileA} (model ${a.model}, input ${formatShape(a.input)})`,
    `+++ b: ${fileB} (model ${b.model}, input ${formatShape(b.input)})`,
    '',
    line(header),
    ...rows.map(line),
    '',
    ...totalRows.map(totalLine),
    '',
    `${verdict}.`,
    '',
  ].join('\n');
}
