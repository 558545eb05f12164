import * as chevrotain from 'chevrotain';

// The browser build of src/syntax/chevrotain.ts (esbuild puts this file in its place): Node's version finds the
// package's single-file build through node:module, which a browser does not have; esbuild bundles the package's
// ES entry into the page instead.

/** The chevrotain values netc uses. */
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
