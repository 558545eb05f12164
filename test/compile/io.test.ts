import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { compileModel, netcMetadata } from '../../src/compile/compile.js';
import { loadModel, saveModel } from '../../src/compile/io.js';
import { NetcError } from '../../src/diagnostics/NetcError.js';
import { analyze } from '../../src/frontend/index.js';

tf.env().set('PROD', true);

// Writes of a file whose name ends with `failOn` fail as a full disk would, to test atomicity mid-save.
const failure = vi.hoisted(() => ({ failOn: null as string | null }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    // src/compile/atomicWrite.ts opens each file it writes; a full disk fails that file's write.
    openSync: (...args: Parameters<typeof real.openSync>) => {
      if (failure.failOn !== null && String(args[0]).endsWith(failure.failOn)) {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
      return real.openSync(...args);
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'netc-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  failure.failOn = null;
});

function compile(source: string, seed: number): tf.LayersModel {
  const model = analyze(source, 'io').model;
  if (model === null) throw new Error('test model does not check');
  return compileModel(model, { seed });
}

// Every layer kind that needs a class of netc's own: a padded max pool (-Infinity padding) and a scratch bn.
const source = 'input 2x6x6\nconv 3 k3 p1 | bn impl=scratch | relu | maxpool 3 s2 p1\nflatten\ndense 4 | bn\ndense 2\n';
const x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 5);

function outputs(model: tf.LayersModel): number[] {
  return Array.from((model.predict(x) as tf.Tensor).dataSync());
}

describe('saveModel and loadModel', () => {
  test('round trip: same outputs, node map and netc layer classes', async () => {
    const model = compile(source, 1);
    model.apply(x, { training: true }); // moving statistics off their initial values
    const target = join(dir, 'round-trip');
    const saved = await saveModel(model, target);
    expect(saved).toMatchObject({ dir: target, replaced: false });
    expect(saved.weightBytes).toBe(4 * model.countParams());
    const loaded = await loadModel(target);
    expect(outputs(loaded)).toEqual(outputs(model));
    expect(netcMetadata(loaded)).toEqual(netcMetadata(model));
    expect(readFileSync(join(target, 'model.json'), 'utf8')).toContain('NetcNegInfPadding2D');
    // Staged or not, the directory gets the permissions of any directory the user makes.
    mkdirSync(join(dir, 'reference'));
    expect(statSync(target).mode & 0o777).toBe(statSync(join(dir, 'reference')).mode & 0o777);
    rmSync(join(dir, 'reference'), { recursive: true });
  });

  test('a failure while writing a new directory leaves nothing behind', async () => {
    failure.failOn = 'model.json';
    const target = join(dir, 'fails');
    const error = await saveModel(compile(source, 1), target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetcError);
    expect((error as NetcError).code).toBe('NN4002');
    expect((error as NetcError).message).toBe(`cannot write the model to ${target}: no space left on the device.`);
    expect(readdirSync(dir).filter((e) => e !== 'round-trip')).toEqual([]);
  });

  test('a failure while replacing a previous output keeps the previous output whole', async () => {
    const target = join(dir, 'keep');
    await saveModel(compile(source, 1), target);
    const before = readFileSync(join(target, 'weights.bin'));
    failure.failOn = 'weights.bin';
    await expect(saveModel(compile(source, 2), target)).rejects.toThrow(/no space left/);
    expect(readFileSync(join(target, 'weights.bin')).equals(before)).toBe(true);
    expect(readdirSync(target).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(dir).sort()).toEqual(['keep', 'round-trip']);

    failure.failOn = null;
    const replaced = await saveModel(compile(source, 2), target);
    expect(replaced.replaced).toBe(true);
    expect(readFileSync(join(target, 'weights.bin')).equals(before)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['keep', 'round-trip']);
  });

  test('a directory holding a tfjs model netc did not write is not replaced', async () => {
    const target = join(dir, 'foreign');
    mkdirSync(target);
    writeFileSync(join(target, 'model.json'), '{"modelTopology":{}}');
    await expect(saveModel(compile(source, 1), target)).rejects.toThrow(/not empty and does not hold a previous/);
    expect(readFileSync(join(target, 'model.json'), 'utf8')).toBe('{"modelTopology":{}}');
    rmSync(target, { recursive: true });
  });

  test('missing or corrupt files are NN4003 with the path', async () => {
    const missing = join(dir, 'missing');
    await expect(loadModel(missing)).rejects.toThrow(`cannot read ${missing}/model.json: no such file or directory.`);
    const corrupt = join(dir, 'corrupt');
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, 'model.json'), '{ not json');
    await expect(loadModel(corrupt)).rejects.toMatchObject({ code: 'NN4003' });
    await saveModel(compile(source, 1), join(dir, 'noweights'));
    rmSync(join(dir, 'noweights', 'weights.bin'));
    await expect(loadModel(join(dir, 'noweights'))).rejects.toThrow(/weights\.bin: no such file/);
    rmSync(corrupt, { recursive: true });
    rmSync(join(dir, 'noweights'), { recursive: true });
  });
});

describe('language v2 models', () => {
  test('a residual model with a projection round-trips: same outputs and node map', async () => {
    const own = mkdtempSync(join(tmpdir(), 'netc-io-v2-'));
    try {
      const model = compile('input 2x6x6\ndef down(c) = residual proj { conv c k3 s2 p1 | bn | relu } | relu\ndown(4) | flatten | dense 2\n', 3);
      model.apply(x, { training: true });
      await saveModel(model, join(own, 'residual'));
      const loaded = await loadModel(join(own, 'residual'));
      expect(outputs(loaded)).toEqual(outputs(model));
      expect(netcMetadata(loaded)).toEqual(netcMetadata(model));
      expect(loaded.layers.map((l) => l.getClassName())).toContain('Add');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
