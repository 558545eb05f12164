import type { Hover } from 'vscode-languageserver';
import type { AstNode } from '../frontend/PositionIndex.js';
import { formatShape, isFlat } from '../ir/layout.js';
import type { ArgValue, CheckedLayer } from '../ir/model.js';
import type { BlockUseNode, DefNode, LayerNode } from '../syntax/ast.js';
import type { Analyzed } from './document.js';

/** What hovering at `offset` shows: a stage's shapes, parameters, MACs and batch-norm variant; a block's expansion. */
export function hoverAt(doc: Analyzed, offset: number): Hover | null {
  const index = doc.analysis.index;
  const path = index.pathAt(offset);
  const stage = [...path].reverse().find((n) => n.kind === 'Layer' || n.kind === 'BlockUse');
  const block = index.blockAt(offset);
  if (block !== null && (stage === undefined || stage.kind !== 'BlockUse')) return markdown(doc, block.def.name, defHover(doc, block.def, block.uses.length));
  if (stage?.kind === 'BlockUse') return markdown(doc, stage, useHover(doc, stage as BlockUseNode));
  if (stage?.kind === 'Layer') {
    const layers = index.layersAt(offset).filter((l) => l.span.offset === stage.span.offset);
    if (layers.length === 0) return null;
    return markdown(doc, stage, layerHover(doc, stage as LayerNode, layers));
  }
  return null;
}

function markdown(doc: Analyzed, node: AstNode, value: string): Hover {
  return { contents: { kind: 'markdown', value }, range: doc.lines.range(node.span.offset, node.span.end) };
}

function layerHover(doc: Analyzed, node: LayerNode, layers: readonly CheckedLayer[]): string {
  const parts: string[] = [];
  const expansions = layers.length > 1 ? ` (${layers.length} expansions)` : '';
  parts.push(`**${node.name.name}**${expansions}`);
  for (const layer of distinctLayers(layers)) parts.push(describeLayer(layer).join('  \n'));
  return parts.join('\n\n');
}

/** One line each: shapes, arguments, parameters, MACs when the checker counted them, the batch-norm variant. */
function describeLayer(layer: CheckedLayer): string[] {
  const lines = [`\`${formatShape(layer.inputShape)}\` → \`${formatShape(layer.outputShape)}\``];
  const args = Object.entries(layer.args);
  if (args.length > 0) lines.push(`arguments: ${args.map(([k, v]) => `${k}=${showArg(v)}`).join(', ')}`);
  const { trainable, nonTrainable } = layer.params;
  lines.push(`parameters: ${trainable.toLocaleString('en-US')} trainable${nonTrainable > 0 ? `, ${nonTrainable.toLocaleString('en-US')} non-trainable` : ''}`);
  const macs = (layer as { readonly macs?: unknown }).macs;
  if (typeof macs === 'number') lines.push(`MACs: ${macs.toLocaleString('en-US')}`);
  if (layer.variant !== null) lines.push(variantLine(layer));
  if (layer.blocks !== undefined && layer.blocks.length > 0) lines.push(`from ${layer.blocks.map((b) => `\`${b.name}(...)\``).join(' in ')}`);
  return lines;
}

/** The variant and why: `BatchNorm1d: input is flat (120)`. */
function variantLine(layer: CheckedLayer): string {
  const shape = formatShape(layer.inputShape);
  if (layer.variant === 'projection') return `projection on the skip path: input ${shape}`;
  const why = isFlat(layer.inputShape) ? `input is flat (${shape})` : `input is a C x H x W map (${shape})`;
  return `**${layer.variant}**: ${why}`;
}

function useHover(doc: Analyzed, use: BlockUseNode): string {
  const index = doc.analysis.index;
  const block = index.blocks.get(use.name.name);
  const parts = [`**${use.name.name}(...)**${block === undefined ? ' (unknown block)' : ''}`];
  const shapes = index.shapesAt(use.name.span.offset);
  for (const s of shapes) parts.push(`\`${formatShape(s.input)}\` → \`${formatShape(s.output)}\``);
  if (block !== undefined) parts.push(codeBlock(doc, block.def));
  const expanded = index.layers.filter((l) => l.blocks?.some((b) => b.span.offset === use.span.offset && b.span.end === use.span.end));
  if (expanded.length > 0) {
    const rows = expanded.map((l) => `${(l.variant ?? l.op).padEnd(12)} ${formatShape(l.outputShape)}`);
    const params = expanded.reduce((n, l) => n + l.params.trainable + l.params.nonTrainable, 0);
    parts.push(`Expanded (${expanded.length} layers, ${params.toLocaleString('en-US')} parameters):\n\n\`\`\`\n${rows.join('\n')}\n\`\`\``);
  }
  return parts.join('\n\n');
}

function defHover(doc: Analyzed, def: DefNode, uses: number): string {
  return `${codeBlock(doc, def)}\n\nblock with ${def.params.length} parameter${def.params.length === 1 ? '' : 's'}, used ${uses} time${uses === 1 ? '' : 's'}`;
}

function codeBlock(doc: Analyzed, def: DefNode): string {
  const text = doc.analysis.source.slice(def.span.offset, Math.min(def.span.end, def.span.offset + 2000));
  return `\`\`\`netc\n${text}\n\`\`\``;
}

function showArg(value: ArgValue): string {
  return Array.isArray(value) ? value.join('x') : String(value);
}

function distinctLayers(layers: readonly CheckedLayer[]): CheckedLayer[] {
  const seen = new Set<string>();
  return layers.filter((l) => {
    const key = `${l.inputShape.join('x')}>${l.outputShape.join('x')}>${JSON.stringify(l.args)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

