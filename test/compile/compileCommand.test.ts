import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { compileModel } from '../../src/compile/compile.js';
import { toChannelsLast } from '../../src/ir/layout.js';
import { loadModel } from '../../src/compile/io.js';
import { ScratchBatchNorm } from '../../src/compile/ScratchBatchNorm.js';
import { analyze } from '../../src/frontend/index.js';

tf.env().set('PROD', true);

const dir = mkdtempSync(join(tmpdir(), 'netc-compile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lenetBn = new URL('../../models/lenet-bn.net', import.meta.url).pathname;

async function netc(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false };
  const code = await main(args, io);
  return { code, out, err };
}

/** The same model compiled in memory, for comparing with what was written and read back. */
function inMemory(file: string, options: { bn?: 'builtin' | 'scratch'; seed: number }): tf.LayersModel {
  const model = analyze(readFileSync(file, 'utf8'), file).model!;
  return compileModel(model, options);
}

function sameOutputs(a: tf.LayersModel, b: tf.LayersModel): void {
  const x = tf.randomUniform([4, ...toChannelsLast([1, 28, 28])], 0, 1, 'float32', 9);
  for (const training of [false, true]) {
    const ya = a.apply(x, { training }) as tf.Tensor;
    const yb = b.apply(x, { training }) as tf.Tensor;
    expect(ya.shape).toEqual([4, 10]);
    expect(Array.from(ya.dataSync())).toEqual(Array.from(yb.dataSync()));
  }
}

/** Nothing but the outputs: no staging directories left next to them. */
function entries(): string[] {
  return readdirSync(dir).sort();
}

describe('netc compile', () => {
  test('writes model.json + weights.bin in the tfjs layers format, prints the summary, loads back identical', async () => {
    const out = join(dir, 'builtin');
    const result = await netc(['compile', lenetBn, '-o', out, '--seed', '4']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('trainable params: 44,878');
    expect(result.out).toContain('non-trainable params: 452');
    expect(result.out).toContain(`wrote ${out}/model.json and ${out}/weights.bin`);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'weights.bin']);

    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    // float32 weights: 4 bytes per parameter, moving statistics included.
    expect(statSync(join(out, 'weights.bin')).size).toBe(4 * (44_878 + 452));

    sameOutputs(await loadModel(out), inMemory(lenetBn, { seed: 4 }));
    expect(entries()).toEqual(['builtin']);
  });

  test('--bn scratch writes netc batch-norm layers that load back with tf.loadLayersModel', async () => {
    const out = join(dir, 'scratch');
    const result = await netc(['compile', lenetBn, '-o', out, '--bn', 'scratch', '--seed', '4']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('bn=scratch');
    expect(readFileSync(join(out, 'model.json'), 'utf8')).toContain('"class_name":"NetcBatchNorm"');
    const loaded = await loadModel(out);
    expect(loaded.layers.filter((l) => l instanceof ScratchBatchNorm)).toHaveLength(4);
    sameOutputs(loaded, inMemory(lenetBn, { bn: 'scratch', seed: 4 }));
    rmSync(out, { recursive: true });
  });

  test('a previous output is replaced; a directory with other files is refused and left alone', async () => {
    const out = join(dir, 'again');
    expect((await netc(['compile', lenetBn, '-o', out, '--seed', '1'])).code).toBe(0);
    const again = await netc(['compile', lenetBn, '-o', out, '--seed', '2']);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`replaced ${out}/model.json`);
    sameOutputs(await loadModel(out), inMemory(lenetBn, { seed: 2 }));

    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const refused = await netc(['compile', lenetBn, '-o', other]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^netc: error NN4002: .*other is not empty and does not hold a previous `netc compile` output/);
    expect(readdirSync(other)).toEqual(['notes.txt']);
    expect(entries()).toEqual(['again', 'builtin', 'other']);
  });

  test('an empty directory is filled; a file in the way is refused', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect((await netc(['compile', lenetBn, '-o', empty])).code).toBe(0);
    expect(readdirSync(empty).sort()).toEqual(['model.json', 'weights.bin']);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const refused = await netc(['compile', lenetBn, '-o', file]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('a-file exists and is not a directory');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  test("without --seed the file's train seed= fixes the weights; --seed overrides it", async () => {
    const seeded = join(dir, 'seeded.net');
    // Ends in 10 classes: under a `train` line another width is NN3101, an error.
    writeFileSync(seeded, 'input 6\ntrain seed=5\ndense 4 | bn | relu\ndense 10\n');
    const weights = async (name: string, extra: string[]): Promise<Buffer> => {
      expect((await netc(['compile', seeded, '-o', join(dir, name), ...extra])).code).toBe(0);
      const bytes = readFileSync(join(dir, name, 'weights.bin'));
      rmSync(join(dir, name), { recursive: true });
      return bytes;
    };
    const first = await weights('s1', []);
    expect(first.equals(await weights('s2', []))).toBe(true);
    expect(first.equals(await weights('s3', ['--seed', '5']))).toBe(true);
    expect(first.equals(await weights('s4', ['--seed', '6']))).toBe(false);
    rmSync(seeded);
  });

  test('a file with errors prints its diagnostics, exits 1 and writes nothing', async () => {
    const bad = join(dir, 'bad.net');
    writeFileSync(bad, 'input 1x28x28\nconv 6 k5 | sigmoid\ndense 10\n');
    const out = join(dir, 'never');
    const result = await netc(['compile', bad, '-o', out]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${bad}:3:1 - error NN3001:`);
    expect(existsSync(out)).toBe(false);
    rmSync(bad);
  });

  test('usage mistakes are one-line errors with exit 2', async () => {
    const noOutput = await netc(['compile', lenetBn]);
    expect(noOutput.code).toBe(2);
    expect(noOutput.err).toContain('Missing required argument: output');
    const badSeed = await netc(['compile', lenetBn, '-o', join(dir, 'x'), '--seed', '-3']);
    expect(badSeed.code).toBe(2);
    // The checker's code and wording for `train seed=-3` in a file (src/cli/flags.ts).
    expect(badSeed.err).toBe('netc: error NN2011: `--seed` must be at least 0, not -3.\n');
    const badBn = await netc(['compile', lenetBn, '-o', join(dir, 'x'), '--bn', 'fast']);
    expect(badBn.code).toBe(2);
    expect(badBn.err).toBe('netc: error NN2016: `--bn` must be `builtin` or `scratch`, not `fast`.\n');
    const missing = await netc(['compile', join(dir, 'nope.net'), '-o', join(dir, 'x')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file');
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
