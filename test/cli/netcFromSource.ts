// `netc ARGS` from the sources (through tsx), as `node bin/netc.js ARGS` runs it from dist/: for tests that need a
// real process (stdin, the language server's stdio).
import { main } from '../../src/cli/main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
