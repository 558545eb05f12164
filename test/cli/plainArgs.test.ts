import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import type { Command } from '../../src/cli/Command.js';
import { netc } from './trainHelpers.js';

// `netc check FILE...` and `netc summary FILE` (operands alone) skip yargs for a quick cold start: their output,
// errors and exit codes must be what yargs' reading gives with every option at its default.

const dir = mkdtempSync(join(tmpdir(), 'netc-plain-'));
const bad = join(dir, 'bad.net');
writeFileSync(bad, 'model bad\ninput 1x28x28\nconv 6 k5 | dense 10\n');

const byName = (name: string): Command<never> => (commands as readonly Command<never>[]).find((c) => c.command.split(' ')[0] === name)!;

describe('plain command lines', () => {
  test.each([
    { plain: ['check', 'models/lenet-bn.net'], options: ['--format', 'text'] },
    { plain: ['check', 'models/lenet-bn.net', 'models/resnet-mini.net'], options: ['--format', 'text'] },
    { plain: ['check', bad], options: ['--format', 'text'] },
    { plain: ['check', join(dir, 'missing.net'), 'models/mlp-bn.net'], options: ['--format', 'text'] },
    { plain: ['check', dir], options: ['--format', 'text'] },
    { plain: ['summary', 'models/resnet-mini.net'], options: ['--format', 'text'] },
    { plain: ['summary', bad], options: ['--format', 'text'] },
  ])('$plain: the same as with $options', async ({ plain, options }) => {
    const fast = await netc(plain);
    const parsed = await netc([...plain, ...options]);
    expect(fast).toEqual(parsed);
    expect(fast.out + fast.err).not.toBe('');
  });

  test('are read by the command itself (yargs is not asked), and anything else goes to yargs', async () => {
    const check = byName('check');
    const spy = vi.spyOn(check, 'plainArgs');
    try {
      await netc(['check', 'models/lenet-bn.net']);
      expect(spy).toHaveBeenCalledWith(['models/lenet-bn.net']);
      spy.mockClear();
      // An option or `-` among the words: yargs reads the line.
      await netc(['check', 'models/lenet-bn.net', '--locked']);
      await netc(['check', '-']);
      expect(spy).not.toHaveBeenCalled();
      // No operand: the command declines, and yargs reports the usage error.
      const none = await netc(['check']);
      expect(spy).toHaveBeenCalledWith([]);
      expect(spy.mock.results[0]!.value).toBeUndefined();
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/^netc: Not enough non-option arguments/);
    } finally {
      spy.mockRestore();
    }
    expect(byName('summary').plainArgs?.(['a.net', 'b.net'])).toBeUndefined();
    expect(byName('summary').plainArgs?.(['a.net'])).toEqual({ file: 'a.net', format: 'text' });
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
