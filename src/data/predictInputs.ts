/**
 * What `netc predict` reads: image files (PNG, JPEG), IDX image files (a batch, gzip or not), `.npy` arrays and
 * `.npz` datasets (their `x_test`, else `x`, else their one array), each turned into examples of the model's
 * image size. A grey image fed to an RGB model is repeated over the three channels; an RGB image fed to a grey model
 * is averaged. Nothing is resized: an image of another size is NN5002 naming it and the size the model takes.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { unzipSync } from 'fflate';
import { NetcError } from '../diagnostics/NetcError.js';
import { decompressIfGzip, decodeIdx, scalePixels } from './idx.js';
import { decodeImage, isImageFile, writePixels } from './imageFiles.js';
import { NpyError, parseNpy, type NpyArray } from './npy.js';

/** The image size a model takes. */
export interface InputSize {
  readonly channels: number;
  readonly rows: number;
  readonly cols: number;
}

/** Examples read from one file: channels-last floats in [0, 1], and a name for each (`a.png`, `t10k.gz[3]`). */
export interface PredictBatch {
  readonly names: readonly string[];
  readonly images: Float32Array;
  readonly count: number;
}

function sizeError(path: string, got: string, size: InputSize): NetcError {
  return new NetcError('NN5002', `'${path}' holds ${got} images but the model takes ${size.channels}x${size.rows}x${size.cols}; netc does not resize.`);
}

/** Converts channels-last values with `from` channels to `to` channels (1 <-> 3). */
function convertChannels(values: Float32Array, pixels: number, from: number, to: number): Float32Array {
  if (from === to) return values;
  const out = new Float32Array(pixels * to);
  for (let p = 0; p < pixels; p++) {
    if (to === 1) out[p] = (values[p * 3]! + values[p * 3 + 1]! + values[p * 3 + 2]!) / 3;
    else out.fill(values[p]!, p * 3, p * 3 + 3);
  }
  return out;
}

function fromArray(path: string, array: NpyArray, size: InputSize): PredictBatch {
  const s = array.shape;
  // One image (H x W, H x W x C) or a batch (N x H x W, N x H x W x C, N x C x H x W).
  let count: number;
  let channels: number;
  let channelsFirst = false;
  const single = (s.length === 2 || s.length === 3) && s[0] === size.rows && s[1] === size.cols;
  const matches = (rows: number | undefined, cols: number | undefined): boolean => rows === size.rows && cols === size.cols;
  if (s.length === 2 && matches(s[0], s[1])) [count, channels] = [1, 1];
  else if (s.length === 3 && matches(s[0], s[1]) && (s[2] === 1 || s[2] === 3)) [count, channels] = [1, s[2]!];
  else if (s.length === 3 && matches(s[1], s[2])) [count, channels] = [s[0]!, 1];
  else if (s.length === 4 && matches(s[1], s[2]) && (s[3] === 1 || s[3] === 3)) [count, channels] = [s[0]!, s[3]!];
  else if (s.length === 4 && matches(s[2], s[3]) && (s[1] === 1 || s[1] === 3)) {
    [count, channels] = [s[0]!, s[1]!];
    channelsFirst = true;
  } else throw sizeError(path, s.join('x'), size);
  const scale = array.data instanceof Uint8Array ? 1 / 255 : 1;
  const pixels = size.rows * size.cols;
  const per = pixels * size.channels;
  const images = new Float32Array(count * per);
  for (let n = 0; n < count; n++) {
    const one = new Float32Array(pixels * channels);
    const base = n * pixels * channels;
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < channels; c++) {
        const from = channelsFirst ? base + c * pixels + p : base + p * channels + c;
        one[p * channels + c] = Number(array.data[from]) * scale;
      }
    }
    images.set(convertChannels(one, pixels, channels, size.channels), n * per);
  }
  const name = basename(path);
  return { names: single ? [name] : Array.from({ length: count }, (_, i) => `${name}[${i}]`), images, count };
}

/** Reads one file given to `netc predict`. */
export async function readPredictInput(path: string, size: InputSize): Promise<PredictBatch> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new NetcError('NN5001', `Cannot read '${path}': ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  const pixels = size.rows * size.cols;
  if (isImageFile(bytes)) {
    const image = decodeImage(bytes, path);
    if (image.rows !== size.rows || image.cols !== size.cols) throw sizeError(path, `${image.cols}x${image.rows}-pixel`, size);
    const images = new Float32Array(pixels * size.channels);
    writePixels(image, size.channels, images, 0);
    return { names: [basename(path)], images, count: 1 };
  }
  if (path.endsWith('.npy') || path.endsWith('.npz')) {
    let array: NpyArray;
    try {
      if (path.endsWith('.npy')) array = parseNpy(bytes);
      else {
        const files = unzipSync(bytes);
        const names = Object.keys(files).filter((n) => n.endsWith('.npy'));
        const pickName = ['x_test.npy', 'x.npy'].find((n) => names.includes(n)) ?? (names.length === 1 ? names[0] : undefined);
        if (pickName === undefined) throw new NpyError(`it holds ${names.map((n) => n.replace(/\.npy$/, '')).join(', ') || 'no arrays'}; name the images x_test or x`);
        array = parseNpy(files[pickName]!);
      }
    } catch (error) {
      if (error instanceof NetcError) throw error;
      throw new NetcError('NN5002', `'${path}' cannot be read: ${(error as Error).message}.`);
    }
    return fromArray(path, array, size);
  }
  const raw = await decompressIfGzip(bytes, path);
  const idx = decodeIdx(raw, path, 'images');
  if (idx.rows !== size.rows || idx.cols !== size.cols) throw sizeError(path, `${idx.rows}x${idx.cols}`, size);
  const grey = scalePixels(idx.pixels);
  const images = new Float32Array(idx.count * pixels * size.channels);
  for (let n = 0; n < idx.count; n++) {
    images.set(convertChannels(grey.subarray(n * pixels, (n + 1) * pixels), pixels, 1, size.channels), n * pixels * size.channels);
  }
  const name = basename(path);
  return { names: Array.from({ length: idx.count }, (_, i) => `${name}[${i}]`), images, count: idx.count };
}
