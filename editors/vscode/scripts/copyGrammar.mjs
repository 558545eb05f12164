// The extension's grammar is grammar/netc.tmLanguage.json of the netc package itself, copied (vsce packages only
// files inside the extension's folder). test/editors/vscode.test.ts checks the copy is byte for byte the same.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const grammarSource = join(here, '../../../grammar/netc.tmLanguage.json');
export const grammarCopy = join(here, '../syntaxes/netc.tmLanguage.json');

mkdirSync(dirname(grammarCopy), { recursive: true });
copyFileSync(grammarSource, grammarCopy);
