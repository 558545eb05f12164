import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { epochLines, netc, workspace } from './trainHelpers.js';

const ws = workspace();
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));

/** The flags every run here shares: the synthetic data, the deterministic cpu backend, one seed, and momentum (its accumulators are optimizer state a resume must restore). */
const common = ['--data', ws.data, '--backend', 'cpu', '--seed', '7', '--optimizer', 'momentum', '--lr', '0.1'];

describe('netc train', () => {
  const uninterrupted = join(ws.dir, 'run-a');

  test('trains end to end: one line per epoch, the loss falls, the seed\'s closing lines, the files it names', async () => {
    const result = await netc(['train', ws.net, ...common, '--out', uninterrupted]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const epochs = epochLines(result.out);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(epochs[2]!.loss).toBeLessThan(epochs[0]!.loss);
    expect(epochs[2]!.trainAcc).toBeGreaterThan(0.5);
    // The backend's reason first; the two closing lines as d2l prints them; no terminal control codes in a log.
    expect(result.out.split('\n')[0]).toMatch(/cpu/);
    expect(result.out).toMatch(/^loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}\n\d+\.\d examples\/sec on .+$/m);
    expect(result.out).toContain(`run directory: ${uninterrupted}`);
    expect(result.out).toContain(join(uninterrupted, 'curves.svg'));
    expect(result.out).not.toMatch(/[\r\x1b]/);
    expect(readdirSync(uninterrupted).sort()).toEqual(expect.arrayContaining(['checkpoint', 'curves.svg']));
    const state = JSON.parse(readFileSync(join(uninterrupted, 'checkpoint', 'state.json'), 'utf8')) as { epochsDone: number; history: unknown[] };
    expect(state.epochsDone).toBe(3);
    expect(state.history).toHaveLength(3);
    expect(readFileSync(join(uninterrupted, 'checkpoint', 'model.net'), 'utf8')).toBe(readFileSync(ws.net, 'utf8'));

    // A finished run is neither overwritten by a new one nor resumed with a different recipe.
    const taken = await netc(['train', ws.net, ...common, '--out', uninterrupted]);
    expect(taken.code).toBe(2);
    expect(taken.err).toContain('already holds a run');
    const changed = await netc(['train', '--resume', uninterrupted, '--batch', '64', '--data', ws.data]);
    expect(changed.code).toBe(2);
    expect(changed.err).toContain('--batch 64 differs from the run');
  });

  test('Ctrl-C after epoch 1, then --resume: the same weights as the uninterrupted run with the same seed', async () => {
    const dir = join(ws.dir, 'run-b');
    let sent = false;
    const stopped = await netc(['train', ws.net, ...common, '--out', dir], (text) => {
      if (!sent && text.startsWith('epoch 1/3')) {
        sent = true;
        process.emit('SIGINT');
      }
    });
    expect(stopped.code).toBe(130);
    expect(stopped.err).toContain('Stopping at the end of this batch');
    expect(stopped.out).toContain(`resume with: netc train --resume ${dir}`);
    expect(epochLines(stopped.out)).toHaveLength(1);
    expect(process.listenerCount('SIGINT')).toBe(0);

    const resumed = await netc(['train', '--resume', dir, '--data', ws.data, '--backend', 'cpu']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('resuming at epoch 2');
    expect(epochLines(resumed.out).map((e) => e.epoch)).toEqual([2, 3]);
    const weights = (run: string): Buffer => readFileSync(join(run, 'checkpoint', 'weights.bin'));
    expect(weights(dir).equals(weights(uninterrupted))).toBe(true);
    const optimizer = (run: string): Buffer => readFileSync(join(run, 'checkpoint', 'optimizer.bin'));
    expect(optimizer(dir).equals(optimizer(uninterrupted))).toBe(true);
  });

  test('a model that does not fit the dataset is refused at its line, before any data is read', async () => {
    const misfit = join(ws.dir, 'misfit.net');
    writeFileSync(misfit, 'model misfit\ninput 3x32x32\nconv 4 k5 | relu\nflatten\ndense 7\n');
    const result = await netc(['train', misfit, '--data', join(ws.dir, 'nowhere'), '--out', join(ws.dir, 'run-misfit')]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${misfit}:2:1 - error NN5003: The model's input is 3x32x32`);
    expect(result.err).toMatch(new RegExp(`${misfit}:5:1 - error NN3101: The model ends with 7 outputs`));
    // check's NN3101 warning (no `train` line) is the same problem: shown once, with training's verdict.
    expect(result.err.match(/NN3101/g)).toHaveLength(1);
    expect(result.err).toMatch(/2 errors\.\n$/);
    expect(result.out).toBe('');
  });

  test('a model with nothing to train is NN3105 at its last layer, not a stack trace from the optimizer', async () => {
    const still = join(ws.dir, 'still.net');
    writeFileSync(still, 'input 1x28x28\navgpool 14x5 | flatten\n');
    const result = await netc(['train', still, '--data', join(ws.dir, 'nowhere'), '--out', join(ws.dir, 'run-still')]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`${still}:2:16 - error NN3105: The model has no trainable parameters`);
    expect(result.err).not.toMatch(/variableGrads|\n\s+at /);
  });

  test('`dense 5` under `train dataset=fashion-mnist`: the same NN3101 error as `netc check` (issue 17)', async () => {
    const five = join(ws.dir, 'five.net');
    writeFileSync(five, 'input 1x28x28\ntrain dataset=fashion-mnist\nflatten | dense 5\n');
    const trained = await netc(['train', five, '--data', join(ws.dir, 'nowhere'), '--out', join(ws.dir, 'run-five')]);
    const checked = await netc(['check', five]);
    const line = `${five}:3:11 - error NN3101: The model ends with 5 outputs but \`fashion-mnist\` has 10 classes; end with \`dense 10\`.`;
    expect(trained.code).toBe(1);
    expect(checked.code).toBe(1);
    expect(trained.err).toContain(line);
    expect(checked.out).toContain(line);
  });

  test('missing data is one NN5001 message, and no empty run directory is left behind', async () => {
    const out = join(ws.dir, 'run-nodata');
    const result = await netc(['train', ws.net, '--data', join(ws.dir, 'nowhere'), '--no-download', '--backend', 'cpu', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^netc: error NN5001: /);
    expect(result.err.trimEnd().split('\n')[0]).toContain('nowhere');
    expect(existsSync(out)).toBe(false);
  });

  test('a file with errors prints its diagnostics and exits 1', async () => {
    const broken = join(ws.dir, 'broken.net');
    writeFileSync(broken, 'model broken\ninput 1x28x28\ndense 10\n');
    const result = await netc(['train', broken, ...common]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/broken\.net:3:1 - error NN3001/);
  });

  test('a NaN loss stops the run with NN5004 and keeps the last good checkpoint', async () => {
    const dir = join(ws.dir, 'run-nan');
    // A first epoch at a sane rate, then a resume at an absurd one.
    const first = await netc(['train', ws.net, ...common, '--epochs', '1', '--out', dir]);
    expect(first.code).toBe(0);
    const before = readFileSync(join(dir, 'checkpoint', 'weights.bin'));
    const result = await netc(['train', '--resume', dir, '--data', ws.data, '--backend', 'cpu', '--epochs', '3', '--lr', '1e38']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/error NN5004: The loss became NaN or infinite at epoch 2, batch \d+ of 10 \(lr 1e\+38\)/);
    expect(result.err).toContain(`The last good checkpoint (epoch 1) is kept in ${join(dir, 'checkpoint')}`);
    expect(readFileSync(join(dir, 'checkpoint', 'weights.bin')).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'checkpoint', 'state.json'))).toBe(true);
  });

  test('a corrupt or missing checkpoint is refused with NN5005 naming the file', async () => {
    const dir = join(ws.dir, 'run-corrupt');
    expect((await netc(['train', ws.net, ...common, '--epochs', '1', '--out', dir])).code).toBe(0);
    truncateSync(join(dir, 'checkpoint', 'weights.bin'), 100);
    const corrupt = await netc(['train', '--resume', dir, '--data', ws.data, '--backend', 'cpu']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.err).toMatch(/error NN5005: Cannot resume .*weights\.bin is corrupt \(100 bytes/);

    const empty = await netc(['train', '--resume', ws.data, '--backend', 'cpu']);
    expect(empty.code).toBe(1);
    expect(empty.err).toContain('has no complete checkpoint');
  });

  test('usage mistakes exit 2 with one line', async () => {
    const zero = await netc(['train', ws.net, '--epochs', '0']);
    expect(zero.code).toBe(2);
    expect(zero.err).toBe('netc: error NN2010: `--epochs` must be a positive size (at least 1), not 0.\n');
    const none = await netc(['train']);
    expect(none.code).toBe(2);
  });

  test.each([
    // The checker's words for the same mistakes in a `train` line (issue 15: "got NaN", a bare flag ignored).
    [['--lr', 'abc'], 'netc: error NN2004: `--lr` must be a number, not `abc`.\n'],
    [['--lr', '0'], 'netc: error NN2011: `--lr` must be above 0, not 0.\n'],
    [['--epochs'], 'netc: error NN2004: `--epochs` needs a value: it must be a whole number.\n'],
    [['--batch', '2.5'], 'netc: error NN2015: `--batch` must be a whole number, not 2.5.\n'],
    [['--momentum', '1'], 'netc: error NN2011: `--momentum` must be at least 0 and below 1, not 1.\n'],
    [['--seed', '-1'], 'netc: error NN2011: `--seed` must be at least 0, not -1.\n'],
    [['--subset', 'many'], 'netc: error NN2004: `--subset` must be a whole number, not `many`.\n'],
  ])('%j is refused before anything loads, in the checker\'s words', async (flags, message) => {
    const run = await netc(['train', ws.net, '--data', ws.data, ...flags]);
    expect(run.code).toBe(2);
    expect(run.err).toBe(message);
    expect(run.out).toBe('');
  });
});
