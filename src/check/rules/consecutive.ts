import type { GraphNode } from '../graph.js';
import type { SyntaxDamage } from '../SyntaxDamage.js';

/**
 * Each node with the one node that feeds it, for rules about two layers in a row. Pairs a syntax error may have
 * separated (a dropped layer between them) are left out.
 */
export function* consecutive(nodes: readonly GraphNode[], damage: SyntaxDamage): Generator<[GraphNode, GraphNode]> {
  for (const node of nodes) {
    if (node.inputs.length !== 1) continue;
    const previous = nodes[node.inputs[0]!];
    if (previous === undefined) continue;
    if (damage.between(previous.span.end, node.span.offset)) continue;
    yield [previous, node];
  }
}

/** True when two nodes came from the same block uses (or none): a problem between them is the definition's own. */
export function sameUses(a: GraphNode, b: GraphNode): boolean {
  const uses = (node: GraphNode) => node.frames.filter((frame) => frame.kind === 'use');
  const [x, y] = [uses(a), uses(b)];
  return x.length === y.length && x.every((frame, i) => frame === y[i]);
}
