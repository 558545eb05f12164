import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CodeAction, CompletionItem, Hover, InlayHint, Location, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { LspClient } from './client.js';

// A whole editing session with `netc lsp --stdio` over a real JSON-RPC connection: what an editor sends and
// what it gets back, positions in UTF-16 code units as the protocol counts them.

const uri = 'file:///work/demo.net';

const clean = `# Fashion-MNIST, café ☕ and a rocket 🚀 in a comment
model demo
input 1x28x28
train dataset=fashion-mnist epochs=2 optimizer=sgd

# conv, batch norm, activation, pooling
def cbs(c) = conv c k5 | bn | sigmoid | avgpool 2

cbs(6) | cbs(16)   # 16x4x4
flatten
dense 120 | bn | sigmoid
dense 10
`;

/** Line 9 (0-based) gets a misspelt layer after a character outside the BMP (two UTF-16 code units). */
const broken = clean.replace('dense 120 | bn | sigmoid', 'dense 120 | bn 🚀 | sigmod');

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }): number =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

describe('an editing session over stdio', () => {
  let client: LspClient;
  let version = 1;
  beforeAll(async () => {
    client = new LspClient();
    const init = await client.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: false }, textDocument: { inlayHint: {} } },
      initializationOptions: { inlayHints: { shapes: true } },
    });
    expect((init as { capabilities: Record<string, unknown> }).capabilities).toMatchObject({
      hoverProvider: true,
      inlayHintProvider: true,
      documentFormattingProvider: true,
      renameProvider: { prepareProvider: true },
    });
    await client.connection.sendNotification('initialized', {});
  }, 60_000);
  afterAll(async () => {
    if (client.exitCode === null) client.process.kill();
  });

  test('open: a clean model gets an empty diagnostics list', async () => {
    const since = performance.now();
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'netc', version, text: clean } });
    const { diagnostics } = await client.diagnostics(uri, since, version);
    expect(diagnostics).toEqual([]);
  });

  test('hover on a block use shows its output shape and its expansion', async () => {
    const hover = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 8, character: 10 } })) as Hover;
    const text = (hover.contents as { value: string }).value;
    expect(text).toContain('**cbs(...)**');
    expect(text).toContain('`6x12x12` → `16x4x4`');
    expect(text).toContain('def cbs(c) = conv c k5 | bn | sigmoid | avgpool 2');
    expect(text).toMatch(/BatchNorm2d\s+16x8x8/);
    expect(hover.range).toEqual({ start: { line: 8, character: 9 }, end: { line: 8, character: 16 } });
  });

  test('hover on bn names the variant and why', async () => {
    const hover = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 10, character: 13 } })) as Hover;
    const text = (hover.contents as { value: string }).value;
    expect(text).toContain('**BatchNorm1d**: input is flat (120)');
    expect(text).toContain('parameters: 240 trainable, 240 non-trainable');
  });

  test('inlay hints: the output shape at the end of every pipeline line', async () => {
    const hints = (await client.connection.sendRequest('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 12, character: 0 } },
    })) as InlayHint[];
    const byLine = Object.fromEntries(hints.map((h) => [h.position.line, `${h.position.character} ${String(h.label)}`]));
    expect(byLine).toEqual({ 8: '16 -> 16x4x4', 9: '7 -> 256', 10: '24 -> 120', 11: '8 -> 10' });
  });

  test('the client setting netc.inlayHints.shapes turns the hints off and on', async () => {
    const request = async (): Promise<InlayHint[]> =>
      (await client.connection.sendRequest('textDocument/inlayHint', {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: { line: 12, character: 0 } },
      })) as InlayHint[];
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { netc: { inlayHints: { shapes: false } } } });
    expect(await request()).toEqual([]);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { netc: { inlayHints: { shapes: true } } } });
    expect((await request()).length).toBe(4);
  });

  test('completion: layer kinds and blocks at a stage, options and values after a layer', async () => {
    await change(clean.replace('dense 10\n', 'dense 10\ndense 10 | \n'));
    const stage = (await client.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 12, character: 11 } })) as CompletionItem[];
    const labels = stage.map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(['conv', 'bn', 'dense', 'linear', 'flatten', 'residual', 'cbs']));
    expect(stage.find((i) => i.label === 'cbs')).toMatchObject({ detail: 'block cbs(c)', insertText: 'cbs(${1:c})' });
    await change(clean.replace('dense 10\n', 'dense 10\nbn impl=\n'));
    const values = (await client.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 12, character: 8 } })) as CompletionItem[];
    expect(values.map((i) => i.label)).toEqual(['builtin', 'scratch']);
    const train = (await client.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 3, character: 6 } })) as CompletionItem[];
    expect(train.map((i) => i.label)).toEqual(expect.arrayContaining(['dataset=', 'epochs=', 'lr=', 'optimizer=']));
    await change(clean);
  });

  test('definition of a block, and its references', async () => {
    const definition = (await client.connection.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line: 8, character: 11 } })) as Location;
    expect(definition).toEqual({ uri, range: { start: { line: 6, character: 4 }, end: { line: 6, character: 7 } } });
    const references = (await client.connection.sendRequest('textDocument/references', {
      textDocument: { uri },
      position: { line: 6, character: 5 },
      context: { includeDeclaration: true },
    })) as Location[];
    expect(references.map((r) => `${r.range.start.line}:${r.range.start.character}`)).toEqual(['6:4', '8:0', '8:9']);
  });

  test('rename a block and a parameter', async () => {
    const edit = (await client.connection.sendRequest('textDocument/rename', { textDocument: { uri }, position: { line: 8, character: 1 }, newName: 'stage' })) as WorkspaceEdit;
    const renamed = applyEdits(clean, edit.changes![uri]!);
    expect(renamed).toContain('def stage(c) = conv c k5');
    expect(renamed).toContain('stage(6) | stage(16)');
    const param = (await client.connection.sendRequest('textDocument/rename', { textDocument: { uri }, position: { line: 6, character: 8 }, newName: 'channels' })) as WorkspaceEdit;
    expect(applyEdits(clean, param.changes![uri]!)).toContain('def cbs(channels) = conv channels k5 | bn');
    await expect(client.connection.sendRequest('textDocument/rename', { textDocument: { uri }, position: { line: 8, character: 1 }, newName: 'conv' })).rejects.toThrow(/layer kind/);
  });

  test('a change with errors: NN codes at UTF-16 positions, soon after the change', async () => {
    const since = performance.now();
    const v = await change(broken);
    const { at, diagnostics } = await client.diagnostics(uri, since, v);
    console.log(`diagnostics ${Math.round(at - since)} ms after the change (50 ms of it the debounce)`);
    expect(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character])).toEqual([
      ['NN1002', 10, 15, 17],
      ['NN2001', 10, 20, 26],
    ]);
    expect(diagnostics[1]!.message).toContain('did you mean `sigmoid`');
  });

  test('an error inside a block: at the use, with the line in the definition as a related location', async () => {
    const since = performance.now();
    const v = await change('input 1x28x28\ndef d(n) = dense n\nconv 6 k5 | d(10)\n');
    const { diagnostics } = await client.diagnostics(uri, since, v);
    expect(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character])).toEqual([['NN3001', 2, 12]]);
    expect(diagnostics[0]!.relatedInformation).toEqual([
      { location: { uri, range: { start: { line: 1, character: 11 }, end: { line: 1, character: 18 } } }, message: 'Here, in the definition of `d`.' },
    ]);
    await change(broken);
  });

  test('hover still shows the shapes inferred before the error', async () => {
    const hover = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 8, character: 10 } })) as Hover;
    expect((hover.contents as { value: string }).value).toContain('`6x12x12` → `16x4x4`');
  });

  test('a quick fix replaces the misspelt layer', async () => {
    const actions = (await client.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 10, character: 21 }, end: { line: 10, character: 21 } },
      context: { diagnostics: [] },
    })) as CodeAction[];
    expect(actions.map((a) => a.title)).toEqual(['Replace `sigmod` with `sigmoid`']);
    const fixed = applyEdits(broken, actions[0]!.edit!.changes![uri]!);
    expect(fixed).toContain('dense 120 | bn 🚀 | sigmoid');
  });

  test('a quick fix inserts flatten', async () => {
    const source = clean.replace('flatten\n', '');
    await change(source);
    const actions = (await client.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 9, character: 0 }, end: { line: 9, character: 5 } },
      context: { diagnostics: [] },
    })) as CodeAction[];
    expect(actions.map((a) => a.title)).toEqual(['Insert `flatten` before `dense`']);
    expect(applyEdits(source, actions[0]!.edit!.changes![uri]!)).toContain('\nflatten | dense 120 | bn | sigmoid\n');
  });

  test('a 1,000-line file: diagnostics after each change (measured, printed)', async () => {
    const lines = ['model big', 'input 1x28x28', 'def cbs(c) = conv c k3 p1 | bn | relu'];
    for (let i = 0; i < 996; i++) lines.push(i % 2 === 0 ? `cbs(8) | dropout 0.1   # stage ${i}` : 'conv 8 k3 p1 | bn | relu');
    lines.push('flatten | dense 10');
    const text = `${lines.join('\n')}\n`;
    expect(text.split('\n').length - 1).toBe(1000);
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const since = performance.now();
      const v = await change(i % 2 === 0 ? text.replace('flatten | dense 10', 'flatten | dense 10 | sigmod') : text);
      const { at, diagnostics } = await client.diagnostics(uri, since, v);
      expect(diagnostics.map((d) => d.code)).toEqual(i % 2 === 0 ? ['NN2001'] : []);
      times.push(at - since);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`1,000-line file: diagnostics ${times.map((t) => Math.round(t)).join(', ')} ms after each change (median ${Math.round(sorted[3]!)} ms, of which ${50} ms debounce)`);
  }, 60_000);

  test('formatting edits keep every comment', async () => {
    const messy = clean.replace('cbs(6) | cbs(16)   # 16x4x4', 'cbs(6)|cbs( 16 )      # 16x4x4').replace('dense 10\n', 'dense   10   # classes\n\n\n\n');
    await change(messy);
    const edits = (await client.connection.sendRequest('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })) as TextEdit[];
    const formatted = applyEdits(messy, edits);
    expect(formatted).toContain('cbs(6) | cbs(16)  # 16x4x4');
    expect(formatted).toContain('dense 10          # classes\n');
    expect(formatted.endsWith('# classes\n')).toBe(true);
    expect(formatted).toContain('# Fashion-MNIST, café ☕ and a rocket 🚀 in a comment');
    expect(formatted).toContain('# conv, batch norm, activation, pooling');
  });

  test('document symbols and folding ranges', async () => {
    const symbols = (await client.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as { name: string; children: { name: string }[] }[];
    expect(symbols.map((s) => s.name)).toEqual(['demo']);
    expect(symbols[0]!.children.map((c) => c.name)).toEqual(['input', 'train', 'cbs']);
    await change('input 1x28x28\ndef b(c) =\n  conv c k3 |\n  relu\nb(4) | flatten | dense 10\n');
    const folds = (await client.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri } })) as { startLine: number; endLine: number }[];
    expect(folds).toContainEqual({ startLine: 1, endLine: 3 });
  });

  test('bad input: a binary document, an unclosed bracket, a 10 MB document; the server keeps answering', async () => {
    let since = performance.now();
    let v = await change('\u0000\u0001\u0002binary\u0000');
    expect((await client.diagnostics(uri, since, v)).diagnostics.map((d) => d.code)).toEqual(['NN1003']);
    since = performance.now();
    v = await change('input 1x28x28\nconv 6 k5 | (relu | bn\nflatten | dense 10\n');
    expect((await client.diagnostics(uri, since, v)).diagnostics.map((d) => d.code)).toContain('NN1007');
    const big = `input 1x28x28\n${'conv 8 k3 p1 | relu  # ten megabytes of layers\n'.repeat(230_000)}flatten | dense 10\n`;
    expect(big.length).toBeGreaterThan(10_000_000);
    since = performance.now();
    v = await change(big);
    const result = await client.diagnostics(uri, since, v, 120_000);
    console.log(`10 MB document: diagnostics after ${Math.round(result.at - since)} ms`);
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([['NN1009', 2]]);
    const hover = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 1 } });
    expect(hover).not.toBeUndefined();
    v = await change(clean);
    const after = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 10, character: 13 } })) as Hover;
    expect((after.contents as { value: string }).value).toContain('BatchNorm1d');
  }, 180_000);

  test('close clears the diagnostics; shutdown and exit end the process with 0', async () => {
    const since = performance.now();
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    expect((await client.diagnostics(uri, since)).diagnostics).toEqual([]);
    expect(await client.close()).toBe(0);
    expect(client.stderr).toBe('');
  });

  /** Replaces the whole text, as a full-document change. */
  async function change(text: string): Promise<number> {
    version++;
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    return version;
  }
});
