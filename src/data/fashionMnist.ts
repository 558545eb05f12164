/**
 * Fashion-MNIST for training: found (or downloaded), validated, and turned into float images in [0, 1] with integer
 * labels, the way the seed's `d2l.load_data_fashion_mnist` (ToTensor) presents it.
 */
import { NetcError } from '../diagnostics/NetcError.js';
import { DownloadFailure, downloadFashionMnist, type DownloadProgress } from './download.js';
import { dataFiles, defaultMirrors, fashionMnistClassNames, fileUrl, type Split } from './files.js';
import { datasets } from '../ir/catalogue.js';
import { readIdxFile, scalePixels, type IdxImages, type IdxLabels } from './idx.js';
import { filesIn, locateFashionMnist, type NotFound, type SearchPlace } from './locate.js';

/** The shape of a download progress report, for callers drawing a bar. */
export type { DownloadProgress } from './download.js';

/** One split of the dataset. */
export interface ImageSet {
  /** `count * rows * cols` pixels, row-major, image after image, scaled to [0, 1] as x / 255. */
  readonly images: Float32Array;
  /** One class index per image, 0 to 9. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
}

/** Fashion-MNIST loaded: both splits, the class names, and the directory it came from. */
export interface Dataset {
  readonly name: 'fashion-mnist';
  readonly train: ImageSet;
  readonly test: ImageSet;
  readonly classes: number;
  readonly classNames: readonly string[];
  /** The directory the files were read from. */
  readonly source: string;
}

/** Where to look, whether and how to download. Every field is optional; the defaults are the documented order. */
export interface LoadFashionMnistOptions {
  /** `--data DIR`: the only place looked in when given; lacking the files there is an error. */
  readonly dataDir?: string;
  /** The environment read for `NETC_DATA`, `XDG_CACHE_HOME` and `HOME` (the process's by default). */
  readonly env?: NodeJS.ProcessEnv;
  /** The download cache; `$XDG_CACHE_HOME/netc/fashion-mnist` or `~/.cache/netc/fashion-mnist` by default. */
  readonly cacheDir?: string;
  /** Download into the cache when the files are found nowhere (default true). */
  readonly download?: boolean;
  /** Called as download bytes arrive, for a progress bar. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly fetchImpl?: typeof fetch;
  /** A base URL to download from instead of the published mirrors. */
  readonly mirror?: string;
  /** Debian's package directory by default; `null` skips it (tests that must not find the installed copy). */
  readonly systemDir?: string | null;
  /** Expected MD5 per file name (without `.gz`) in place of the published ones: for tests serving synthetic files. */
  readonly checksums?: Readonly<Record<string, string>>;
}

/** Fashion-MNIST's image side: every image is 28x28. */
export const fashionMnistSide = datasets['fashion-mnist']!.rows;

const classCount = datasets['fashion-mnist']!.classes;

function adviceFor(place: SearchPlace): string {
  switch (place.origin) {
    case 'cache':
      return 'Delete it and run again: netc downloads a fresh copy.';
    case 'system':
      return 'Reinstall it: `sudo apt-get install --reinstall dataset-fashion-mnist`.';
    case 'option':
    case 'env':
      return `Replace it with the published file from ${defaultMirrors[0]}.`;
  }
}

function checkImages(images: IdxImages, path: string, advice: string): void {
  if (images.rows !== fashionMnistSide || images.cols !== fashionMnistSide) {
    throw new NetcError(
      'NN5002',
      `'${path}' holds images of ${images.rows}x${images.cols}; Fashion-MNIST's are ${fashionMnistSide}x${fashionMnistSide}. ${advice}`,
    );
  }
}

function checkLabels(labels: IdxLabels, path: string, advice: string): void {
  const values = labels.labels;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! >= classCount) {
      throw new NetcError(
        'NN5002',
        `'${path}' has label ${values[i]} at position ${i.toLocaleString('en-US')}; Fashion-MNIST's labels are 0 to ${classCount - 1}. ${advice}`,
      );
    }
  }
}

