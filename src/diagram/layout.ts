import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkApi, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { DiagramGroup, DiagramModel, DiagramNode } from './model.js';

// Sizes come from the text: every label is drawn in a monospace font whose advance is `charWidth` per character,
// so boxes are measured the same way in Node (no DOM) and in a browser.

/** Font size and advance of the diagram's monospace text, in pixels. */
export const font = { size: 12, charWidth: 7.3, lineHeight: 16, small: 10.5, smallCharWidth: 6.4 } as const;

/** Where the layout puts a node, in absolute coordinates. */
export interface PlacedNode {
  readonly node: DiagramNode;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The lines of text inside the box, first one bold. */
  readonly lines: readonly string[];
}

/** A block use drawn as a labelled frame around its stages. */
export interface PlacedGroup {
  readonly group: DiagramGroup;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** How deeply the use is nested (0 in the main pipeline). */
  readonly depth: number;
}

/** An edge as a polyline, with the shape that flows along it. */
export interface PlacedEdge {
  readonly from: string;
  readonly to: string;
  /** True on the skip path of a residual block: into and out of its projection, and the join's first input. */
  readonly skip: boolean;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  readonly label: { readonly text: string; readonly x: number; readonly y: number; readonly width: number } | null;
}

/** A laid-out diagram: everything in absolute coordinates, plus the drawing's size. */
export interface DiagramLayout {
  readonly model: DiagramModel;
  readonly direction: Direction;
  readonly nodes: readonly PlacedNode[];
  readonly groups: readonly PlacedGroup[];
  readonly edges: readonly PlacedEdge[];
  readonly width: number;
  readonly height: number;
}

/** Top to bottom (the default) or left to right. */
export type Direction = 'TB' | 'LR';

// elkjs is CommonJS: its `module.exports` is the constructor, which an ES import sees as the default export
// (in Node and in esbuild's browser bundle alike); its typings describe an ES module, hence the cast.
const ELK = elkBundled as unknown as new () => ElkApi;

const padding = { x: 10, y: 6 } as const;
const groupLabelHeight = 20;

/** The text lines of a node's box: kind and arguments, the variant, the parameter count. */
export function nodeLines(node: DiagramNode): string[] {
  if (node.role === 'input' || node.role === 'output') return [node.role];
  const lines = [node.args === '' ? node.op : `${node.op} ${node.args}`];
  if (node.variant !== null) lines.push(node.variant);
  if (node.params !== null && node.params.trainable + node.params.nonTrainable > 0) {
    lines.push(`${formatCount(node.params.trainable + node.params.nonTrainable)} params`);
  }
  if (node.error !== null) lines.push(`✖ ${node.error.code}`);
  return lines;
}

/** `44,878`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** The shape on an edge: `6x24x24`; `?` where unknown. */
export function shapeText(shape: readonly number[] | null): string {
  return shape === null ? '?' : shape.join('x');
}

function textWidth(text: string, charWidth: number = font.charWidth): number {
  return Math.ceil([...text].length * charWidth);
}

