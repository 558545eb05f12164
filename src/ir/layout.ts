import type { Shape } from './model.js';

// The one place that knows which ranks the language has and what each means. Everything that used to decide by
// `shape.length` asks here, so a new rank (1-D sequences, say) is one more row of `layouts`.

/** The kinds of value a layer can receive: a flat feature vector or a stack of image maps. */
export type LayoutKind = 'flat' | 'image';

/** What one rank of the language means. */
export interface Layout {
  readonly kind: LayoutKind;
  /** Dimensions without the batch. */
  readonly rank: number;
  /** How messages and the docs name the axes: `F`, `C x H x W`. */
  readonly axes: string;
  /** BatchNorm's PyTorch class on this layout (statistics per feature or per channel). */
  readonly batchNorm: string;
  /** The language's order (channels first) to tfjs's (channels last). */
  readonly toChannelsLast: (shape: Shape) => number[];
  /** tfjs's order back to the language's. */
  readonly fromChannelsLast: (shape: readonly number[]) => number[];
}

/** Every rank the language has, by kind. */
export const layouts: Readonly<Record<LayoutKind, Layout>> = {
  flat: {
    kind: 'flat',
    rank: 1,
    axes: 'F',
    batchNorm: 'BatchNorm1d',
    toChannelsLast: (shape) => [...shape],
    fromChannelsLast: (shape) => [...shape],
  },
  image: {
    kind: 'image',
    rank: 3,
    axes: 'C x H x W',
    batchNorm: 'BatchNorm2d',
    toChannelsLast: (shape) => [shape[1]!, shape[2]!, shape[0]!],
    fromChannelsLast: (shape) => [shape[2]!, shape[0]!, shape[1]!],
  },
};

/** The layout of a shape (or of a rank), or null for a rank the language does not have. */
export function layoutOf(shape: Shape | number): Layout | null {
  const rank = typeof shape === 'number' ? shape : shape.length;
  return Object.values(layouts).find((layout) => layout.rank === rank) ?? null;
}

/** True for a flat `[F]` vector. */
export function isFlat(shape: Shape): shape is readonly [number] {
  return layoutOf(shape)?.kind === 'flat';
}

/** True for a `[C, H, W]` stack of maps. */
export function isImage(shape: Shape): shape is readonly [number, number, number] {
  return layoutOf(shape)?.kind === 'image';
}

/** `[C, H, W]` (the language's order) to `[H, W, C]` (tfjs's, channels-last); a flat `[F]` stays as it is. */
export function toChannelsLast(shape: Shape): number[] {
  return layoutOf(shape)?.toChannelsLast(shape) ?? [...shape];
}

/** `[H, W, C]` back to `[C, H, W]`; other ranks stay as they are. */
export function fromChannelsLast(shape: readonly number[]): number[] {
  return layoutOf(shape)?.fromChannelsLast(shape) ?? [...shape];
}

/** A shape as the language writes it: `16x4x4`, `784`. */
export function formatShape(shape: Shape): string {
  return shape.join('x');
}
