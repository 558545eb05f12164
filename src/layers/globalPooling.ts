import type { LayerKind } from './LayerKind.js';
import { formatShape, isFlat, isImage } from '../ir/layout.js';

/**
 * The shape rule of `globalavgpool` and `globalmaxpool`: C x H x W in, a flat C out (one value per channel).
 * A flat input gets NN3002 with the fix that fits a global pool: it replaces `flatten` rather than following it.
 */
export const inferGlobalPoolShape: LayerKind['inferShape'] = (input, _args, ctx) => {
  if (isImage(input)) return [input[0]];
  const side = isFlat(input) ? Math.round(Math.sqrt(input[0]!)) : 0;
  const declare = side > 0 && side * side === input[0] ? ` (\`input 1x${side}x${side}\`)` : '';
  ctx.report(
    'NN3002',
    `${ctx.layerName} expects a C x H x W input but receives ${formatShape(input)}; it already gives a flat C ` +
      `vector, so put it where the map is C x H x W in place of \`flatten\`, or declare the input as C x H x W${declare}.`,
  );
  return null;
};

/** Parameter counts of both global pools: none. */
export const noParams: LayerKind['params'] = () => ({ trainable: 0, nonTrainable: 0 });
