// Every module of netc takes chevrotain from here: two copies loaded side by side would not recognise each other's
// tokens (EOF) or exceptions.
//
// `#chevrotain` is package.json's `imports` entry. chevrotain's package entry (lib/src/api.js) pulls in lodash-es
// as some six hundred separate ES modules, which costs about a third of a second at every start of `netc check`;
// the package also ships the same code bundled into one file, lib/chevrotain.mjs, which loads in about 15 ms but
// is hidden by the package's `exports` map. `npm run build` copies that file to dist/vendor/, where Node takes it
// from; a browser bundler (the `browser` condition) takes the package entry, which it bundles and tree-shakes.
// A plain static import either way: no node built-in and no top-level await in the front end.

/** The chevrotain values netc uses (types come from `import type ... from 'chevrotain'`). */
export {
  CstParser,
  EOF,
  Lexer,
  NotAllInputParsedException,
  createSyntaxDiagramsCode,
  createToken,
  createTokenInstance,
  tokenMatcher,
} from '#chevrotain';
