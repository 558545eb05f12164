#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
import { main } from '../dist/cli/main.js';
import { describeFailure } from '../dist/cli/failure.js';

// The environment is read here, once; everything below gets it as options.
const debug = process.env.NETC_DEBUG === '1';

// `netc summary big.net | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
// The last line of the error boundary: whatever escapes main (a throw in a callback or a timer) still ends in one
// coded line and a documented exit code, never a raw stack unless NETC_DEBUG=1.
const last = (error) => {
  const failure = describeFailure(error, debug);
  process.stderr.write(failure.text);
  process.exit(failure.exitCode);
};
process.on('uncaughtException', last);
process.on('unhandledRejection', last);
main(process.argv.slice(2), undefined, { debug }).then((code) => {
  process.exitCode = code;
});
