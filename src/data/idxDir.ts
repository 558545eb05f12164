/**
 * `dataset=idx:DIR`: any pair of IDX image/label files for training and another for testing, compressed or not,
 * found in DIR by name: a file is training data when its name says `train`, test data when it says `t10k` or
 * `test`, images when it says `images` (or `idx3`) and labels when it says `labels` (or `idx1`). MNIST, KMNIST,
 * Fashion-MNIST and EMNIST's files all name themselves so. Classes are 0 to the largest label.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';
import type { ImageSet, LoadedDataset } from './imageSet.js';
import { readIdxFile, scalePixels } from './idx.js';

type Role = 'train-images' | 'train-labels' | 'test-images' | 'test-labels';

const roles: readonly Role[] = ['train-images', 'train-labels', 'test-images', 'test-labels'];

/** What a file's name says it holds, or null. */
export function idxRole(name: string): Role | null {
  const n = name.toLowerCase();
  if (!/ubyte|idx/.test(n)) return null;
  const split = /(^|[^a-z])train/.test(n) ? 'train' : /t10k|test/.test(n) ? 'test' : null;
  const kind = /images|idx3/.test(n) ? 'images' : /labels|idx1/.test(n) ? 'labels' : null;
  return split === null || kind === null ? null : `${split}-${kind}`;
}

/** Finds the four files in `dir`, or says which are missing or ambiguous. */
export async function findIdxFiles(dir: string): Promise<Record<Role, string>> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch (error) {
    throw new NetcError('NN5001', `Cannot read the dataset folder '${dir}': ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`);
  }
  const found = new Map<Role, string[]>();
  for (const name of names) {
    const role = idxRole(name);
    if (role !== null) found.set(role, [...(found.get(role) ?? []), name]);
  }
  const problems: string[] = [];
  const files = {} as Record<Role, string>;
  for (const role of roles) {
    const list = found.get(role) ?? [];
    // A compressed and an uncompressed copy of the same file are one file.
    const distinct = [...new Set(list.map((n) => n.replace(/\.gz$/, '')))];
    if (distinct.length === 0) problems.push(`no ${role.replace('-', ' ')} file`);
    else if (distinct.length > 1) problems.push(`several ${role.replace('-', ' ')} files (${list.join(', ')})`);
    else files[role] = join(dir, list.find((n) => n.endsWith('.gz')) ?? list[0]!);
  }
  if (problems.length > 0) {
    throw new NetcError(
      'NN5001',
      `'${dir}' has ${problems.join(', ')}. An idx: dataset folder holds four IDX files named like MNIST's: ` +
        'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz or not).',
    );
  }
  return files;
}

/** Reads one split's pair of files. */
export async function readIdxPair(imagesPath: string, labelsPath: string, advice = ''): Promise<ImageSet> {
  const [images, labels] = await Promise.all([readIdxFile(imagesPath, 'images', advice), readIdxFile(labelsPath, 'labels', advice)]);
  if (images.count !== labels.count) {
    throw new NetcError(
      'NN5002',
      `'${imagesPath}' holds ${images.count.toLocaleString('en-US')} images but '${labelsPath}' holds ${labels.count.toLocaleString('en-US')} labels: they are not a pair.${advice ? ` ${advice}` : ''}`,
    );
  }
  return { images: scalePixels(images.pixels), labels: Int32Array.from(labels.labels), count: images.count, rows: images.rows, cols: images.cols, channels: 1 };
}

/** Reads an idx: dataset folder. */
export async function loadIdxDir(dir: string): Promise<LoadedDataset> {
  const files = await findIdxFiles(dir);
  const [train, test] = await Promise.all([
    readIdxPair(files['train-images'], files['train-labels']),
    readIdxPair(files['test-images'], files['test-labels']),
  ]);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new NetcError('NN5002', `'${files['train-images']}' holds ${train.rows}x${train.cols} images but '${files['test-images']}' ${test.rows}x${test.cols}.`);
  }
  let max = 0;
  for (const l of train.labels) if (l > max) max = l;
  for (const l of test.labels) if (l > max) max = l;
  return { name: `idx:${dir}`, train, test, classNames: Array.from({ length: max + 1 }, (_, i) => String(i)), source: dir };
}
