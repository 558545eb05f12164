import { formatShape, isFlat, isImage } from '../ir/layout.js';
import type { Shape } from '../ir/model.js';
import type { ShapeContext } from './LayerKind.js';
import { formatPair } from './args.js';

/** Checks that a layer receives a flat `F` vector; reports NN3001 (with the fix: insert `flatten`) otherwise. */
export function requireFlat(input: Shape, ctx: ShapeContext): input is readonly [number] {
  if (isFlat(input)) return true;
  ctx.report('NN3001', `${ctx.layerName} expects a flat input but receives ${formatShape(input)}; add \`flatten\` before it.`, {
    insertBefore: 'flatten | ',
  });
  return false;
}

/** Checks that a layer receives a `C x H x W` map; reports NN3002 with a way to get one otherwise. */
export function requireImage(input: Shape, ctx: ShapeContext): input is readonly [number, number, number] {
  if (isImage(input)) return true;
  const side = isFlat(input) ? Math.round(Math.sqrt(input[0]!)) : 0;
  // A square feature count is most likely an image that was declared or flattened too early.
  const fix =
    side > 0 && side * side === input[0]
      ? `declare the input as C x H x W (\`input 1x${side}x${side}\`) or move \`flatten\` after it`
      : 'declare the input as C x H x W or move `flatten` after it';
  ctx.report('NN3002', `${ctx.layerName} expects a C x H x W input but receives ${formatShape(input)}; ${fix}.`);
  return false;
}

/** Output length of a sliding window along one axis, as PyTorch computes it: floor((n + 2p - k) / s) + 1. */
export function windowOutput(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/** Output length of a `same`-padded window along one axis: ceil(n / s), whatever the kernel. */
export function sameOutput(size: number, stride: number): number {
  return Math.ceil(size / stride);
}

/**
 * Checks that a `kernel` (or pool window) fits the input once padded, per axis; reports NN3003 at the
 * `kernel` argument with both fixes worked out (a smaller kernel, or enough padding), else returns true.
 * `suggestKernel` writes a kernel the way this layer takes it (`k4` for conv, `avgpool 4` for a pool).
 */
export function checkWindowFits(
  noun: 'kernel' | 'window',
  input: readonly [number, number, number],
  kernel: readonly [number, number],
  pad: readonly [number, number],
  ctx: ShapeContext,
  suggestKernel: (kernel: readonly [number, number]) => string,
): boolean {
  const size: [number, number] = [input[1], input[2]];
  const padded: [number, number] = [size[0] + 2 * pad[0], size[1] + 2 * pad[1]];
  if (kernel[0] <= padded[0] && kernel[1] <= padded[1]) return true;
  const smaller: [number, number] = [Math.min(kernel[0], padded[0]), Math.min(kernel[1], padded[1])];
  const morePad: [number, number] = [
    Math.max(pad[0], Math.ceil((kernel[0] - size[0]) / 2)),
    Math.max(pad[1], Math.ceil((kernel[1] - size[1]) / 2)),
  ];
  const where =
    pad[0] === 0 && pad[1] === 0
      ? `its input ${padded.join('x')}`
      : `its padded input ${padded.join('x')} (${size.join('x')} padded by ${formatPair(pad)})`;
  ctx.report(
    'NN3003',
    `${ctx.layerName} ${noun} ${formatPair(kernel)} is larger than ${where}; use a ${noun} of at most ${formatPair(smaller)} ` +
      `(\`${suggestKernel(smaller)}\`) or pad by at least ${formatPair(morePad)} (\`p${formatPair(morePad)}\`).`,
    { arg: 'kernel' },
  );
  return false;
}
