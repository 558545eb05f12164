/**
 * Small learnable datasets in the other formats netc reads, written by the tests: CIFAR-10's binary tar.gz (3x32x32,
 * the synthetic bars of fixtures.ts in one colour channel per class group), folders of PNG images, and .npz files
 * written by NumPy itself (/usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { writeTar } from '../../src/data/tar.js';
import { seededRandom, syntheticSplit, type SyntheticSplit } from './fixtures.js';

/** CIFAR-10 binary records (label byte, R plane, G plane, B plane) for a synthetic split: the bars in every channel, scaled per channel. */
export function cifarRecords(split: SyntheticSplit): Uint8Array {
  const plane = 32 * 32;
  const out = new Uint8Array(split.count * (1 + 3 * plane));
  for (let n = 0; n < split.count; n++) {
    const at = n * (1 + 3 * plane);
    out[at] = split.labels[n]!;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < plane; p++) out[at + 1 + c * plane + p] = Math.round(split.pixels[n * plane + p]! * (1 - 0.3 * c));
    }
  }
  return out;
}

/** Writes `cifar-10-binary.tar.gz` with `train` training images over five batches and `test` test images; returns its bytes. */
export function writeCifarFixture(dir: string, train: number, test: number, seed = 3): { bytes: Uint8Array; train: SyntheticSplit; test: SyntheticSplit } {
  const random = seededRandom(seed);
  const trainSplit = syntheticSplit(train, random, 32, 32);
  const testSplit = syntheticSplit(test, random, 32, 32);
  const records = cifarRecords(trainSplit);
  const per = 1 + 3 * 1024;
  const files = new Map<string, Uint8Array>();
  const perBatch = Math.ceil(train / 5);
  for (let b = 0; b < 5; b++) {
    const from = Math.min(train, b * perBatch);
    const to = Math.min(train, (b + 1) * perBatch);
    files.set(`cifar-10-batches-bin/data_batch_${b + 1}.bin`, records.slice(from * per, to * per));
  }
  files.set('cifar-10-batches-bin/test_batch.bin', cifarRecords(testSplit));
  files.set('cifar-10-batches-bin/batches.meta.txt', new TextEncoder().encode('airplane\nautomobile\n'));
  const bytes = gzipSync(writeTar(files));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cifar-10-binary.tar.gz'), bytes);
  return { bytes, train: trainSplit, test: testSplit };
}

/** Writes one PNG: grey when `rgb` is false, else the grey value in red and two thirds of it in green and blue. */
export function writePng(path: string, rows: number, cols: number, pixels: Uint8Array, rgb = false): void {
  const png = new PNG({ width: cols, height: rows });
  for (let p = 0; p < rows * cols; p++) {
    const v = pixels[p]!;
    png.data[p * 4] = v;
    png.data[p * 4 + 1] = rgb ? Math.round((v * 2) / 3) : v;
    png.data[p * 4 + 2] = rgb ? Math.round((v * 2) / 3) : v;
    png.data[p * 4 + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}

/** Writes `dir/<class>/<n>.png` for a synthetic split of `count` images of `side` pixels over `classes` classes. */
export function writeFolderFixture(dir: string, count: number, options: { side?: number; classes?: number; seed?: number; rgb?: boolean } = {}): SyntheticSplit {
  const side = options.side ?? 28;
  const classes = options.classes ?? 4;
  const split = syntheticSplit(count, seededRandom(options.seed ?? 5), side, side, classes);
  const names = Array.from({ length: classes }, (_, c) => `class_${String.fromCharCode(97 + c)}`);
  for (const name of names) mkdirSync(join(dir, name), { recursive: true });
  for (let n = 0; n < count; n++) {
    const pixels = split.pixels.subarray(n * side * side, (n + 1) * side * side);
    writePng(join(dir, names[split.labels[n]!]!, `${String(n).padStart(5, '0')}.png`), side, side, pixels, options.rgb ?? false);
  }
  return split;
}

/** Runs Python code with NumPy; throws with its stderr when it fails. */
export function runPython(code: string): string {
  const result = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return result.stdout;
}
