/**
 * `dataset=folder:DIR`: one sub-folder of images per class, as torchvision's ImageFolder reads them. The classes are
 * the sub-folder names in sorted order (label 0 is the first). When DIR holds `train/` and `test/` folders, each
 * has the class folders; otherwise every fifth image of each class (in sorted file order) is the test set. The
 * images are PNG or JPEG of one size; they are grey (1 channel) when every one of them is, else RGB.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';
import type { ImageSet, LoadedDataset } from './imageSet.js';
import { readImageFile, writePixels, type DecodedImage } from './imageFiles.js';

/** One held-out image in this many, per class, when DIR has no `train/` and `test/`. */
export const folderTestEvery = 5;

const imageName = /\.(png|jpe?g)$/i;

async function subfolders(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch (error) {
    throw new NetcError('NN5001', `Cannot read the dataset folder '${dir}': ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`);
  }
}

async function imagesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && imageName.test(e.name)).map((e) => join(dir, e.name)).sort();
}

/** The image paths of each class of one split folder. */
async function classFiles(dir: string, classes: readonly string[]): Promise<string[][]> {
  return Promise.all(classes.map((c) => imagesIn(join(dir, c)).catch(() => [])));
}

function toImageSet(images: readonly DecodedImage[], labels: readonly number[], channels: number): ImageSet {
  const first = images[0]!;
  const per = first.rows * first.cols * channels;
  const out = new Float32Array(images.length * per);
  images.forEach((image, i) => writePixels(image, channels, out, i * per));
  return { images: out, labels: Int32Array.from(labels), count: images.length, rows: first.rows, cols: first.cols, channels };
}

/** Reads a folder dataset. */
export async function loadFolder(dir: string): Promise<LoadedDataset> {
  const top = await subfolders(dir);
  const split = top.includes('train') && top.includes('test');
  const classes = split ? await subfolders(join(dir, 'train')) : top;
  if (classes.length < 2) {
    throw new NetcError('NN5002', `'${dir}' has ${classes.length === 0 ? 'no' : 'one'} class folder${split ? ' in train/' : ''}; a folder dataset has one sub-folder of PNG or JPEG images per class, at least two.`);
  }
  let trainFiles: string[][];
  let testFiles: string[][];
  if (split) {
    [trainFiles, testFiles] = await Promise.all([classFiles(join(dir, 'train'), classes), classFiles(join(dir, 'test'), classes)]);
  } else {
    const all = await classFiles(dir, classes);
    trainFiles = all.map((files) => files.filter((_, i) => i % folderTestEvery !== folderTestEvery - 1));
    testFiles = all.map((files) => files.filter((_, i) => i % folderTestEvery === folderTestEvery - 1));
  }
  const empty = classes.filter((_, c) => trainFiles[c]!.length === 0);
  if (empty.length > 0) {
    throw new NetcError('NN5002', `'${dir}': class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => `'${c}'`).join(', ')} ha${empty.length > 1 ? 've' : 's'} no training images (.png, .jpg or .jpeg).`);
  }
  if (testFiles.every((files) => files.length === 0)) {
    throw new NetcError('NN5002', `'${dir}' leaves no test images: ${split ? 'test/ has none' : `each class needs at least ${folderTestEvery} images (one in ${folderTestEvery} is held out), or give DIR train/ and test/ folders`}.`);
  }
  const read = async (files: string[][]): Promise<{ images: DecodedImage[]; labels: number[]; paths: string[] }> => {
    const paths = files.flat();
    const labels = files.flatMap((list, c) => list.map(() => c));
    // A few files at a time: a folder of tens of thousands would otherwise run out of file descriptors.
    const images: DecodedImage[] = [];
    for (let i = 0; i < paths.length; i += 64) images.push(...(await Promise.all(paths.slice(i, i + 64).map(readImageFile))));
    return { images, labels, paths };
  };
  const [train, test] = await Promise.all([read(trainFiles), read(testFiles)]);
  const first = train.images[0]!;
  [...train.images, ...test.images].forEach((image, i) => {
    if (image.rows !== first.rows || image.cols !== first.cols) {
      const path = i < train.paths.length ? train.paths[i]! : test.paths[i - train.paths.length]!;
      throw new NetcError('NN5002', `'${path}' is ${image.cols}x${image.rows} pixels but '${train.paths[0]}' is ${first.cols}x${first.rows}; every image of a folder dataset must have the same size (netc does not resize).`);
    }
  });
  const channels = [...train.images, ...test.images].every((image) => image.grey) ? 1 : 3;
  return {
    name: `folder:${dir}`,
    train: toImageSet(train.images, train.labels, channels),
    test: toImageSet(test.images, test.labels, channels),
    classNames: classes,
    source: dir,
  };
}
