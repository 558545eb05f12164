import { describe, expect, test } from 'vitest';
import { checkFlag, flagTypes } from '../../src/cli/flags.js';
import { CliError } from '../../src/cli/io.js';
import { checkParsed } from '../check/harness.js';
import { netc } from './trainHelpers.js';

/** What `checkFlag` throws for `--flag value`, or null when the value is accepted. */
function flagError(flag: keyof typeof flagTypes, value: number | string): { code: string | undefined; message: string } | null {
  try {
    checkFlag(flag, value);
    return null;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    expect(error.exitCode).toBe(2);
    return { code: error.code, message: error.message };
  }
}

/** The checker's one diagnostic for `train KEY=VALUE` in a file. */
function fileError(key: string, value: string): { code: string; message: string } {
  const source = `model m\ninput 784\ntrain ${key}=${value}\ndense 10\n`;
  const { diagnostics } = checkParsed(source);
  expect(diagnostics, source).toHaveLength(1);
  return { code: diagnostics[0]!.code, message: diagnostics[0]!.message };
}

// One mistake, one code, one wording: a flag says `--lr` where the file says `train` key `lr`.
describe('flags are checked with the checker\'s specs', () => {
  test.each([
    ['epochs', 0, '0'],
    ['epochs', 2.5, '2.5'],
    ['batch', -1, '-1'],
    ['lr', 0, '0'],
    ['lr', -0.5, '-0.5'],
    ['momentum', 1, '1'],
    ['seed', -3, '-3'],
    ['seed', 1.5, '1.5'],
    ['optimizer', 'adamax', 'adamax'],
    ['schedule', 'linear', 'linear'],
    ['warmup', -1, '-1'],
    ['gamma', 2, '2'],
    ['wd', -0.1, '-0.1'],
    ['clip', 0, '0'],
    ['patience', 0, '0'],
    ['keep', 'first', 'first'],
    ['optimizer', 'sdg', 'sdg'],
  ] as const)('--%s %s', (flag, value, written) => {
    const fromFlag = flagError(flag, value);
    const fromFile = fileError(flag, written);
    expect(fromFlag).not.toBeNull();
    expect(fromFlag!.code).toBe(fromFile.code);
    expect(fromFlag!.message).toBe(fromFile.message.replace(`\`train\` key \`${flag}\``, `\`--${flag}\``));
  });

  test('--bn reads as bn\'s impl= does', () => {
    const { diagnostics } = checkParsed('model m\ninput 4\nbn impl=fast\ndense 10\n');
    expect(diagnostics.map((d) => d.code)).toEqual(['NN2016']);
    expect(flagError('bn', 'fast')).toEqual({ code: 'NN2016', message: '`--bn` must be `builtin` or `scratch`, not `fast`.' });
  });

  test('good values pass', () => {
    for (const [flag, value] of [['epochs', 3], ['lr', 0.1], ['momentum', 0], ['seed', 0], ['optimizer', 'adam'], ['bn', 'scratch'], ['subset', 100]] as const) {
      expect(flagError(flag, value), `--${flag} ${value}`).toBeNull();
    }
  });

  test('netc train prints the code and exits 2 before loading anything', async () => {
    const r = await netc(['train', 'no-such-file.net', '--optimizer', 'sdg']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('netc: error NN2016: `--optimizer` must be `sgd`, `momentum`, `adam`, `adamw` or `rmsprop`, not `sdg`; did you mean `sgd`?\n');
  });
});
