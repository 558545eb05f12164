import { isActivation } from '../../layers/activation.js';
import type { Rule } from './Rule.js';
import { consecutive, sameUses } from './consecutive.js';

/** NN3103 (warning): the same activation twice in a row is a slip (a no-op for `relu`, a squash for `sigmoid`). */
export const DoubleActivationRule: Rule = ({ nodes, damage, reportAt }) => {
  for (const [previous, node] of consecutive(nodes, damage)) {
    if (node.kind === null || previous.kind !== node.kind || !isActivation(node.kind)) continue;
    const name = node.kind.name;
    reportAt(node, 'NN3103', `\`${name}\` is applied twice in a row; remove one.`, {
      related: [{ message: `The first \`${name}\` is here.`, span: previous.span }],
      dependent: !sameUses(previous, node),
    });
  }
};
