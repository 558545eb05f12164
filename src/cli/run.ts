import { describeFailure } from './failure.js';
import { main } from './main.js';

/**
 * The process around `main`, as `bin/netc.js` runs it: reads the environment once, ends quietly when a reader
 * closes the pipe, and is the last line of the error boundary for anything that escapes main (a throw in a callback
 * or a timer): one coded line and a documented exit code, never a raw stack unless NETC_DEBUG=1. `process.exit`
 * runs the exit hooks (a run directory's lock is released there).
 */
export function runCli(argv: readonly string[] = process.argv.slice(2)): void {
  const debug = process.env.NETC_DEBUG === '1';
  // `netc summary big.net | head` closes the pipe early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const last = (error: unknown): void => {
    const failure = describeFailure(error, debug);
    process.stderr.write(failure.text);
    process.exit(failure.exitCode);
  };
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  void main(argv, undefined, { debug }).then((code) => {
    process.exitCode = code;
  });
}
