import type { ArgSpec, LayerKind } from './LayerKind.js';
import { formatPair, pairArg } from './args.js';
import { checkWindowFits, requireImage, windowOutput } from './shapes.js';

/** Arguments shared by `avgpool` and `maxpool`: `K` (or `kK`), `sS` defaulting to the window, `pP`. */
export const poolArgs: readonly ArgSpec[] = [
  { name: 'kernel', type: { kind: 'pair', min: 1 }, short: 'k', positional: true },
  // PyTorch's pools step by their window unless told otherwise.
  { name: 'stride', type: { kind: 'pair', min: 1 }, short: 's', default: (args) => args['kernel']! },
  { name: 'pad', type: { kind: 'pair', min: 0 }, short: 'p', default: 0 },
];

/** PyTorch refuses more padding than half the window: a window could then hold padding only (NN3004). */
export const checkPoolArgs: NonNullable<LayerKind['checkArgs']> = (args, ctx) => {
  const kernel = pairArg(args, 'kernel');
  const pad = pairArg(args, 'pad');
  const most: [number, number] = [Math.floor(kernel[0] / 2), Math.floor(kernel[1] / 2)];
  if (pad[0] <= most[0] && pad[1] <= most[1]) return true;
  ctx.report(
    'NN3004',
    `${ctx.layerName} padding ${formatPair(pad)} is more than half its window ${formatPair(kernel)}; ` +
      `pad by at most ${formatPair(most)} (\`p${formatPair(most)}\`).`,
    { arg: 'pad' },
  );
  return false;
};

/** The shape rule of both pools: C x H x W in, C x H' x W' out. */
export const inferPoolShape: LayerKind['inferShape'] = (input, args, ctx) => {
  if (!requireImage(input, ctx)) return null;
  const kernel = pairArg(args, 'kernel');
  const stride = pairArg(args, 'stride');
  const pad = pairArg(args, 'pad');
  const suggest = (k: readonly [number, number]): string => `${ctx.layerName} ${formatPair(k)}`;
  if (!checkWindowFits('window', input, kernel, pad, ctx, suggest)) return null;
  return [
    input[0],
    windowOutput(input[1], kernel[0], stride[0], pad[0]),
    windowOutput(input[2], kernel[1], stride[1], pad[1]),
  ];
};
