/**
 * Decoding image files (PNG with pngjs, JPEG with jpeg-js, chosen by the file's first bytes, not its name) into
 * floats in [0, 1], channels-last, with 1 channel (grey) or 3 (RGB). Alpha is dropped; grey is the mean of R, G, B
 * when an RGB image is read as grey.
 */
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { NetcError } from '../diagnostics/NetcError.js';

/** An image decoded to RGBA bytes. */
export interface DecodedImage {
  readonly rows: number;
  readonly cols: number;
  readonly rgba: Uint8Array;
  /** True when every pixel has R = G = B (a grey image, whatever its file's colour type). */
  readonly grey: boolean;
}

const pngMagic = [0x89, 0x50, 0x4e, 0x47];
const jpegMagic = [0xff, 0xd8, 0xff];

/** True when the bytes start as a PNG or a JPEG does. */
export function isImageFile(bytes: Uint8Array): boolean {
  return pngMagic.every((b, i) => bytes[i] === b) || jpegMagic.every((b, i) => bytes[i] === b);
}

/** Decodes PNG or JPEG bytes; NN5002 naming the file when they are neither or damaged. */
export function decodeImage(bytes: Uint8Array, path: string): DecodedImage {
  let rows: number;
  let cols: number;
  let rgba: Uint8Array;
  try {
    if (pngMagic.every((b, i) => bytes[i] === b)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      [rows, cols, rgba] = [png.height, png.width, png.data];
    } else if (jpegMagic.every((b, i) => bytes[i] === b)) {
      // Limits keep a hostile file from asking for gigabytes.
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 50, maxMemoryUsageInMB: 512 });
      [rows, cols, rgba] = [image.height, image.width, image.data];
    } else {
      throw new NetcError('NN5002', `'${path}' is not a PNG or JPEG image.`);
    }
  } catch (error) {
    if (error instanceof NetcError) throw error;
    throw new NetcError('NN5002', `'${path}' could not be decoded as an image: ${(error as Error).message}.`);
  }
  let grey = true;
  for (let i = 0; i < rgba.length && grey; i += 4) grey = rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
  return { rows, cols, rgba, grey };
}

/** Reads and decodes one image file. */
export async function readImageFile(path: string): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new NetcError('NN5001', `Cannot read '${path}': ${(error as Error).message}.`);
  }
  return decodeImage(bytes, path);
}

/** Writes an image's pixels as `channels` floats per pixel into `out` at `offset`. */
export function writePixels(image: DecodedImage, channels: number, out: Float32Array, offset: number): void {
  const pixels = image.rows * image.cols;
  for (let p = 0; p < pixels; p++) {
    const r = image.rgba[p * 4]!;
    const g = image.rgba[p * 4 + 1]!;
    const b = image.rgba[p * 4 + 2]!;
    if (channels === 1) out[offset + p] = (r + g + b) / 3 / 255;
    else {
      out[offset + p * 3] = r / 255;
      out[offset + p * 3 + 1] = g / 255;
      out[offset + p * 3 + 2] = b / 255;
    }
  }
}
