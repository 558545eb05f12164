import { describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { defaultCacheDir, filesIn, locateFashionMnist, searchPlaces } from '../../src/data/locate.js';
import { writeIdxFixture } from './fixtures.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'netc-locate-'));
}

function locateError(fn: () => unknown): NetcError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NetcError) return error;
    throw error;
  }
  throw new Error('expected a NetcError');
}

describe('defaultCacheDir', () => {
  test('honours an absolute XDG_CACHE_HOME', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me', HOME: '/home/me' })).toBe('/var/cache/me/netc/fashion-mnist');
  });
  test('falls back to ~/.cache, ignoring a relative XDG_CACHE_HOME as the XDG spec says', () => {
    expect(defaultCacheDir({ HOME: '/home/me' })).toBe('/home/me/.cache/netc/fashion-mnist');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/me' })).toBe('/home/me/.cache/netc/fashion-mnist');
  });
});

test('search order: --data, NETC_DATA, the Debian directory, the cache', () => {
  const places = searchPlaces({ dataDir: '/a', env: { NETC_DATA: '/b', HOME: '/h' } });
  expect(places.map((p) => [p.origin, p.dir])).toEqual([
    ['option', '/a'],
    ['env', '/b'],
    ['system', '/usr/share/datasets/fashion-mnist'],
    ['cache', '/h/.cache/netc/fashion-mnist'],
  ]);
  expect(searchPlaces({ env: { NETC_DATA: '' }, systemDir: null, cacheDir: '/c' }).map((p) => p.origin)).toEqual(['cache']);
});

describe('locateFashionMnist', () => {
  test('takes the first complete place: NETC_DATA before the system directory and the cache', () => {
    const root = scratch();
    for (const name of ['env', 'system', 'cache']) writeIdxFixture(join(root, name), { train: 10, test: 10 });
    const options = { env: { NETC_DATA: join(root, 'env') }, systemDir: join(root, 'system'), cacheDir: join(root, 'cache') };
    let found = locateFashionMnist(options);
    expect('place' in found && found.place.origin).toBe('env');
    found = locateFashionMnist({ ...options, env: {} });
    expect('place' in found && found.place.origin).toBe('system');
    rmSync(join(root, 'system'), { recursive: true });
    found = locateFashionMnist({ ...options, env: {} });
    expect('place' in found && found.place.origin).toBe('cache');
  });

  test('accepts uncompressed files under the plain names, and prefers .gz when both exist', () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 10, test: 10, gzip: false });
    const contents = filesIn(dir);
    expect(contents.missing).toEqual([]);
    expect(contents.paths.get('train-images-idx3-ubyte')).toBe(join(dir, 'train-images-idx3-ubyte'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), '');
    expect(filesIn(dir).paths.get('train-images-idx3-ubyte')).toBe(join(dir, 'train-images-idx3-ubyte.gz'));
  });

  test('--data without the files is an error naming it, even when another place has them', () => {
    const root = scratch();
    writeIdxFixture(join(root, 'system'), { train: 10, test: 10 });
    mkdirSync(join(root, 'empty'));
    const error = locateError(() => locateFashionMnist({ dataDir: join(root, 'empty'), systemDir: join(root, 'system'), env: {} }));
    expect(error.code).toBe('NN5001');
    expect(error.message).toContain(`--data ${join(root, 'empty')}: ${join(root, 'empty')} lacks all four Fashion-MNIST files`);
    expect(error.message).toContain('sudo apt-get install dataset-fashion-mnist');
  });

  test('names the missing files when --data has only some, and says when the directory does not exist', () => {
    const dir = scratch();
    writeIdxFixture(dir, { train: 10, test: 10 });
    rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
    const partial = locateError(() => locateFashionMnist({ dataDir: dir, systemDir: null, env: {} }));
    expect(partial.message).toContain(`${dir} lacks t10k-labels-idx1-ubyte.gz.`);
    const absent = locateError(() => locateFashionMnist({ dataDir: join(dir, 'nope'), systemDir: null, env: {} }));
    expect(absent.message).toContain(`${join(dir, 'nope')} does not exist`);
  });

  test('NETC_DATA without the files is an error naming the variable', () => {
    const dir = scratch();
    const error = locateError(() => locateFashionMnist({ env: { NETC_DATA: dir }, systemDir: null, cacheDir: scratch() }));
    expect(error.code).toBe('NN5001');
    expect(error.message).toMatch(new RegExp(`^NETC_DATA=${dir}: `));
    expect(error.message).toContain('point NETC_DATA at a directory that holds them, or unset it');
  });

  test('nothing anywhere: reports the places searched and what the cache lacks', () => {
    const cache = scratch();
    writeIdxFixture(cache, { train: 10, test: 10 });
    rmSync(join(cache, 'train-images-idx3-ubyte.gz'));
    const found = locateFashionMnist({ env: {}, systemDir: null, cacheDir: cache });
    expect('searched' in found).toBe(true);
    if (!('searched' in found)) return;
    expect(found.searched.map((p) => p.dir)).toEqual([cache]);
    expect(found.cacheMissing.map((f) => f.name)).toEqual(['train-images-idx3-ubyte']);
  });
});
