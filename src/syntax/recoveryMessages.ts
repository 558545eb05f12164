import type { CstNode, IToken } from 'chevrotain';
import { createTokenInstance } from './chevrotain.js';
import { shorten } from './lexer.js';
import { describeToken, isStatementKeyword } from './parser.js';
import { isName } from './tokenKinds.js';
import { Comma, Equals, Input, LBrace, LParen, Model, Newline, Repeat, Residual, Times } from './tokens.js';

/** The parser rules the recovery runs on their own, one unit at a time. */
export type UnitRule = 'statement' | 'stage' | 'keyValue' | 'parameter' | 'blockArgument' | 'repetition';

/** `line:column` of a token, for messages that point at a second place. */
export function position(token: IToken): string {
  return `${token.startLine ?? 1}:${token.startColumn ?? 1}`;
}

/** An empty NEWLINE just after `token`: the end of its line, for messages about what a line lacks. */
export function endOfLine(token: IToken): IToken {
  const offset = token.startOffset + token.image.length;
  const line = token.startLine ?? 1;
  const column = (token.startColumn ?? 1) + token.image.length;
  return createTokenInstance(Newline, '', offset, offset, line, line, column, column);
}

/** The message for tokens left over after a complete unit: what could have come there instead. */
export function extraTokenMessage(rule: UnitRule, tokens: readonly IToken[], extra: IToken, cst: CstNode | undefined): string {
  const index = tokens.indexOf(extra);
  const previous = index > 0 ? tokens[index - 1] : undefined;
  const after = previous === undefined ? '' : ` after ${describeToken(previous)}`;
  const found = describeToken(extra);
  const type = extra.tokenType;
  const anotherRepetition = type === Repeat || type === Times ? '; a stage takes one repetition: to repeat it again, group it, as in `(relu x2) x3`' : '';
  switch (rule) {
    case 'stage': {
      if (cst?.children['repetition'] !== undefined) return `Expected \`|\` or the end of the line${after} but found ${found}${anotherRepetition}.`;
      let hint = '';
      if (isName(extra)) {
        const name = shorten(extra.image);
        hint = `; put \`|\` before \`${name}\` if it starts a new layer, or write \`${name}=VALUE\` if it is an option`;
      } else if (isStatementKeyword(extra)) {
        hint = `; \`${extra.image}\` starts a statement of its own, on a new line`;
      } else if (type === Residual || type === LParen) {
        hint = `; put \`|\` before ${found} to chain it after the layer`;
      } else if (type === LBrace) {
        hint = '; `{` starts the body of `residual`, as in `residual { conv 16 k3 p1 | bn }`';
      } else if (type === Comma) {
        hint = '; a layer\'s arguments are separated by spaces (commas separate a block\'s arguments, as in `cbs(6, k=3)`)';
      } else if (type === Equals) {
        hint = '; options are written `key=value`, as in `pad=same`';
      }
      return `Expected an argument, \`|\` or the end of the line${after} but found ${found}${hint}.`;
    }
    case 'keyValue':
      return `Expected another \`key=value\` option or the end of the line${after} but found ${found}.`;
    case 'parameter':
      return `Expected \`,\` or \`)\`${after} but found ${found}; a parameter is a name with an optional default, as in \`k=5\`.`;
    case 'blockArgument':
      return `Expected \`,\` or \`)\`${after} but found ${found}; a block's arguments are values or \`key=value\`, separated by commas, as in \`cbs(6, k=3)\`.`;
    case 'repetition':
      return `Expected \`|\` or the end of the line${after} but found ${found}${anotherRepetition}.`;
    case 'statement': {
      const first = tokens[0]?.tokenType;
      const hint =
        first === Model
          ? '; a model has a one-word name'
          : first === Input
            ? '; write the whole shape joined by `x`, as in `1x28x28`'
            : '';
      return `Expected the end of the line${after} but found ${found}${hint}.`;
    }
  }
}
