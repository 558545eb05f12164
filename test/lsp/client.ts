import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import {
  createProtocolConnection,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node.js';

const root = resolve(import.meta.dirname, '../..');

/** A real LSP client session with `netc lsp --stdio` in a child process: requests, and diagnostics as they come. */
export class LspClient {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcess;
  /** Every published diagnostics list by URI, oldest first, with the time it arrived. */
  readonly published = new Map<string, { at: number; version?: number; diagnostics: Diagnostic[] }[]>();
  stderr = '';
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor() {
    this.process = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'test/cli/netcFromSource.ts'), 'lsp', '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((done) => this.process.on('exit', (code) => done((this.exitCode = code))));
    this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = this.published.get(p.uri) ?? [];
      list.push({ at: performance.now(), ...(p.version === undefined ? {} : { version: p.version }), diagnostics: p.diagnostics });
      this.published.set(p.uri, list);
      for (const w of this.waiters.splice(0)) w();
    });
    this.connection.listen();
  }

  /** The first diagnostics published for `uri` (at `version`, when given) after `since`. */
  async diagnostics(uri: string, since: number, version?: number, timeoutMs = 20_000): Promise<{ at: number; diagnostics: Diagnostic[] }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = (this.published.get(uri) ?? []).find((p) => p.at >= since && (version === undefined || p.version === version));
      if (found !== undefined) return found;
      if (performance.now() > deadline) throw new Error(`no diagnostics for ${uri} (version ${version}); stderr: ${this.stderr}`);
      await new Promise<void>((done) => {
        const timer = setTimeout(done, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          done();
        });
      });
    }
  }

  /** Shuts the server down as an editor does: shutdown request, exit notification, process exit. */
  async close(): Promise<number | null> {
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
    const code = await this.exited;
    this.connection.dispose();
    return code;
  }
}
