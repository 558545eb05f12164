import type { Rule } from './Rule.js';

/** NN3102 (warning): a `bn` right after a `bn` normalises values that are already normalised. */
export const DoubleBatchNormRule: Rule = ({ layers, damage, report }) => {
  for (let i = 1; i < layers.length; i++) {
    const previous = layers[i - 1]!;
    const layer = layers[i]!;
    // A layer dropped by a syntax error may have stood between them.
    if (damage.between(previous.node.span.end, layer.node.span.offset)) continue;
    if (previous.kind?.name !== 'bn' || layer.kind?.name !== 'bn') continue;
    report('NN3102', 'Two `bn` layers in a row normalise the same values twice; remove one.', layer.node.span, [
      { message: 'The first `bn` is here.', span: previous.node.span },
    ]);
  }
};
