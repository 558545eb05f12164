/**
 * `.npz` datasets (`np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)`, as Keras's `load_data()`
 * returns them): a zip of `.npy` arrays, unzipped with fflate. Images are `N x H x W` (grey), `N x H x W x C`
 * (channels-last, Keras's layout) or `N x C x H x W` (channels-first, PyTorch's) with C of 1 or 3; uint8 pixels are
 * scaled by 1/255, float pixels are taken as they are. Labels are integers, `N` or `N x 1`.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { NetcError } from '../diagnostics/NetcError.js';
import type { ImageSet, LoadedDataset } from './imageSet.js';
import { NpyError, parseNpy, type NpyArray } from './npy.js';

const members = ['x_train', 'y_train', 'x_test', 'y_test'] as const;

function bad(path: string, what: string): NetcError {
  return new NetcError('NN5002', `'${path}' ${what}`);
}

/** Reads an `.npz` dataset; its classes are 0 to the largest label, named by their numbers. */
export async function loadNpz(path: string): Promise<LoadedDataset> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new NetcError('NN5001', `Cannot read the dataset '${path}': ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (file) => members.some((m) => file.name === `${m}.npy`) });
  } catch (error) {
    throw bad(path, `is not a readable .npz (zip) file: ${(error as Error).message}.`);
  }
  const arrays: Partial<Record<(typeof members)[number], NpyArray>> = {};
  for (const name of members) {
    const member = files[`${name}.npy`];
    if (member === undefined) {
      throw bad(path, `has no array \`${name}\`; an .npz dataset holds x_train, y_train, x_test and y_test (np.savez(path, x_train=..., ...)).`);
    }
    try {
      arrays[name] = parseNpy(member);
    } catch (error) {
      if (error instanceof NpyError) throw bad(path, `array \`${name}\`: ${error.message}.`);
      throw error;
    }
  }
  const train = toImageSet(path, 'train', arrays.x_train!, arrays.y_train!);
  const test = toImageSet(path, 'test', arrays.x_test!, arrays.y_test!);
  if (train.rows !== test.rows || train.cols !== test.cols || train.channels !== test.channels) {
    throw bad(path, `has training images of ${shapeText(train)} but test images of ${shapeText(test)}.`);
  }
  const classes = Math.max(maxLabel(train.labels), maxLabel(test.labels)) + 1;
  return { name: `npz:${path}`, train, test, classNames: Array.from({ length: classes }, (_, i) => String(i)), source: path };
}

function shapeText(set: ImageSet): string {
  return `${set.channels}x${set.rows}x${set.cols}`;
}

function maxLabel(labels: Int32Array): number {
  let max = 0;
  for (const l of labels) if (l > max) max = l;
  return max;
}

/** One split's images and labels as an ImageSet, channels-last, after every check that names the problem. */
function toImageSet(path: string, split: string, x: NpyArray, y: NpyArray): ImageSet {
  const xs = x.shape;
  let count: number;
  let rows: number;
  let cols: number;
  let channels: number;
  let channelsFirst = false;
  if (xs.length === 3) [count, rows, cols, channels] = [xs[0]!, xs[1]!, xs[2]!, 1];
  else if (xs.length === 4 && (xs[3] === 1 || xs[3] === 3)) [count, rows, cols, channels] = [xs[0]!, xs[1]!, xs[2]!, xs[3]!];
  else if (xs.length === 4 && (xs[1] === 1 || xs[1] === 3)) {
    [count, channels, rows, cols] = [xs[0]!, xs[1]!, xs[2]!, xs[3]!];
    channelsFirst = true;
  } else {
    throw bad(path, `array \`x_${split}\` is ${xs.join('x')}; images are N x H x W, N x H x W x C or N x C x H x W with C 1 or 3.`);
  }
  const labelCount = y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1) ? y.shape[0]! : -1;
  if (labelCount < 0) throw bad(path, `array \`y_${split}\` is ${y.shape.join('x')}; labels are N or N x 1 class indices.`);
  if (labelCount !== count) throw bad(path, `has ${count} images in \`x_${split}\` but ${labelCount} labels in \`y_${split}\`.`);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = Number(y.data[i]);
    if (!Number.isInteger(v) || v < 0) throw bad(path, `array \`y_${split}\` has ${v} at position ${i}; labels are class indices 0, 1, 2, ...`);
    labels[i] = v;
  }
  const scale = x.data instanceof Uint8Array ? 1 / 255 : 1;
  const images = new Float32Array(count * rows * cols * channels);
  if (!channelsFirst) {
    for (let i = 0; i < images.length; i++) images[i] = Number(x.data[i]) * scale;
  } else {
    const plane = rows * cols;
    for (let n = 0; n < count; n++) {
      const base = n * plane * channels;
      for (let c = 0; c < channels; c++) {
        for (let p = 0; p < plane; p++) images[base + p * channels + c] = Number(x.data[base + c * plane + p]) * scale;
      }
    }
  }
  return { images, labels, count, rows, cols, channels };
}
