/**
 * Reading IDX files (the format of MNIST and Fashion-MNIST), compressed or not, with every check that turns a
 * truncated, corrupt or swapped file into one NN5002 message naming the file.
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { NetcError } from '../diagnostics/NetcError.js';
import type { IdxKind } from './files.js';


/** An images file decoded: `count` images of `rows` x `cols` bytes, row-major, one after another. */
export interface IdxImages {
  readonly kind: 'images';
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** The pixel bytes (a view into the file's bytes, after the header). */
  readonly pixels: Uint8Array;
}

/** A labels file decoded: one byte per example. */
export interface IdxLabels {
  readonly kind: 'labels';
  readonly count: number;
  /** The label bytes (a view into the file's bytes, after the header). */
  readonly labels: Uint8Array;
}

/** The magic number of an unsigned-byte IDX file with `dims` dimensions: 2049 for labels, 2051 for images. */
export function idxMagic(kind: IdxKind): number {
  return kind === 'images' ? 2051 : 2049;
}

const dimsOf = { images: 3, labels: 1 } as const;
const gzipMagic = [0x1f, 0x8b] as const;

/** True when the bytes start like a gzip stream. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === gzipMagic[0] && bytes[1] === gzipMagic[1];
}

function corrupt(path: string, what: string, advice: string): NetcError {
  return new NetcError('NN5002', `'${path}' ${what}${advice ? ` ${advice}` : ''}`);
}

function hexStart(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Decompresses a file's bytes when they are gzip (judged by content, so a decompressed file that kept its `.gz` name
 * or a compressed one without it both work), and reports a damaged stream as NN5002.
 */
export async function decompressIfGzip(bytes: Uint8Array, path: string, advice = ''): Promise<Uint8Array> {
  if (!isGzip(bytes)) {
    if (path.endsWith('.gz') && !looksLikeIdx(bytes)) {
      // A mirror's error page saved under the file's name is the usual way to get here.
      const html = bytes.length > 0 && bytes[0] === 0x3c ? ' (it looks like an HTML or XML page)' : '';
      throw corrupt(path, `is neither gzip-compressed nor an IDX file: it starts with bytes ${hexStart(bytes) || '(none: it is empty)'}${html}.`, advice);
    }
    return bytes;
  }
  try {
    // gzip's trailer holds the decompressed size (mod 2^32): one output chunk of that size saves zlib from growing
    // and concatenating many small ones. Capped, since a corrupt trailer can claim anything.
    const trailerSize = bytes.length >= 18 ? readU32LE(bytes, bytes.length - 4) : 0;
    const chunkSize = Math.min(Math.max(trailerSize, 64 * 1024), 128 * 1024 * 1024);
    // Promisified here, not at load: the CLI's bundle loads node:zlib on first use (src/cli/bundleFrontDoor.ts).
    return await promisify(gunzip)(bytes, { chunkSize });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(message)) {
      throw corrupt(path, `is truncated: its gzip stream ends early, after ${bytes.length.toLocaleString('en-US')} bytes.`, advice);
    }
    throw corrupt(path, `is corrupt: gzip reports "${message}".`, advice);
  }
}

function looksLikeIdx(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08;
}

function readU32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

