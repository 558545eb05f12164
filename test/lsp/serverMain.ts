// Starts `netc lsp --stdio` from the sources (through tsx), as `node bin/netc.js lsp --stdio` does from dist/.
import { main } from '../../src/cli/main.js';

void main(['lsp', '--stdio']).then((code) => {
  process.exitCode = code;
});
