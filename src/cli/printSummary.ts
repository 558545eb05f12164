import type { CheckedModel, Shape } from '../check/model.js';

/** The JSON form of `netc summary --format json`. */
export interface SummaryJson {
  readonly model: string;
  readonly input: readonly number[];
  readonly layers: readonly {
    readonly op: string;
    readonly variant: string | null;
    readonly line: number;
    readonly column: number;
    readonly output: readonly number[];
    readonly params: { readonly trainable: number; readonly nonTrainable: number };
  }[];
  readonly totals: { readonly trainable: number; readonly nonTrainable: number };
}

/** The summary as data: one row per layer as written, in order. */
export function toSummaryJson(model: CheckedModel): SummaryJson {
  return {
    model: model.name,
    input: [...model.input],
    layers: model.layers.map((layer) => ({
      op: layer.op,
      variant: layer.variant,
      line: layer.span.line,
      column: layer.span.column,
      output: [...layer.outputShape],
      params: { trainable: layer.params.trainable, nonTrainable: layer.params.nonTrainable },
    })),
    totals: { trainable: model.totals.trainable, nonTrainable: model.totals.nonTrainable },
  };
}

/** `6x24x24`, `120`. */
export function formatShape(shape: Shape): string {
  return shape.join('x');
}

/** `44,878`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A Keras/torchinfo-style table: index, source line, layer, variant, output shape, parameters; then totals. */
export function printSummary(model: CheckedModel, file?: string): string {
  const header = ['#', 'line', 'layer', 'variant', 'output', 'trainable', 'non-trainable'];
  const rows = model.layers.map((layer) => [
    String(layer.index + 1),
    `${layer.span.line}:${layer.span.column}`,
    layer.op,
    layer.variant ?? '-',
    formatShape(layer.outputShape),
    formatCount(layer.params.trainable),
    formatCount(layer.params.nonTrainable),
  ]);
  const rightAligned = new Set([0, 5, 6]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const { trainable, nonTrainable } = model.totals;
  return [
    `model ${model.name}${file ? ` (${file})` : ''}, input ${formatShape(model.input)}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `total params: ${formatCount(trainable + nonTrainable)}`,
    `trainable params: ${formatCount(trainable)}`,
    `non-trainable params: ${formatCount(nonTrainable)}`,
    '',
  ].join('\n');
}
