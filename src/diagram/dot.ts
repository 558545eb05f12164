import { groupLabel, nodeLines, shapeText } from './layout.js';
import type { DiagramModel, DiagramNode } from './model.js';
import { footerLines } from './svg.js';

// Graphviz's DOT language, for people who have Graphviz or paste into an online viewer: the same boxes, shapes on
// edges, block uses as clusters and the footer as the graph's label. netc itself never runs Graphviz.

/** Quotes a string for DOT (double quotes; backslashes and quotes escaped; line breaks as `\n`). */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const fills: Readonly<Record<string, string>> = {
  conv: '#dbeafe',
  dense: '#ffedd5',
  bn: '#fef9c3',
  relu: '#dcfce7',
  sigmoid: '#dcfce7',
  tanh: '#dcfce7',
  softmax: '#dcfce7',
  maxpool: '#ede9fe',
  avgpool: '#ede9fe',
  input: '#e2e8f0',
};

/** The diagram as a DOT digraph, top to bottom (`TB`) or left to right (`LR`). */
export function renderDot(model: DiagramModel, direction: 'TB' | 'LR' = 'TB'): string {
  const out: string[] = [];
  out.push(`digraph ${dotString(model.name)} {`);
  out.push(`  rankdir=${direction};`);
  out.push('  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=11, fillcolor="#f8fafc"];');
  out.push('  edge [fontname="monospace", fontsize=9, color="#475569"];');
  out.push(`  labelloc=b; fontname="monospace"; fontsize=10; label=${dotString(footerLines(model).join('\n'))};`);
  const children = new Map<string | null, { nodes: DiagramNode[]; groups: string[] }>();
  const slot = (key: string | null) => {
    let entry = children.get(key);
    if (entry === undefined) children.set(key, (entry = { nodes: [], groups: [] }));
    return entry;
  };
  for (const group of model.groups) slot(group.parent).groups.push(group.key);
  for (const node of model.nodes) slot(node.group).nodes.push(node);
  const groups = new Map(model.groups.map((group, i) => [group.key, { group, id: `cluster_${i}` }]));
  const emit = (key: string | null, indent: string): void => {
    const entry = children.get(key);
    if (entry === undefined) return;
    for (const node of entry.nodes) out.push(`${indent}${nodeDot(node)}`);
    for (const child of entry.groups) {
      const { group, id } = groups.get(child)!;
      out.push(`${indent}subgraph ${id} {`);
      out.push(`${indent}  label=${dotString(groupLabel(group))}; style="rounded,dashed"; color="#94a3b8"; fontsize=10;`);
      emit(child, `${indent}  `);
      out.push(`${indent}}`);
    }
  };
  emit(null, '  ');
  const byId = new Map(model.nodes.map((node) => [node.id, node]));
  for (const node of model.nodes) {
    node.inputs.forEach((input, position) => {
      const from = byId.get(input);
      if (from === undefined) return;
      const skip = (node.role === 'add' && position === 0) || node.role === 'projection';
      const style = skip ? ', style=dashed, color="#db2777", fontcolor="#be185d"' : '';
      out.push(`  ${input} -> ${node.id} [label=${dotString(shapeText(from.output))}${style}];`);
    });
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

function nodeDot(node: DiagramNode): string {
  const attributes = [`label=${dotString(nodeLines(node).join('\n'))}`];
  if (node.error !== null) {
    attributes.push('color="#dc2626"', 'fillcolor="#fee2e2"', 'penwidth=2.5');
    attributes.push(`tooltip=${dotString(`${node.error.code}: ${node.error.message}`)}`);
  } else {
    attributes.push(`fillcolor="${fills[node.op] ?? '#f8fafc'}"`);
  }
  if (node.role === 'add') attributes.push('shape=oval');
  return `${node.id} [${attributes.join(', ')}];`;
}
