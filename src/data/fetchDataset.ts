/**
 * Catalogue datasets besides Fashion-MNIST (MNIST, KMNIST, CIFAR-10): read from `--data DIR` when given, else from
 * the download cache (`$XDG_CACHE_HOME/netc/<name>` or `~/.cache/netc/<name>`), downloading the published files
 * there first when they are missing, each verified against its published MD5 (src/data/download.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';
import { readCifar10Archive, cifar10TestMember, cifar10TrainMembers, decodeCifarBatch } from './cifar10.js';
import { downloadFile, type DownloadProgress } from './download.js';
import type { ImageSet, LoadedDataset } from './imageSet.js';
import { findIdxFiles, readIdxPair } from './idxDir.js';
import { defaultCacheDir } from './locate.js';
import type { DatasetInfo, PublishedFile } from '../ir/catalogue.js';

/** Where to look and whether to download. */
export interface FetchOptions {
  readonly dataDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The cache directory for this dataset (default `.../netc/<name>`). */
  readonly cacheDir?: string;
  readonly download?: boolean;
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly fetchImpl?: typeof fetch;
  /** Base URLs in place of the catalogue's (tests serving small files). */
  readonly mirrors?: readonly string[];
  /** MD5s by file name in place of the catalogue's (tests serving small files). */
  readonly checksums?: Readonly<Record<string, string>>;
}

/** The cache directory of a dataset: a sibling of Fashion-MNIST's, named after the dataset. */
export function datasetCacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(defaultCacheDir(env)), name);
}

function fileUrl(mirror: string, file: PublishedFile): string {
  return `${mirror.endsWith('/') ? mirror : `${mirror}/`}${file.name}`;
}

/** Downloads the files missing from `dir`; NN5001 listing the URLs when no mirror serves one. */
async function fetchMissing(info: DatasetInfo, dir: string, options: FetchOptions): Promise<void> {
  const missing = info.download.files.filter((f) => !existsSync(join(dir, f.name)));
  if (missing.length === 0) return;
  const mirrors = options.mirrors ?? info.download.mirrors;
  const manual = (): string =>
    `download ${missing.map((f) => fileUrl(mirrors[0]!, f)).join(' and ')} into ${dir}, or pass \`--data DIR\` with the files`;
  if (options.download === false) {
    throw new NetcError('NN5001', `${info.name} is not in ${dir} and downloading is switched off; ${manual()}.`);
  }
  await mkdir(dir, { recursive: true });
  for (const file of missing) {
    const reasons: string[] = [];
    let done = false;
    for (const mirror of mirrors) {
      try {
        await downloadFile(fileUrl(mirror, file), join(dir, file.name), options.checksums?.[file.name] ?? file.md5, {
          ...(options.fetchImpl && { fetchImpl: options.fetchImpl }),
          ...(options.onProgress && { onProgress: options.onProgress }),
        });
        done = true;
        break;
      } catch (error) {
        reasons.push((error as Error).message);
      }
    }
    if (!done) throw new NetcError('NN5001', `${info.name}: downloading ${file.name} failed (${reasons.join('; ')}); ${manual()}.`);
  }
}

function checkShape(info: DatasetInfo, set: ImageSet, source: string): void {
  if (set.rows !== info.rows || set.cols !== info.cols || set.channels !== info.channels) {
    throw new NetcError('NN5002', `'${source}' holds ${set.channels}x${set.rows}x${set.cols} images; ${info.name}'s are ${info.channels}x${info.rows}x${info.cols}.`);
  }
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i]! >= info.classes) {
      throw new NetcError('NN5002', `'${source}' has label ${set.labels[i]} at position ${i}; ${info.name}'s labels are 0 to ${info.classes - 1}.`);
    }
  }
}

/** CIFAR-10 from a directory: the archive, or its extracted `cifar-10-batches-bin` folder (or that folder's files). */
async function readCifarDir(dir: string, archiveName: string): Promise<{ train: ImageSet; test: ImageSet; source: string } | null> {
  const archive = join(dir, archiveName);
  if (existsSync(archive)) return { ...(await readCifar10Archive(await readFile(archive), archive)), source: archive };
  for (const folder of [join(dir, 'cifar-10-batches-bin'), dir]) {
    const batch = (member: string): string => join(folder, member.split('/')[1]!);
    if ([...cifar10TrainMembers, cifar10TestMember].every((m) => existsSync(batch(m)))) {
      const read = async (m: string): Promise<ImageSet> => decodeCifarBatch(await readFile(batch(m)), m, folder);
      const parts = await Promise.all(cifar10TrainMembers.map(read));
      const count = parts.reduce((n, p) => n + p.count, 0);
      const images = new Float32Array(count * 3072);
      const labels = new Int32Array(count);
      let at = 0;
      for (const p of parts) {
        images.set(p.images, at * 3072);
        labels.set(p.labels, at);
        at += p.count;
      }
      return { train: { ...parts[0]!, images, labels, count }, test: await read(cifar10TestMember), source: folder };
    }
  }
  return null;
}

/** Loads a catalogue dataset other than Fashion-MNIST. */
export async function loadCatalogueDataset(info: DatasetInfo, options: FetchOptions = {}): Promise<LoadedDataset> {
  const explicit = options.dataDir !== undefined ? resolve(options.dataDir) : null;
  if (explicit !== null && !(existsSync(explicit) && statSync(explicit).isDirectory())) {
    throw new NetcError('NN5001', `--data ${explicit} does not exist or is not a directory.`);
  }
  const dir = explicit ?? resolve(options.cacheDir ?? datasetCacheDir(info.name, options.env));
  let splits: { train: ImageSet; test: ImageSet; source: string };
  if (info.download.format === 'cifar10-binary') {
    const archiveName = info.download.files[0]!.name;
    if (explicit === null) await fetchMissing(info, dir, options);
    const found = await readCifarDir(dir, archiveName);
    if (found === null) {
      throw new NetcError('NN5001', `--data ${dir} holds neither ${archiveName} nor the extracted cifar-10-batches-bin folder (data_batch_1.bin ... test_batch.bin).`);
    }
    splits = found;
  } else {
    if (explicit === null) await fetchMissing(info, dir, options);
    const files = await findIdxFiles(dir);
    const [train, test] = await Promise.all([
      readIdxPair(files['train-images'], files['train-labels']),
      readIdxPair(files['test-images'], files['test-labels']),
    ]);
    splits = { train, test, source: dir };
  }
  checkShape(info, splits.train, splits.source);
  checkShape(info, splits.test, splits.source);
  return { name: info.name, train: splits.train, test: splits.test, classNames: info.labels, source: explicit === null ? dir : splits.source };
}
