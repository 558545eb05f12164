import { isActivation } from '../../layers/activation.js';
import type { Rule } from './Rule.js';

/** NN3103 (warning): the same activation twice in a row is a slip (a no-op for `relu`, a squash for `sigmoid`). */
export const DoubleActivationRule: Rule = ({ layers, damage, report }) => {
  for (let i = 1; i < layers.length; i++) {
    const previous = layers[i - 1]!;
    const layer = layers[i]!;
    // A layer dropped by a syntax error may have stood between them.
    if (damage.between(previous.node.span.end, layer.node.span.offset)) continue;
    if (layer.kind === null || previous.kind !== layer.kind || !isActivation(layer.kind)) continue;
    const name = layer.kind.name;
    report('NN3103', `\`${name}\` is applied twice in a row; remove one.`, layer.node.span, [
      { message: `The first \`${name}\` is here.`, span: previous.node.span },
    ]);
  }
};