function readU32(bytes: Uint8Array, offset: number): number {
  // Big-endian, as IDX is; `>>> 0` keeps values above 2^31 positive.
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** Decodes uncompressed IDX bytes that must be of `kind`; any mismatch with the header is NN5002 naming `path`. */
export function decodeIdx(bytes: Uint8Array, path: string, kind: 'images', advice?: string): IdxImages;
/** Decodes uncompressed IDX bytes that must be of `kind`; any mismatch with the header is NN5002 naming `path`. */
export function decodeIdx(bytes: Uint8Array, path: string, kind: 'labels', advice?: string): IdxLabels;
/** Decodes uncompressed IDX bytes that must be of `kind`; any mismatch with the header is NN5002 naming `path`. */
export function decodeIdx(bytes: Uint8Array, path: string, kind: IdxKind, advice?: string): IdxImages | IdxLabels;
export function decodeIdx(bytes: Uint8Array, path: string, kind: IdxKind, advice = ''): IdxImages | IdxLabels {
  const expectedMagic = idxMagic(kind);
  if (bytes.length < 4) {
    throw corrupt(path, `is too short to be an IDX ${kind} file: ${bytes.length} bytes, not even the 4-byte magic number.`, advice);
  }
  const magic = readU32(bytes, 0);
  if (magic !== expectedMagic) {
    const other: IdxKind = kind === 'images' ? 'labels' : 'images';
    if (magic === idxMagic(other)) {
      throw corrupt(
        path,
        `is an IDX ${other} file (magic number ${magic}) where the ${kind} file (magic ${expectedMagic}) was expected: the files are swapped or misnamed.`,
        advice,
      );
    }
    if (looksLikeIdx(bytes) || (bytes[0] === 0 && bytes[1] === 0)) {
      throw corrupt(
        path,
        `has magic number ${magic} (0x${magic.toString(16).padStart(8, '0')}), not ${expectedMagic}: it is not an IDX ${kind} file of unsigned bytes.`,
        advice,
      );
    }
    throw corrupt(path, `is not an IDX file: it starts with bytes ${hexStart(bytes)}, not the ${kind} magic number ${expectedMagic}.`, advice);
  }
  const dims = dimsOf[kind];
  const headerBytes = 4 + 4 * dims;
  if (bytes.length < headerBytes) {
    throw corrupt(path, `is truncated: ${bytes.length} bytes, shorter than its ${headerBytes}-byte header.`, advice);
  }
  const sizes: number[] = [];
  for (let d = 0; d < dims; d++) sizes.push(readU32(bytes, 4 + 4 * d));
  const count = sizes[0]!;
  const perItem = sizes.slice(1).reduce((a, b) => a * b, 1);
  const describe =
    kind === 'images'
      ? `${count.toLocaleString('en-US')} images of ${sizes[1]}x${sizes[2]}`
      : `${count.toLocaleString('en-US')} labels`;
  if (count === 0 || perItem === 0) {
    throw corrupt(path, `holds no data: its header says ${describe}.`, advice);
  }
  const expectedLength = headerBytes + count * perItem;
  if (bytes.length < expectedLength) {
    throw corrupt(
      path,
      `is truncated: its header promises ${describe} (${expectedLength.toLocaleString('en-US')} bytes) but it holds ${bytes.length.toLocaleString('en-US')}.`,
      advice,
    );
  }
  if (bytes.length > expectedLength) {
    throw corrupt(
      path,
      `is ${(bytes.length - expectedLength).toLocaleString('en-US')} bytes longer than its header promises (${describe}, ${expectedLength.toLocaleString('en-US')} bytes).`,
      advice,
    );
  }
  const body = bytes.subarray(headerBytes, expectedLength);
  return kind === 'images'
    ? { kind, count, rows: sizes[1]!, cols: sizes[2]!, pixels: body }
    : { kind, count, labels: body };
}

/** Reads an IDX file of `kind` from disk, decompressing it when it is gzip, and decodes it. */
export async function readIdxFile(path: string, kind: 'images', advice?: string): Promise<IdxImages>;
/** Reads an IDX file of `kind` from disk, decompressing it when it is gzip, and decodes it. */
export async function readIdxFile(path: string, kind: 'labels', advice?: string): Promise<IdxLabels>;
export async function readIdxFile(path: string, kind: IdxKind, advice = ''): Promise<IdxImages | IdxLabels> {
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new NetcError('NN5002', `'${path}' cannot be read: ${message}.`);
  }
  const bytes = await decompressIfGzip(raw, path, advice);
  return decodeIdx(bytes, path, kind, advice);
}

/** 256 precomputed pixel values: float32(b / 255), exactly what PyTorch's ToTensor computes in float32. */
const unitScale = (() => {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = b / 255;
  return table;
})();

/** Bytes to floats in [0, 1] (b / 255), as the seed's `transforms.ToTensor()` does. */
export function scalePixels(pixels: Uint8Array): Float32Array {
  const n = pixels.length;
  const out = new Float32Array(n);
  let start = 0;
  if (pixels.byteOffset % 4 === 0) {
    // Four pixels per load: about a fifth faster than byte loads on the 47 million training pixels.
    const words = new Uint32Array(pixels.buffer, pixels.byteOffset, n >>> 2);
    const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
    const [s0, s1, s2, s3] = littleEndian ? [0, 8, 16, 24] : [24, 16, 8, 0];
    for (let i = 0, j = 0; i < words.length; i++, j += 4) {
      const w = words[i]!;
      out[j] = unitScale[(w >>> s0) & 255]!;
      out[j + 1] = unitScale[(w >>> s1) & 255]!;
      out[j + 2] = unitScale[(w >>> s2) & 255]!;
      out[j + 3] = unitScale[(w >>> s3) & 255]!;
    }
    start = words.length * 4;
  }
  for (let j = start; j < n; j++) out[j] = unitScale[pixels[j]!]!;
  return out;
}
