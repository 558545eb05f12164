import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { CliError } from '../io.js';

interface LspArgs {
  readonly stdio: boolean;
}

/** `netc lsp --stdio`: the language server, for editors; it runs until the client ends the session. */
export const lspCommand: Command<LspArgs> = {
  command: 'lsp',
  describe: 'Run the language server (diagnostics, hover with shapes, completion, quick fixes) for editors',
  builder: (yargs: Argv) =>
    yargs
      .option('stdio', { type: 'boolean', default: false, describe: 'Talk LSP over stdin and stdout (the only transport)' })
      .example('netc lsp --stdio', 'started by an editor, such as the VS Code extension in editors/vscode')
      .epilogue('Settings (from the client): netc.inlayHints.shapes (true) shows the output shape at the end of each line.') as unknown as Argv<LspArgs>,
  async run(args) {
    if (!args.stdio) throw new CliError('name the transport: `netc lsp --stdio`.');
    // Loaded only here: the other commands never pay for the protocol library, and this one loads no tfjs.
    const { startStdioServer } = await import('../../lsp/server.js');
    const connection = startStdioServer();
    await new Promise<void>((resolve) => connection.onExit(() => resolve()));
    return 0;
  },
};
