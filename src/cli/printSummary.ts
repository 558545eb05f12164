import { totalsOf, type BlockOrigin, type CheckedLayer, type CheckedModel, type Shape } from '../ir/model.js';

/** A block use in the summary: the block's name and where it is used. */
export interface BlockUseJson {
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

/** The JSON form of `netc summary --format json`. */
export interface SummaryJson {
  readonly model: string;
  readonly input: readonly number[];
  readonly layers: readonly {
    readonly op: string;
    readonly variant: string | null;
    /** Where the layer is written: inside a `def` for a row that came from a block. */
    readonly line: number;
    readonly column: number;
    readonly output: readonly number[];
    readonly params: { readonly trainable: number; readonly nonTrainable: number };
    /** Multiply-accumulates of one example's forward pass through the row. */
    readonly macs: number;
    /** The rows (0-based positions in `layers`) this one reads; -1 is the model input. A residual join has two. */
    readonly inputs: readonly number[];
    /** The innermost block use the row was expanded from (the use nearest its definition), or null. */
    readonly block: BlockUseJson | null;
    /** Every block use the row was expanded from, outermost (in the main pipeline) first; empty when none. */
    readonly blocks: readonly BlockUseJson[];
  }[];
  readonly totals: {
    readonly trainable: number;
    readonly nonTrainable: number;
    /** Multiply-accumulates of one example's forward pass; FLOPs are twice as many. */
    readonly macs: number;
    readonly flops: number;
    /** Activation memory: the floats of every row's output for one example. */
    readonly activations: number;
  };
}

/** The summary as data: one row per node of the expanded graph, in order. */
export function toSummaryJson(model: CheckedModel): SummaryJson {
  return {
    model: model.name,
    input: [...model.input],
    layers: model.layers.map((layer) => {
      const blocks = (layer.blocks ?? []).map(blockJson);
      return {
        op: layer.op,
        variant: layer.variant,
        line: layer.span.line,
        column: layer.span.column,
        output: [...layer.outputShape],
        params: { trainable: layer.params.trainable, nonTrainable: layer.params.nonTrainable },
        macs: layer.macs,
        inputs: [...layer.inputs],
        block: blocks[blocks.length - 1] ?? null,
        blocks,
      };
    }),
    totals: totalsOf(model),
  };
}

/** `6x24x24`, `120`. */
export function formatShape(shape: Shape): string {
  return shape.join('x');
}

/**
 * `44,878`, as `toLocaleString('en-US')` writes it. An integer is grouped here: the first `toLocaleString` of a
 * process loads ICU's number formatting, about 12 ms of `netc summary`'s start.
 */
export function formatCount(n: number): string {
  return Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');
}

/**
 * A Keras/torchinfo-style table: index, source line, layer, variant, output shape, parameters, MACs; then totals
 * with the MACs, FLOPs and activation memory of one example.
 * A model that is not a straight stack gets an `inputs` column (the rows each row reads, `in` for the model
 * input), and one with blocks a `block` column naming the uses each row came from (`stage@9:1>cbs@3:19`).
 */
export function printSummary(model: CheckedModel, file?: string): string {
  const header = ['#', 'line', 'layer', 'variant', 'output', 'trainable', 'non-trainable', 'MACs'];
  const straight = model.layers.every((layer) => layer.inputs.length === 1 && layer.inputs[0] === layer.index - 1);
  const hasBlocks = model.layers.some((layer) => (layer.blocks ?? []).length > 0);
  if (!straight) header.push('inputs');
  if (hasBlocks) header.push('block');
  const rows = model.layers.map((layer) => [
    String(layer.index + 1),
    `${layer.span.line}:${layer.span.column}`,
    layer.op,
    layer.variant ?? '-',
    formatShape(layer.outputShape),
    formatCount(layer.params.trainable),
    formatCount(layer.params.nonTrainable),
    formatCount(layer.macs),
    ...(straight ? [] : [formatInputs(layer)]),
    ...(hasBlocks ? [formatBlocks(layer.blocks ?? [])] : []),
  ]);
  const rightAligned = new Set([0, 5, 6, 7]);
  // A reduce, not a spread into Math.max: a spread of 130,000 rows overflows the call stack.
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length));
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
    `MACs: ${formatCount(model.cost.macs)} (FLOPs: ${formatCount(model.cost.flops)})`,
    `activation memory: ${formatCount(model.cost.activations)} floats (${formatBytes(4 * model.cost.activations)}) per example`,
    '',
  ].join('\n');
}

/** `60.3 KiB`: a float32 byte count in binary units, as torchinfo and PyTorch's memory tools print them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `3+9`: the rows a node reads, numbered like the `#` column; `in` is the model input. */
function formatInputs(layer: CheckedLayer): string {
  return layer.inputs.map((id) => (id < 0 ? 'in' : String(id + 1))).join('+');
}

/** `stage@9:1>cbs@3:19`: the block uses a row came from, outermost first; empty for a row written directly. */
export function formatBlocks(blocks: readonly BlockOrigin[]): string {
  return blocks.map((block) => `${block.name}@${block.span.line}:${block.span.column}`).join('>');
}

function blockJson(block: BlockOrigin): BlockUseJson {
  return { name: block.name, line: block.span.line, column: block.span.column };
}
