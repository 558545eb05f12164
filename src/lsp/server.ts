import {
  createConnection,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { codeActions, formatEdits } from './actions.js';
import { completionsAt } from './completion.js';
import { toLspDiagnostics } from './diagnostics.js';
import { analyzeDocument, type Analyzed } from './document.js';
import { hoverAt } from './hover.js';
import { shapeHints } from './inlayHints.js';
import { definitionAt, documentSymbols, foldingRanges, prepareRenameAt, referencesAt, renameAt } from './navigation.js';

/** Diagnostics wait this long after the last change, so a burst of keystrokes is checked once. */
export const debounceMs = 50;

/** The client settings the server reads (`netc.*`). */
interface Settings {
  readonly inlayHints: { readonly shapes: boolean };
}

/** Starts netc's language server on the process's stdin and stdout (`netc lsp --stdio`). */
export function startStdioServer(): Connection {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  serve(connection);
  connection.listen();
  return connection;
}

/**
 * Serves one connection: diagnostics on open and (debounced) on change, hover, inlay hints, completion,
 * definition, references, rename, quick fixes, formatting, symbols and folding. Every handler catches its own
 * errors and logs them to the client, so a bug answers one request with nothing instead of ending the session.
 */
export function serve(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new Map<string, Analyzed>();
  const timers = new Map<string, NodeJS.Timeout>();
  let settings: Settings = { inlayHints: { shapes: true } };
  let canAskConfiguration = false;
  let canRefreshHints = false;

  const analyzed = (uri: string): Analyzed | null => {
    const document = documents.get(uri);
    if (document === undefined) return null;
    const cached = cache.get(uri);
    if (cached !== undefined && cached.version === document.version) return cached;
    const fresh = analyzeDocument(uri, document.version, document.getText());
    cache.set(uri, fresh);
    return fresh;
  };

  const guard = <P, R>(name: string, fallback: R, handler: (params: P) => R | Promise<R>) => {
    return async (params: P): Promise<R> => {
      try {
        return await handler(params);
      } catch (error) {
        connection.console.error(`netc: ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return fallback;
      }
    };
  };

  const publish = (uri: string): void => {
    timers.delete(uri);
    try {
      const doc = analyzed(uri);
      if (doc === null) return;
      void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: toLspDiagnostics(doc) });
    } catch (error) {
      connection.console.error(`netc: diagnostics failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  };

  const schedule = (uri: string, delay: number): void => {
    const timer = timers.get(uri);
    if (timer !== undefined) clearTimeout(timer);
    timers.set(uri, setTimeout(() => publish(uri), delay));
  };

  connection.onInitialize((params): InitializeResult => {
    canAskConfiguration = params.capabilities.workspace?.configuration === true;
    canRefreshHints = params.capabilities.workspace?.inlayHint?.refreshSupport === true;
    settings = readSettings(params.initializationOptions, settings);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['|', '=', ' ', '('] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        documentFormattingProvider: true,
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        inlayHintProvider: true,
      },
      serverInfo: { name: 'netc' },
    };
  });

  connection.onInitialized(() => {
    if (canAskConfiguration) void refreshSettings();
  });

  const refreshSettings = async (): Promise<void> => {
    try {
      const value: unknown = await connection.workspace.getConfiguration('netc');
      settings = readSettings(value, settings);
      if (canRefreshHints) await connection.languages.inlayHint.refresh();
    } catch (error) {
      connection.console.error(`netc: reading settings failed: ${String(error)}`);
    }
  };

  connection.onDidChangeConfiguration((change) => {
    const pushed = (change.settings as { netc?: unknown } | null)?.netc;
    if (pushed !== undefined) {
      settings = readSettings(pushed, settings);
      if (canRefreshHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
    } else if (canAskConfiguration) void refreshSettings();
  });

  documents.onDidOpen((e) => schedule(e.document.uri, 0));
  documents.onDidChangeContent((e) => schedule(e.document.uri, debounceMs));
  documents.onDidClose((e) => {
    const timer = timers.get(e.document.uri);
    if (timer !== undefined) clearTimeout(timer);
    timers.delete(e.document.uri);
    cache.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onHover(
    guard('hover', null, (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? null : hoverAt(doc, doc.lines.offset(p.position));
    }),
  );
  connection.languages.inlayHint.on(
    guard('inlay hints', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      if (doc === null || !settings.inlayHints.shapes) return [];
      return shapeHints(doc, p.range.start.line, p.range.end.line);
    }),
  );
  connection.onCompletion(
    guard('completion', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? [] : completionsAt(doc, doc.lines.offset(p.position));
    }),
  );
  connection.onDefinition(
    guard('definition', null, (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? null : definitionAt(doc, doc.lines.offset(p.position));
    }),
  );
  connection.onReferences(
    guard('references', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? [] : referencesAt(doc, doc.lines.offset(p.position), p.context.includeDeclaration);
    }),
  );
  connection.onPrepareRename(
    guard('prepare rename', null, (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? null : prepareRenameAt(doc, doc.lines.offset(p.position));
    }),
  );
  connection.onRenameRequest(async (p) => {
    const doc = analyzed(p.textDocument.uri);
    if (doc === null) return null;
    let edits: ReturnType<typeof renameAt>;
    try {
      edits = renameAt(doc, doc.lines.offset(p.position), p.newName);
    } catch (error) {
      connection.console.error(`netc: rename failed: ${String(error)}`);
      return null;
    }
    // A refused name is the user's to see, as the protocol's error reply.
    if (typeof edits === 'string') return new ResponseError(1, edits);
    return { changes: { [doc.uri]: edits } };
  });
  connection.onCodeAction(
    guard('code actions', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? [] : codeActions(doc, p.range);
    }),
  );
  connection.onDocumentFormatting(
    guard('formatting', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? [] : formatEdits(doc);
    }),
  );
  connection.onDocumentSymbol(
    guard('document symbols', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? [] : documentSymbols(doc);
    }),
  );
  connection.onFoldingRanges(
    guard('folding ranges', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc === null ? [] : foldingRanges(doc);
    }),
  );

  documents.listen(connection);
}

/** `{ inlayHints: { shapes: false } }` from the client (its `netc` section); anything else keeps `current`. */
function readSettings(value: unknown, current: Settings): Settings {
  const shapes = (value as { inlayHints?: { shapes?: unknown } } | null | undefined)?.inlayHints?.shapes;
  return typeof shapes === 'boolean' ? { inlayHints: { shapes } } : current;
}
