/**
 * Small synthetic Fashion-MNIST look-alikes for tests: real IDX files (gzip by default) with learnable images, each
 * class a bright bar at its own place, jittered and noisy, so a model trained on them shows a falling loss.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** What to write. */
export interface IdxFixtureOptions {
  /** Training examples (balanced over the classes, shuffled). */
  readonly train: number;
  /** Test examples. */
  readonly test: number;
  /** Seed of the generator: the same seed writes the same bytes. */
  readonly seed?: number;
  /** Write `.gz` files (default) or uncompressed ones under the plain names. */
  readonly gzip?: boolean;
  /** Image side; 28 as Fashion-MNIST unless a test wants a wrong size. */
  readonly rows?: number;
  readonly cols?: number;
  /** Number of classes (default 10). */
  readonly classes?: number;
  /** Largest background noise value, 0-255 (default 60): higher makes the task harder. */
  readonly noise?: number;
}

/** One synthetic split: raw pixel bytes and labels. */
export interface SyntheticSplit {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** What was written: the directory, each file's path by its plain name, and the data itself for comparisons. */
export interface IdxFixture {
  readonly dir: string;
  readonly paths: Readonly<Record<string, string>>;
  readonly train: SyntheticSplit;
  readonly test: SyntheticSplit;
  readonly rows: number;
  readonly cols: number;
}

/** mulberry32: a tiny seeded generator, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >>> 24) & 255;
  out[offset + 1] = (value >>> 16) & 255;
  out[offset + 2] = (value >>> 8) & 255;
  out[offset + 3] = value & 255;
}

/** An uncompressed IDX images file (magic 2051) around `pixels`; `count` etc. go in the header as given. */
export function encodeIdxImages(count: number, rows: number, cols: number, pixels: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + pixels.length);
  writeU32(out, 0, 2051);
  writeU32(out, 4, count);
  writeU32(out, 8, rows);
  writeU32(out, 12, cols);
  out.set(pixels, 16);
  return out;
}

/** An uncompressed IDX labels file (magic 2049). */
export function encodeIdxLabels(labels: Uint8Array, count = labels.length): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  writeU32(out, 0, 2049);
  writeU32(out, 4, count);
  out.set(labels, 8);
  return out;
}

/**
 * `count` images, classes balanced and shuffled. Class c is a bright bar: horizontal bars at five heights for the
 * first five classes, vertical bars at five columns for the rest, each shifted by up to 2 pixels and drawn at a random
 * brightness over uniform noise. A linear model separates them; a convolution does so easily.
 */
export function syntheticSplit(
  count: number,
  random: () => number,
  rows = 28,
  cols = 28,
  classes = 10,
  noise = 60,
): SyntheticSplit {
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % classes;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  const pixels = new Uint8Array(count * rows * cols);
  const half = Math.ceil(classes / 2);
  for (let n = 0; n < count; n++) {
    const base = n * rows * cols;
    for (let p = 0; p < rows * cols; p++) pixels[base + p] = Math.floor(random() * (noise + 1));
    const label = labels[n]!;
    const horizontal = label < half;
    const slot = horizontal ? label : label - half;
    const span = horizontal ? rows : cols;
    const centre = Math.round(((slot + 0.5) * span) / half) + Math.round(random() * 4 - 2);
    const brightness = 160 + Math.floor(random() * 96);
    for (let d = -1; d <= 1; d++) {
      const line = Math.min(span - 1, Math.max(0, centre + d));
      const length = horizontal ? cols : rows;
      for (let k = 2; k < length - 2; k++) {
        const [r, c] = horizontal ? [line, k] : [k, line];
        pixels[base + r * cols + c] = brightness;
      }
    }
  }
  return { pixels, labels, count };
}

/**
 * Writes the four Fashion-MNIST files (train and t10k, images and labels) with synthetic data into `dir`, creating it.
 * Tests then break one file at a time to exercise each error; training tests load it with `--data dir`.
 */
export function writeIdxFixture(dir: string, options: IdxFixtureOptions): IdxFixture {
  const rows = options.rows ?? 28;
  const cols = options.cols ?? 28;
  const random = seededRandom(options.seed ?? 1);
  const classes = options.classes ?? 10;
  const noise = options.noise ?? 60;
  const train = syntheticSplit(options.train, random, rows, cols, classes, noise);
  const test = syntheticSplit(options.test, random, rows, cols, classes, noise);
  mkdirSync(dir, { recursive: true });
  const gzip = options.gzip ?? true;
  const paths: Record<string, string> = {};
  const write = (name: string, bytes: Uint8Array): void => {
    const path = join(dir, gzip ? `${name}.gz` : name);
    writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
    paths[name] = path;
  };
  write('train-images-idx3-ubyte', encodeIdxImages(train.count, rows, cols, train.pixels));
  write('train-labels-idx1-ubyte', encodeIdxLabels(train.labels));
  write('t10k-images-idx3-ubyte', encodeIdxImages(test.count, rows, cols, test.pixels));
  write('t10k-labels-idx1-ubyte', encodeIdxLabels(test.labels));
  return { dir, paths, train, test, rows, cols };
}