/** Lays the diagram out with ELK's layered algorithm (block uses as nested compound nodes). */
export async function layoutDiagram(model: DiagramModel, direction: Direction = 'TB'): Promise<DiagramLayout> {
  const elk = new ELK();
  const byId = new Map(model.nodes.map((node) => [node.id, node]));
  const lines = new Map(model.nodes.map((node) => [node.id, nodeLines(node)]));
  const containers = new Map<string, ElkNode>();
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': direction === 'TB' ? 'DOWN' : 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '26',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '2',
      'elk.spacing.edgeNode': '14',
      'elk.layered.spacing.edgeNodeBetweenLayers': '10',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: [],
    edges: [],
  };
  containers.set('', root);
  const groupByKey = new Map(model.groups.map((group) => [group.key, group]));
  const containerOf = (key: string | null): ElkNode => {
    if (key === null) return root;
    const found = containers.get(key);
    if (found !== undefined) return found;
    const group = groupByKey.get(key)!;
    const elkGroup: ElkNode = {
      id: `g${containers.size}`,
      layoutOptions: {
        'elk.padding': `[top=${groupLabelHeight + 8},left=10,bottom=10,right=10]`,
      },
      children: [],
    };
    containers.set(key, elkGroup);
    containerOf(group.parent).children!.push(elkGroup);
    return elkGroup;
  };
  for (const node of model.nodes) {
    const text = lines.get(node.id)!;
    const width = Math.max(64, ...text.map((line) => textWidth(line))) + 2 * padding.x;
    const height = text.length * font.lineHeight + 2 * padding.y;
    containerOf(node.group).children!.push({ id: node.id, width, height });
  }
  const edgeMeta: { from: string; to: string; skip: boolean; label: string }[] = [];
  for (const node of model.nodes) {
    node.inputs.forEach((input, position) => {
      const from = byId.get(input);
      if (from === undefined) return;
      const label = shapeText(from.output);
      const edge: ElkExtendedEdge = {
        id: `e${edgeMeta.length}`,
        sources: [input],
        targets: [node.id],
        labels: [{ id: `l${edgeMeta.length}`, text: label, width: textWidth(label, font.smallCharWidth) + 6, height: 14 }],
      };
      edgeMeta.push({ from: input, to: node.id, skip: (node.role === 'add' && position === 0) || node.role === 'projection', label });
      root.edges!.push(edge);
    });
  }

  const laid = await elk.layout(root);

  // ELK gives children relative to their parent and edges relative to their container: make both absolute.
  const origin = new Map<string, { x: number; y: number }>([['root', { x: 0, y: 0 }]]);
  const placedNodes: PlacedNode[] = [];
  const placedGroups: PlacedGroup[] = [];
  const keyOfContainer = new Map([...containers].map(([key, elkNode]) => [elkNode.id, key]));
  const walk = (parent: ElkNode, offset: { x: number; y: number }, depth: number): void => {
    for (const child of parent.children ?? []) {
      const x = offset.x + (child.x ?? 0);
      const y = offset.y + (child.y ?? 0);
      origin.set(child.id, { x, y });
      const node = byId.get(child.id);
      if (node !== undefined) {
        placedNodes.push({ node, x, y, width: child.width ?? 0, height: child.height ?? 0, lines: lines.get(node.id)! });
      } else {
        const group = groupByKey.get(keyOfContainer.get(child.id)!)!;
        // ELK does not size a compound node for a title of our own: widen the frame (evenly) to fit it.
        const width = child.width ?? 0;
        // Two characters more for the fold marker (`▾ `) of the interactive forms.
        const wide = Math.max(width, textWidth(`▾ ${groupLabel(group)}`, font.smallCharWidth) + 20);
        placedGroups.push({ group, x: x - (wide - width) / 2, y, width: wide, height: child.height ?? 0, depth });
        walk(child, { x, y }, depth + 1);
      }
    }
  };
  walk(laid, { x: 0, y: 0 }, 0);
  const placedEdges: PlacedEdge[] = (laid.edges ?? []).map((edge, i) => {
    const meta = edgeMeta[i]!;
    const at = origin.get(edge.container ?? 'root') ?? { x: 0, y: 0 };
    const points = (edge.sections ?? []).flatMap((section) => [
      section.startPoint,
      ...(section.bendPoints ?? []),
      section.endPoint,
    ]);
    const label = edge.labels?.[0];
    return {
      from: meta.from,
      to: meta.to,
      skip: meta.skip,
      points: points.map((p) => ({ x: p.x + at.x, y: p.y + at.y })),
      label:
        label === undefined
          ? null
          : { text: meta.label, x: (label.x ?? 0) + at.x, y: (label.y ?? 0) + at.y, width: label.width ?? 0 },
    };
  });
  // Group frames come first so that nodes and edges are drawn over them.
  placedGroups.sort((a, b) => a.depth - b.depth);
  // A widened frame may stick out on the left or right of what ELK measured.
  const left = Math.min(0, ...placedGroups.map((g) => g.x));
  const right = Math.max(laid.width ?? 0, ...placedGroups.map((g) => g.x + g.width));
  const dx = -left;
  return {
    model,
    direction,
    nodes: placedNodes.map((n) => ({ ...n, x: n.x + dx })),
    groups: placedGroups.map((g) => ({ ...g, x: g.x + dx })),
    edges: placedEdges.map((e) => ({
      ...e,
      points: e.points.map((p) => ({ x: p.x + dx, y: p.y })),
      label: e.label === null ? null : { ...e.label, x: e.label.x + dx },
    })),
    width: Math.ceil(right + dx),
    height: Math.ceil(laid.height ?? 0),
  };
}

/** A group's title: `basic(16) · line 15`. */
export function groupLabel(group: DiagramGroup): string {
  return `${group.name}(${group.args}) · line ${group.line}`;
}
