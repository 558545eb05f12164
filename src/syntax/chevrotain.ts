import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

// chevrotain's package entry (lib/src/api.js) pulls in lodash-es as some six hundred separate ES modules, which
// costs about a third of a second at every start of `netc check`. The package also ships the same code bundled
// into one file, lib/chevrotain.mjs, which loads in about 15 ms. The package's `exports` map hides that file
// from a bare import, so it is found next to the entry point. Every module of netc takes chevrotain from here:
// two copies loaded side by side would not recognise each other's tokens (EOF) or exceptions.

/** chevrotain, from its single-file build when the installed version has one, else from its usual entry. */
async function loadChevrotain(): Promise<typeof Chevrotain> {
  try {
    const entry = pathToFileURL(createRequire(import.meta.url).resolve('chevrotain'));
    return (await import(new URL('../chevrotain.mjs', entry).href)) as typeof Chevrotain;
  } catch {
    return import('chevrotain');
  }
}

const chevrotain = await loadChevrotain();

/** The chevrotain values netc uses (types come from `import type ... from 'chevrotain'`). */
export const {
  CstParser,
  EOF,
  Lexer,
  NotAllInputParsedException,
  createSyntaxDiagramsCode,
  createToken,
  createTokenInstance,
  tokenMatcher,
} = chevrotain;
