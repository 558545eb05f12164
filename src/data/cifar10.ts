/**
 * CIFAR-10's binary release (`cifar-10-binary.tar.gz`): five training batches and one test batch of records, each
 * one label byte then 3072 pixel bytes (the red plane, the green, the blue, 32x32 each, row-major). Read from the
 * archive in memory (gunzip by Node's zlib, tar by src/data/tar.ts) and turned into channels-last floats in [0, 1].
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { NetcError } from '../diagnostics/NetcError.js';
import type { ImageSet } from './imageSet.js';
import { readTar, TarError } from './tar.js';

const gunzipAsync = promisify(gunzip);

const side = 32;
const plane = side * side;
const record = 1 + 3 * plane;

/** The archive members, in the order the training set is assembled. */
export const cifar10TrainMembers = [1, 2, 3, 4, 5].map((i) => `cifar-10-batches-bin/data_batch_${i}.bin`);
export const cifar10TestMember = 'cifar-10-batches-bin/test_batch.bin';

/** Decodes the records of one batch file. */
export function decodeCifarBatch(bytes: Uint8Array, name: string, path: string): ImageSet {
  if (bytes.length % record !== 0) {
    throw new NetcError('NN5002', `'${path}' member ${name} holds ${bytes.length} bytes, not a whole number of ${record}-byte CIFAR-10 records.`);
  }
  const count = bytes.length / record;
  const images = new Float32Array(count * plane * 3);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const base = n * record;
    const label = bytes[base]!;
    if (label > 9) throw new NetcError('NN5002', `'${path}' member ${name} has label ${label} in record ${n}; CIFAR-10's labels are 0 to 9.`);
    labels[n] = label;
    const out = n * plane * 3;
    for (let p = 0; p < plane; p++) {
      images[out + p * 3] = bytes[base + 1 + p]! / 255;
      images[out + p * 3 + 1] = bytes[base + 1 + plane + p]! / 255;
      images[out + p * 3 + 2] = bytes[base + 1 + 2 * plane + p]! / 255;
    }
  }
  return { images, labels, count, rows: side, cols: side, channels: 3 };
}

function concat(sets: readonly ImageSet[]): ImageSet {
  const count = sets.reduce((n, s) => n + s.count, 0);
  const images = new Float32Array(count * plane * 3);
  const labels = new Int32Array(count);
  let at = 0;
  for (const s of sets) {
    images.set(s.images, at * plane * 3);
    labels.set(s.labels, at);
    at += s.count;
  }
  return { images, labels, count, rows: side, cols: side, channels: 3 };
}

/** Reads both splits from the `.tar.gz` archive's bytes. */
export async function readCifar10Archive(bytes: Uint8Array, path: string): Promise<{ train: ImageSet; test: ImageSet }> {
  let tar: Uint8Array;
  try {
    tar = await gunzipAsync(bytes);
  } catch (error) {
    throw new NetcError('NN5002', `'${path}' is not a readable gzip file (${(error as Error).message}); delete it and run again to download a fresh copy.`);
  }
  let files: Map<string, Uint8Array>;
  try {
    files = readTar(tar);
  } catch (error) {
    if (error instanceof TarError) throw new NetcError('NN5002', `'${path}': ${error.message}.`);
    throw error;
  }
  const member = (name: string): Uint8Array => {
    const found = files.get(name);
    if (found === undefined) throw new NetcError('NN5002', `'${path}' has no ${name}; it is not CIFAR-10's binary release (cifar-10-binary.tar.gz).`);
    return found;
  };
  const train = concat(cifar10TrainMembers.map((name) => decodeCifarBatch(member(name), name, path)));
  const test = decodeCifarBatch(member(cifar10TestMember), cifar10TestMember, path);
  return { train, test };
}