async function readSplit(split: Split, paths: ReadonlyMap<string, string>, advice: string): Promise<ImageSet> {
  const imagesFile = dataFiles.find((f) => f.split === split && f.kind === 'images')!;
  const labelsFile = dataFiles.find((f) => f.split === split && f.kind === 'labels')!;
  const imagesPath = paths.get(imagesFile.name)!;
  const labelsPath = paths.get(labelsFile.name)!;
  // Both files decompress in parallel on libuv's thread pool.
  const [images, labels] = await Promise.all([
    readIdxFile(imagesPath, 'images', advice),
    readIdxFile(labelsPath, 'labels', advice),
  ]);
  checkImages(images, imagesPath, advice);
  checkLabels(labels, labelsPath, advice);
  if (images.count !== labels.count) {
    throw new NetcError(
      'NN5002',
      `'${imagesPath}' holds ${images.count.toLocaleString('en-US')} images but '${labelsPath}' holds ${labels.count.toLocaleString('en-US')} labels: they are not a pair. ${advice}`,
    );
  }
  return {
    images: scalePixels(images.pixels),
    labels: Int32Array.from(labels.labels),
    count: images.count,
    rows: images.rows,
    cols: images.cols,
  };
}

/** Reads and validates the four files found in one place. */
async function readDataset(place: SearchPlace, paths: ReadonlyMap<string, string>): Promise<Dataset> {
  const advice = adviceFor(place);
  const [train, test] = await Promise.all([readSplit('train', paths, advice), readSplit('test', paths, advice)]);
  return { name: 'fashion-mnist', train, test, classes: classCount, classNames: fashionMnistClassNames, source: place.dir };
}

/** The one message for "not here and not downloadable": where netc looked, why the download failed, three fixes. */
function unavailableMessage(notFound: NotFound, reason: string, mirror: string): string {
  const looked = notFound.searched.map((p) => p.dir).join(', ');
  const urls = dataFiles.map((file) => `      ${fileUrl(mirror, file)}`).join('\n');
  return [
    `Fashion-MNIST was not found (looked in ${looked}) and ${reason}. Get it in one of these ways:`,
    `  - install Debian's package: sudo apt-get install dataset-fashion-mnist`,
    `  - or download these four files into ${notFound.cache.dir}:`,
    urls,
    `  - or put them in any directory DIR and pass \`--data DIR\` or set NETC_DATA=DIR.`,
  ].join('\n');
}

/**
 * Loads Fashion-MNIST from the first place that has it (`--data`, `$NETC_DATA`, Debian's directory, the cache),
 * downloading into the cache when it is nowhere. Throws NN5001 when it cannot be found or fetched, NN5002 when a
 * file is damaged or of the wrong kind.
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions = {}): Promise<Dataset> {
  const found = locateFashionMnist(options);
  if ('paths' in found) return readDataset(found.place, found.paths);
  const mirror = options.mirror ?? defaultMirrors[0]!;
  if (options.download === false) {
    throw new NetcError('NN5001', unavailableMessage(found, 'downloading is switched off', mirror));
  }
  try {
    await downloadFashionMnist({
      dir: found.cache.dir,
      files: found.cacheMissing,
      mirrors: options.mirror !== undefined ? [options.mirror] : defaultMirrors,
      ...(options.fetchImpl && { fetchImpl: options.fetchImpl }),
      ...(options.checksums && { checksums: options.checksums }),
      ...(options.onProgress && { onProgress: options.onProgress }),
    });
  } catch (error) {
    if (!(error instanceof DownloadFailure)) throw error;
    throw new NetcError('NN5001', unavailableMessage(found, `downloading it failed: ${error.message}`, mirror));
  }
  const { paths, missing } = filesIn(found.cache.dir);
  if (missing.length > 0) {
    // Only a concurrent deletion gets here; say so rather than fail obscurely.
    throw new NetcError('NN5001', unavailableMessage(found, `the downloaded files vanished from ${found.cache.dir}`, mirror));
  }
  return readDataset(found.cache, paths);
}

/** The first `n` examples of a split (all of them when `n` is larger), copied so the original can be released. */
export function subset(set: ImageSet, n: number): ImageSet {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`subset size must be a whole number >= 0, got ${n}`);
  const count = Math.min(n, set.count);
  const pixels = set.rows * set.cols;
  return {
    images: set.images.slice(0, count * pixels),
    labels: set.labels.slice(0, count),
    count,
    rows: set.rows,
    cols: set.cols,
  };
}
