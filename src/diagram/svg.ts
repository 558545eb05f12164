import { font, formatCount, groupLabel, shapeText, type DiagramLayout, type PlacedEdge, type PlacedGroup, type PlacedNode } from './layout.js';
import type { DiagramModel, DiagramNode } from './model.js';

// A standalone SVG: inline styles (no external CSS, fonts or scripts), so it reads the same in a browser, an
// image viewer or a README. Every box carries `data-line`/`data-column` for tools that link back to the source.

const margin = 16;
const headerHeight = 30;
const footerLine = 16;

/** Colour families of the layer kinds: fill and stroke. */
const palette: Readonly<Record<string, readonly [string, string]>> = {
  conv: ['#dbeafe', '#3b82f6'],
  dense: ['#ffedd5', '#f97316'],
  bn: ['#fef9c3', '#ca8a04'],
  relu: ['#dcfce7', '#16a34a'],
  sigmoid: ['#dcfce7', '#16a34a'],
  tanh: ['#dcfce7', '#16a34a'],
  softmax: ['#dcfce7', '#16a34a'],
  maxpool: ['#ede9fe', '#7c3aed'],
  avgpool: ['#ede9fe', '#7c3aed'],
  flatten: ['#f1f5f9', '#64748b'],
  dropout: ['#f1f5f9', '#64748b'],
  add: ['#ffffff', '#0f172a'],
  input: ['#e2e8f0', '#334155'],
  output: ['#e2e8f0', '#334155'],
};
const unknownColours: readonly [string, string] = ['#f8fafc', '#94a3b8'];
const errorColours: readonly [string, string] = ['#fee2e2', '#dc2626'];

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`);
}

/** The footer's lines: parameter totals, and the first error of a model that does not check. */
export function footerLines(model: DiagramModel): string[] {
  const { trainable, nonTrainable } = model.totals;
  const lines = [
    `Total params: ${formatCount(trainable + nonTrainable)} (trainable ${formatCount(trainable)}, non-trainable ${formatCount(nonTrainable)})`,
  ];
  if (model.error !== null) {
    const where = `line ${model.error.line}:${model.error.column}`;
    lines.unshift(...wrap(`error ${model.error.code} at ${where}: ${model.error.message}`, 96));
    if (model.omitted > 0) {
      lines.push(`${model.omitted} stage${model.omitted === 1 ? '' : 's'} after the failing one not drawn.`);
    }
    lines[0] = lines[0]!;
  }
  return lines;
}

/** Splits text at spaces into lines of at most `width` characters (longer words stay whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Options of `renderSvg`. */
export interface SvgOptions {
  /** Adds ids and classes the HTML page's script uses (collapsing groups, clicking nodes). */
  readonly interactive?: boolean;
}

/** Draws a laid-out diagram as one SVG document. */
export function renderSvg(layout: DiagramLayout, options: SvgOptions = {}): string {
  const { model } = layout;
  const footer = footerLines(model);
  const title = `${model.name}`;
  const width = Math.max(layout.width, ...footer.map((line) => line.length * font.smallCharWidth + 8)) + 2 * margin;
  const footerTop = headerHeight + layout.height + 8;
  const height = footerTop + footer.length * footerLine + margin;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="netc-diagram" width="${Math.ceil(width)}" height="${Math.ceil(height)}" ` +
      `viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace" ` +
      `font-size="${font.size}" data-model="${escapeXml(model.name)}">`,
  );
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(
    '<defs><marker id="netc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M0,0L10,5L0,10z" fill="#475569"/></marker>' +
      '<marker id="netc-arrow-skip" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M0,0L10,5L0,10z" fill="#db2777"/></marker></defs>',
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(
    `<text x="${margin}" y="${margin + 6}" font-size="14" font-weight="bold" fill="#0f172a">${escapeXml(title)}</text>`,
  );
  out.push(`<g transform="translate(${margin - 12},${headerHeight - 12 + 6})">`);
  const inside = options.interactive === true ? ancestry(model) : null;
  const within = (id: string): string => {
    const keys = inside?.get(id) ?? [];
    return keys.length === 0 ? '' : ` data-in="${escapeXml(keys.join(' '))}"`;
  };
  for (const group of layout.groups) out.push(groupSvg(group, options, model));
  for (const edge of layout.edges) out.push(edgeSvg(edge));
  for (const node of layout.nodes) out.push(nodeSvg(node, within(node.node.id)));
  for (const edge of layout.edges) if (edge.label !== null) out.push(edgeLabelSvg(edge));
  // Block titles last, on a background of their own, so that an edge entering the block does not cross them.
  for (const group of layout.groups) out.push(groupTitleSvg(group, options));
  out.push('</g>');
  out.push(`<g class="footer" font-size="${font.small}">`);
  footer.forEach((line, i) => {
    const error = model.error !== null && i < footer.length - (model.omitted > 0 ? 2 : 1);
    out.push(
      `<text x="${margin}" y="${footerTop + (i + 1) * footerLine}" fill="${error ? '#b91c1c' : '#334155'}"${error ? ' class="error-message"' : ''}>${escapeXml(line)}</text>`,
    );
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** For each node, the keys of every block use it lies in (innermost first). */
function ancestry(model: DiagramModel): Map<string, string[]> {
  const parents = new Map(model.groups.map((group) => [group.key, group.parent]));
  const result = new Map<string, string[]>();
  for (const node of model.nodes) {
    const keys: string[] = [];
    for (let key = node.group; key !== null; key = parents.get(key) ?? null) keys.push(key);
    result.set(node.id, keys);
  }
  return result;
}

/** What a collapsed group shows instead of its stages: how many, their parameters, the shapes in and out. */
export function groupSummary(model: DiagramModel, key: string): string {
  const parents = new Map(model.groups.map((group) => [group.key, group.parent]));
  const within = (node: DiagramNode): boolean => {
    for (let at = node.group; at !== null; at = parents.get(at) ?? null) if (at === key) return true;
    return false;
  };
  const members = model.nodes.filter(within);
  const ids = new Set(members.map((node) => node.id));
  const params = members.reduce((sum, node) => sum + (node.params === null ? 0 : node.params.trainable + node.params.nonTrainable), 0);
  const entry = members.flatMap((node) => node.inputs.filter((input) => !ids.has(input)))[0];
  const input = model.nodes.find((node) => node.id === entry)?.output ?? null;
  const output = members[members.length - 1]?.output ?? null;
  return `${members.length} stages · ${formatCount(params)} params · ${shapeText(input)} → ${shapeText(output)}`;
}

function groupSvg(placed: PlacedGroup, options: SvgOptions, model: DiagramModel): string {
  const { group, x, y, width, height } = placed;
  const interactive = options.interactive === true;
  const parents = new Map(model.groups.map((g) => [g.key, g.parent]));
  const outer: string[] = [];
  for (let key = group.parent; key !== null; key = parents.get(key) ?? null) outer.push(key);
  const attributes = interactive
    ? ` data-group="${escapeXml(group.key)}" tabindex="0" role="button" aria-expanded="true"` +
      (outer.length > 0 ? ` data-in="${escapeXml(outer.join(' '))}"` : '')
    : '';
  // Two lines (counts, then shapes), so that the summary fits a frame as narrow as one box.
  const summary = interactive
    ? groupSummary(model, group.key)
        .split(/ · (?=[^·]*→)/)
        .map(
          (line, i) =>
            `<text class="group-summary" x="${r(x + 10)}" y="${r(y + 36 + i * 14)}" font-size="${font.small}" fill="#334155">${escapeXml(line)}</text>`,
        )
        .join('')
    : '';
  return (
    `<g class="group" data-block="${escapeXml(group.name)}" data-line="${group.line}" data-column="${group.column}"${attributes}>` +
    `<rect x="${r(x)}" y="${r(y)}" width="${r(width)}" height="${r(height)}" rx="8" fill="${placed.depth % 2 === 0 ? '#f8fafc' : '#eef2f7'}" ` +
    'stroke="#94a3b8" stroke-dasharray="5 3"/>' +
    summary +
    '</g>'
  );
}

function groupTitleSvg(placed: PlacedGroup, options: SvgOptions): string {
  const { group, x, y } = placed;
  const interactive = options.interactive === true;
  const label = `${interactive ? '▾ ' : ''}${groupLabel(group)}`;
  const width = label.length * font.smallCharWidth + 8;
  return (
    `<g class="group-title" data-group-title="${escapeXml(group.key)}">` +
    `<rect x="${r(x + 6)}" y="${r(y + 4)}" width="${r(width)}" height="15" rx="3" fill="${placed.depth % 2 === 0 ? '#f8fafc' : '#eef2f7'}"/>` +
    `<text class="group-label" x="${r(x + 10)}" y="${r(y + 15)}" font-size="${font.small}" fill="#475569">${escapeXml(label)}</text>` +
    '</g>'
  );
}

function nodeSvg(placed: PlacedNode, extra: string): string {
  const { node, x, y, width, height, lines } = placed;
  const [fill, stroke] = node.error !== null ? errorColours : node.output === null && node.role === 'layer' ? unknownColours : (palette[node.op] ?? unknownColours);
  const classes = ['node', `role-${node.role}`, node.error !== null ? 'failed' : ''].filter((c) => c !== '').join(' ');
  const text = lines
    .map((line, i) => {
      const weight = i === 0 ? ' font-weight="bold"' : '';
      const colour = node.error !== null && i === lines.length - 1 ? '#b91c1c' : i === 0 ? '#0f172a' : '#475569';
      const size = i === 0 ? '' : ` font-size="${font.small}"`;
      return `<text x="${r(x + width / 2)}" y="${r(y + 6 + (i + 1) * font.lineHeight - 4)}" text-anchor="middle"${weight}${size} fill="${colour}">${escapeXml(line)}</text>`;
    })
    .join('');
  return (
    `<g class="${classes}" data-id="${node.id}" data-op="${escapeXml(node.op)}" data-line="${node.line}" data-column="${node.column}"` +
    `${node.output === null ? '' : ` data-shape="${shapeText(node.output)}"`}${extra}>` +
    `<title>${escapeXml(tooltip(node))}</title>` +
    `<rect x="${r(x)}" y="${r(y)}" width="${r(width)}" height="${r(height)}" rx="${node.role === 'add' ? height / 2 : 5}" fill="${fill}" stroke="${stroke}" stroke-width="${node.error !== null ? 2.5 : 1.4}"/>` +
    text +
    '</g>'
  );
}

/** The hover text of a box: what it is, where it is written, its output and parameters, its error. */
function tooltip(node: DiagramNode): string {
  const parts = [`${node.op}${node.args === '' ? '' : ` ${node.args}`} (line ${node.line})`];
  if (node.variant !== null) parts.push(node.variant);
  parts.push(`output ${shapeText(node.output)}`);
  if (node.params !== null) {
    parts.push(`params ${formatCount(node.params.trainable)} trainable, ${formatCount(node.params.nonTrainable)} non-trainable`);
  }
  if (node.error !== null) parts.push(`${node.error.code}: ${node.error.message}`);
  return parts.join('\n');
}

function edgeSvg(edge: PlacedEdge): string {
  if (edge.points.length < 2) return '';
  const d = edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(p.x)},${r(p.y)}`).join('');
  const colour = edge.skip ? '#db2777' : '#475569';
  return (
    `<path class="edge${edge.skip ? ' skip' : ''}" data-from="${edge.from}" data-to="${edge.to}" d="${d}" fill="none" stroke="${colour}" ` +
    `stroke-width="1.3"${edge.skip ? ' stroke-dasharray="6 3"' : ''} marker-end="url(#${edge.skip ? 'netc-arrow-skip' : 'netc-arrow'})"/>`
  );
}

function edgeLabelSvg(edge: PlacedEdge): string {
  const label = edge.label!;
  return (
    `<g class="shape" data-from="${edge.from}" data-to="${edge.to}">` +
    `<rect x="${r(label.x)}" y="${r(label.y)}" width="${r(label.width)}" height="14" rx="3" fill="#ffffff" fill-opacity="0.85"/>` +
    `<text x="${r(label.x + label.width / 2)}" y="${r(label.y + 11)}" text-anchor="middle" font-size="${font.small}" fill="${edge.skip ? '#be185d' : '#1e293b'}">${escapeXml(label.text)}</text>` +
    '</g>'
  );
}

/** Coordinates rounded to a tenth of a pixel, to keep the file small. */
function r(value: number): string {
  return String(Math.round(value * 10) / 10);
}
