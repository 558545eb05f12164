/** The in-memory form every dataset reader produces, whatever the files were. */

/** One split: images as floats in [0, 1], channels-last (row, column, channel), image after image. */
export interface ImageSet {
  /** `count * rows * cols * channels` values. */
  readonly images: Float32Array;
  /** One class index per image, 0 to classes - 1. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly channels: number;
}

/** A dataset loaded: both splits, the class names in label order, and where it was read from. */
export interface LoadedDataset {
  /** How messages name it: `cifar10`, `idx:/data/digits`. */
  readonly name: string;
  readonly train: ImageSet;
  readonly test: ImageSet;
  readonly classNames: readonly string[];
  /** The file or directory it was read from. */
  readonly source: string;
}

/** The values of one example in a set. */
export function valuesPerImage(set: Pick<ImageSet, 'rows' | 'cols' | 'channels'>): number {
  return set.rows * set.cols * set.channels;
}

/** Examples `indices` of a set, copied, in that order. */
export function pick(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = valuesPerImage(set);
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]!;
    images.set(set.images.subarray(from * per, (from + 1) * per), i * per);
    labels[i] = set.labels[from]!;
  }
  return { ...set, images, labels, count: indices.length };
}

/**
 * Splits off the last `fraction` of a training set (after a seeded shuffle, so that files sorted by class still
 * give every class to both parts) as a validation set. `shuffle` is a permutation of the set's indices.
 */
export function splitValidation(set: ImageSet, fraction: number, shuffle: Int32Array): { train: ImageSet; validation: ImageSet } {
  const held = Math.max(1, Math.round(set.count * fraction));
  if (held >= set.count) throw new RangeError(`a validation split of ${fraction} leaves no training images of ${set.count}`);
  const keep = shuffle.subarray(0, set.count - held);
  const val = shuffle.subarray(set.count - held);
  // Kept in file order inside each part: only membership is random.
  return { train: pick(set, Int32Array.from(keep).sort()), validation: pick(set, Int32Array.from(val).sort()) };
}
