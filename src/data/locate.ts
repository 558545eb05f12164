/**
 * Where netc looks for the Fashion-MNIST files, in order: `--data DIR`, `$NETC_DATA`, Debian's package directory,
 * then the download cache. The first two are the user's explicit choice: when they lack the files that is an error,
 * never a silent fall-back to another copy.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';
import { dataFiles, debianDataDir, type DataFile } from './files.js';

/** How a place to look came about; `option` and `env` are explicit, the others are defaults. */
export type PlaceOrigin = 'option' | 'env' | 'system' | 'cache';

/** One directory to look in. */
export interface SearchPlace {
  readonly dir: string;
  readonly origin: PlaceOrigin;
  /** How messages name it: `--data /x`, `NETC_DATA=/x`, or just the path. */
  readonly label: string;
}

/** What `searchPlaces` reads: the options of `loadFashionMnist` that decide where to look. */
export interface SearchOptions {
  readonly dataDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cacheDir?: string;
  /** Debian's directory by default; `null` leaves it out (tests that must not find the installed copy). */
  readonly systemDir?: string | null;
}

/** `$XDG_CACHE_HOME/netc/fashion-mnist`, else `~/.cache/netc/fashion-mnist`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  const base = xdg && xdg.startsWith('/') ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'netc', 'fashion-mnist');
}

/** The cache directory these options resolve to. */
export function resolveCacheDir(options: SearchOptions): string {
  return resolve(options.cacheDir ?? defaultCacheDir(options.env ?? process.env));
}

/** The places to look, in order. */
export function searchPlaces(options: SearchOptions): SearchPlace[] {
  const env = options.env ?? process.env;
  const places: SearchPlace[] = [];
  if (options.dataDir !== undefined) {
    const dir = resolve(options.dataDir);
    places.push({ dir, origin: 'option', label: `--data ${dir}` });
  }
  if (env.NETC_DATA) {
    const dir = resolve(env.NETC_DATA);
    places.push({ dir, origin: 'env', label: `NETC_DATA=${dir}` });
  }
  const systemDir = options.systemDir === undefined ? debianDataDir : options.systemDir;
  if (systemDir !== null) places.push({ dir: resolve(systemDir), origin: 'system', label: resolve(systemDir) });
  const cache = resolveCacheDir(options);
  places.push({ dir: cache, origin: 'cache', label: cache });
  return places;
}

/** The files found in one directory, by file name (without `.gz`), and those missing. */
export interface DirectoryContents {
  readonly paths: ReadonlyMap<string, string>;
  readonly missing: readonly DataFile[];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Looks for each of the four files in `dir`, compressed (preferred: it is the published form) or not. */
export function filesIn(dir: string): DirectoryContents {
  const paths = new Map<string, string>();
  const missing: DataFile[] = [];
  for (const file of dataFiles) {
    const found = [`${file.name}.gz`, file.name].map((name) => join(dir, name)).find(isFile);
    if (found === undefined) missing.push(file);
    else paths.set(file.name, found);
  }
  return { paths, missing };
}

/** The directory the files were found in, and each file's path. */
export interface Located {
  readonly place: SearchPlace;
  readonly paths: ReadonlyMap<string, string>;
}

/** Nothing complete was found: the places looked in, and what the cache directory already holds. */
export interface NotFound {
  readonly searched: readonly SearchPlace[];
  readonly cache: SearchPlace;
  readonly cacheMissing: readonly DataFile[];
}

function directoryProblem(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : 'is not a directory';
  } catch {
    return 'does not exist';
  }
}

function missingList(missing: readonly DataFile[]): string {
  return missing.map((file) => `${file.name}.gz`).join(', ');
}

/**
 * Finds the first place holding all four files. An explicit place (`--data`, `NETC_DATA`) that lacks any of them
 * throws NN5001 naming it; default places that lack them are passed over.
 */
export function locateFashionMnist(options: SearchOptions): Located | NotFound {
  const places = searchPlaces(options);
  for (const place of places) {
    const { paths, missing } = filesIn(place.dir);
    if (missing.length === 0) return { place, paths };
    if (place.origin === 'option' || place.origin === 'env') {
      const problem = directoryProblem(place.dir);
      const what = problem
        ? `${place.dir} ${problem}`
        : `${place.dir} lacks ${missing.length === 4 ? 'all four Fashion-MNIST files' : missingList(missing)}`;
      const how =
        place.origin === 'option' ? 'pass `--data` a directory that holds them' : 'point NETC_DATA at a directory that holds them, or unset it';
      throw new NetcError(
        'NN5001',
        `${place.label}: ${what}. It needs train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (compressed or not); ${how} (\`sudo apt-get install dataset-fashion-mnist\` puts them in ${debianDataDir}).`,
      );
    }
  }
  const cache = places[places.length - 1]!;
  return { searched: places, cache, cacheMissing: filesIn(cache.dir).missing };
}
