import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const extension = join(root, 'editors/vscode');
const manifest = JSON.parse(readFileSync(join(extension, 'package.json'), 'utf8')) as {
  main: string;
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
  };
  scripts: Record<string, string>;
};
const grammarFile = join(root, 'grammar/netc.tmLanguage.json');

describe('the VS Code extension (editors/vscode)', () => {
  test('its grammar is grammar/netc.tmLanguage.json, copied byte for byte by its build', () => {
    execFileSync(process.execPath, [join(extension, 'scripts/copyGrammar.mjs')]);
    const [grammar] = manifest.contributes.grammars;
    const copy = readFileSync(join(extension, grammar!.path));
    expect(copy.equals(readFileSync(grammarFile))).toBe(true);
    expect(grammar!.scopeName).toBe((JSON.parse(readFileSync(grammarFile, 'utf8')) as { scopeName: string }).scopeName);
    expect(manifest.scripts['build']).toContain('copy-grammar');
  });

  test('it contributes the netc language for .net files, with # comments and both bracket kinds', () => {
    expect(manifest.contributes.languages).toMatchObject([{ id: 'netc', extensions: ['.net'] }]);
    const config = JSON.parse(readFileSync(join(extension, manifest.contributes.languages[0]!.configuration), 'utf8')) as {
      comments: { lineComment: string };
      brackets: string[][];
    };
    expect(config.comments.lineComment).toBe('#');
    expect(config.brackets).toEqual([
      ['(', ')'],
      ['{', '}'],
    ]);
  });

  test('its settings are the ones the server and the client read', () => {
    expect(Object.keys(manifest.contributes.configuration.properties).sort()).toEqual(['netc.inlayHints.shapes', 'netc.path']);
    const client = readFileSync(join(extension, 'src/extension.ts'), 'utf8');
    expect(client).toContain("['lsp', '--stdio']");
    expect(client).toContain("configurationSection: 'netc'");
    expect(readFileSync(join(root, 'src/lsp/server.ts'), 'utf8')).toContain('inlayHints?: { shapes?: unknown }');
  });
});
