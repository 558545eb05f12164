import type { IToken } from 'chevrotain';
import { tokenMatcher } from './chevrotain.js';
import { Expect, Identifier, LBrace, LParen, RBrace, RParen, Residual } from './tokens.js';

// What kind of token this is, as the statement scanner, the bracket matcher and the recovery see it.

/** True for `(` and `{`. */
export function isOpener(token: IToken): boolean {
  return token.tokenType === LParen || token.tokenType === LBrace;
}

/** True for `)` and `}`. */
export function isCloser(token: IToken): boolean {
  return token.tokenType === RParen || token.tokenType === RBrace;
}

/** The closer that matches an opener. */
export function closerOf(opener: IToken): string {
  return opener.tokenType === LParen ? ')' : '}';
}

/** True for any name: an IDENTIFIER, and the words `x` and `proj` outside their special places. */
export function isName(token: IToken | undefined): boolean {
  return token !== undefined && tokenMatcher(token, Identifier);
}

/** True for a token that can start a stage: a layer or block name, `(`, `residual` or `expect`. */
export function isStageStart(token: IToken | undefined): boolean {
  return (
    token !== undefined && (isName(token) || token.tokenType === LParen || token.tokenType === Residual || token.tokenType === Expect)
  );
}
