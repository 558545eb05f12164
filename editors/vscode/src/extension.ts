// The VS Code side of netc: starts `netc lsp --stdio` (the language server does all the work) and restarts it
// when `netc.path` changes.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  await start();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('netc.path')) {
        await stop();
        await start();
      }
    }),
  );
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration('netc');
  const command = config.get<string>('path', 'netc');
  // A path to a JavaScript file (bin/netc.js of a checkout) runs under the Node that runs VS Code's extensions.
  const server: ServerOptions = command.endsWith('.js')
    ? { module: command, args: ['lsp', '--stdio'], transport: TransportKind.stdio }
    : { command, args: ['lsp', '--stdio'], transport: TransportKind.stdio, options: { shell: process.platform === 'win32' } };
  const options: LanguageClientOptions = {
    documentSelector: [{ language: 'netc' }],
    synchronize: { configurationSection: 'netc' },
    initializationOptions: { inlayHints: { shapes: config.get<boolean>('inlayHints.shapes', true) } },
    outputChannelName: 'netc',
  };
  client = new LanguageClient('netc', 'netc', server, options);
  try {
    await client.start();
  } catch (error) {
    void vscode.window.showErrorMessage(
      `netc: could not start \`${command} lsp --stdio\` (${String(error)}). Install netc (npm install -g netc) or set netc.path.`,
    );
  }
}

async function stop(): Promise<void> {
  if (client !== undefined) await client.stop().catch(() => undefined);
  client = undefined;
}
