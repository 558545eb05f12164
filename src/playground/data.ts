import { dataFiles, type Split } from '../data/files.js';
import { readIdxFile } from '../data/idx.js';
import { locateFashionMnist, type SearchOptions } from '../data/locate.js';
import { NetcError } from '../diagnostics/NetcError.js';

// What the playground serves for training in the browser: the first images of Fashion-MNIST's two splits as
// raw bytes (one byte a pixel, one a label), read from the local copy netc already finds for `netc train`.
// The server never downloads: a missing dataset is reported on the page with the way to get it.

/** The default number of training images served (the page trains on a subset of these). */
export const defaultTrainSize = 10_000;
/** The default number of test images served: the whole test set. */
export const defaultTestSize = 10_000;

/** The files under `data/` that the page fetches, by name, and the sizes it reads from `meta.json`. */
export interface PlaygroundData {
  readonly meta: { readonly dataset: 'fashion-mnist'; readonly train: number; readonly test: number; readonly side: 28 };
  /** Where the images were read from, for the command's message (not served: the page has no use for a path). */
  readonly from: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** Reads the first `trainSize` training and `testSize` test examples; throws NN5001/NN5002 as `netc train` would. */
export async function loadPlaygroundData(
  search: SearchOptions,
  sizes: { trainSize?: number; testSize?: number } = {},
): Promise<PlaygroundData> {
  const found = locateFashionMnist(search);
  if (!('paths' in found)) {
    const places = found.searched.map((place) => place.label).join(', ');
    throw new NetcError(
      'NN5001',
      `Fashion-MNIST was not found (looked in ${places}); the playground does not download it. Run \`netc train\` once ` +
        'to download it into the cache, install it with `sudo apt-get install dataset-fashion-mnist`, or pass `--data DIR`.',
    );
  }
  const files = new Map<string, Uint8Array>();
  const counts: Record<Split, number> = { train: 0, test: 0 };
  for (const split of ['train', 'test'] as const) {
    const wanted = split === 'train' ? (sizes.trainSize ?? defaultTrainSize) : (sizes.testSize ?? defaultTestSize);
    const imagesFile = dataFiles.find((f) => f.split === split && f.kind === 'images')!;
    const labelsFile = dataFiles.find((f) => f.split === split && f.kind === 'labels')!;
    const images = await readIdxFile(found.paths.get(imagesFile.name)!, 'images');
    const labels = await readIdxFile(found.paths.get(labelsFile.name)!, 'labels');
    if (images.rows !== 28 || images.cols !== 28 || images.count !== labels.count) {
      throw new NetcError('NN5002', `${found.place.label} does not hold 28x28 Fashion-MNIST images with one label each.`);
    }
    const count = Math.min(wanted, images.count);
    counts[split] = count;
    files.set(`${split}-images.bin`, images.pixels.slice(0, count * 28 * 28));
    files.set(`${split}-labels.bin`, labels.labels.slice(0, count));
  }
  return { meta: { dataset: 'fashion-mnist', train: counts.train, test: counts.test, side: 28 }, from: found.place.label, files };
}
