import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { defaultStaticDir } from '../../src/playground/server.js';
import { writeIdxFixture } from '../data/fixtures.js';
import { netc } from './trainHelpers.js';

// `netc playground` as a command; the server itself is tested in test/playground/. The page is the one
// `npm run build` made (dist/playground/static), as an installed netc serves it.

const dir = mkdtempSync(join(tmpdir(), 'netc-playground-cli-'));
const fixture = writeIdxFixture(join(dir, 'data'), { train: 40, test: 20 });

describe('netc playground', () => {
  test('the page is built by `npm run build`', () => {
    expect(existsSync(join(defaultStaticDir, 'index.html')), `${defaultStaticDir} (run npm run build)`).toBe(true);
    expect(existsSync(join(defaultStaticDir, 'app.js'))).toBe(true);
  });

  test('--build DIR writes the page and the first images as static files', async () => {
    const out = join(dir, 'site');
    const run = await netc(['playground', '--build', out, '--data', fixture.dir, '--train-size', '25', '--test-size', '5']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toBe(`netc: wrote the playground to ${out} (13 files; 25 training and 5 test images from --data ${fixture.dir}).\n`);
    expect(readdirSync(out)).toContain('index.html');
    expect(JSON.parse(readFileSync(join(out, 'data', 'meta.json'), 'utf8'))).toMatchObject({ train: 25, test: 5 });
    expect(readFileSync(join(out, 'data', 'test-labels.bin')).length).toBe(5);
  });

  test('--build into a directory with files in it is refused, and nothing changes there', async () => {
    const out = join(dir, 'full');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const run = await netc(['playground', '--build', out, '--data', fixture.dir]);
    expect(run.code).toBe(1);
    expect(run.err).toBe(`netc: error NN4002: ${out} is not empty; choose a new or empty directory.\n`);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  test('--build without the dataset says where it looked (NN5001)', async () => {
    const run = await netc(['playground', '--build', join(dir, 'none'), '--data', join(dir, 'missing')]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^netc: error NN5001: /);
  });

  test.each([
    [['--port', '70000'], '--port must be a whole number from 0 to 65535, not 70000.'],
    [['--port', '-1'], '--port must be a whole number from 0 to 65535, not -1.'],
    [['--train-size', '1.5'], '--train-size must be a whole number'],
  ])('%j is a usage error', async (args, message) => {
    const run = await netc(['playground', ...args]);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
  });
});
