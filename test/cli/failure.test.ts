import { describe, expect, test } from 'vitest';
import { describeFailure } from '../../src/cli/failure.js';
import { CliError, type CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { NetcError } from '../../src/diagnostics/NetcError.js';

describe('the error boundary', () => {
  test('coded errors keep their words and exit codes', () => {
    expect(describeFailure(new CliError('--lr must be a number.'), false)).toEqual({ text: 'netc: --lr must be a number.\n', exitCode: 2 });
    expect(describeFailure(new NetcError('NN5001', 'No data.'), false)).toEqual({ text: 'netc: error NN5001: No data.\n', exitCode: 1 });
  });

  test('a full disk or a read-only file system is NN4002 with the path and the cause, not a stack', () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC', path: 'runs/a/x' });
    expect(describeFailure(enospc, false)).toEqual({
      text: 'netc: error NN4002: Cannot write runs/a/x: the disk is full (ENOSPC).\n',
      exitCode: 1,
    });
  });

  test('anything else is an internal error on one line with a report hint; the stack only with NETC_DEBUG=1', () => {
    const error = new RangeError('memory access out of bounds\n    at somewhere (x.js:1:1)');
    const plain = describeFailure(error, false);
    expect(plain.exitCode).toBe(3);
    expect(plain.text).toBe(
      'netc: internal error: RangeError: memory access out of bounds. This is a bug in netc: please report it with ' +
        'the command you ran (NETC_DEBUG=1 prints the stack).\n',
    );
    expect(plain.text.split('\n')).toHaveLength(2);
    const debug = describeFailure(error, true);
    expect(debug.text).toContain(error.stack!);
  });

  test('main turns a throw inside a command into that one line and exit 3', async () => {
    let err = '';
    const io: CliIO = {
      out: () => {
        throw new TypeError('cannot read properties of undefined');
      },
      err: (text) => void (err += text),
      isTTY: false,
    };
    const code = await main(['summary', 'models/lenet-bn.net'], io);
    expect(code).toBe(3);
    expect(err).toMatch(/^netc: internal error: TypeError: cannot read properties of undefined\. This is a bug in netc/);
    expect(err).not.toMatch(/\n\s+at /);
  });
});
