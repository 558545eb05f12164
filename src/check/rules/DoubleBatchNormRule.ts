import type { Rule } from './Rule.js';
import { consecutive, sameUses } from './consecutive.js';

/** NN3102 (warning): a `bn` right after a `bn` normalises values that are already normalised. */
export const DoubleBatchNormRule: Rule = ({ nodes, damage, reportAt }) => {
  for (const [previous, node] of consecutive(nodes, damage)) {
    if (previous.kind?.name !== 'bn' || node.kind?.name !== 'bn') continue;
    reportAt(node, 'NN3102', 'Two `bn` layers in a row normalise the same values twice; remove one.', {
      related: [{ message: 'The first `bn` is here.', span: previous.span }],
      dependent: !sameUses(previous, node),
    });
  }
};
