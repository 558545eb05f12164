import { RangeSetBuilder, type Extension } from '@codemirror/state';
import { Decoration, EditorView, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view';
import type { IToken } from 'chevrotain';
import { findLayerKind } from '../../layers/registry.js';
import { lex } from '../../syntax/lexer.js';

// Highlighting from netc's own lexer, so the editor can never disagree with the compiler about what a token is.
// The classes follow the scopes of grammar/netc.tmLanguage.json (the TextMate grammar editors use): a layer name
// is `entity.name.function.layer`, a block `entity.name.function.block`, `k5` is `variable.parameter.short`, ...

/** The TextMate scope (without `.netc`) that each token gets, by its place among its neighbours. */
export function tokenScopes(source: string): { from: number; to: number; scope: string }[] {
  const end = { offset: source.length, end: source.length, line: 1, column: 1, endLine: 1, endColumn: 1 };
  const { tokens, comments } = lex(source, end);
  const out: { from: number; to: number; scope: string }[] = [];
  // What each open bracket opened, so that its closing one gets the matching scope.
  const open: string[] = [];
  let inParameters = false;
  let previousScope: string | null = null;
  // Whether the last `=` closed a block header (`def f(c) =`) rather than joining a key to its value.
  let headerEquals = false;
  tokens.forEach((token, i) => {
    const type = token.tokenType.name;
    const prev = tokens[i - 1]?.tokenType.name;
    const next = tokens[i + 1]?.tokenType.name;
    let scope: string | null;
    switch (type) {
      case 'LParen': {
        const kind =
          previousScope === 'entity.name.function.block.definition'
            ? 'parameters'
            : previousScope === 'entity.name.function.block'
              ? 'arguments'
              : 'group';
        inParameters = kind === 'parameters';
        open.push(kind);
        scope = `punctuation.section.${kind}.begin`;
        break;
      }
      case 'RParen':
        inParameters = false;
        scope = `punctuation.section.${open.pop() ?? 'group'}.end`;
        break;
      case 'LBrace':
        scope = 'punctuation.section.block.begin';
        break;
      case 'RBrace':
        scope = 'punctuation.section.block.end';
        break;
      case 'Identifier':
      case 'Proj':
      case 'Times':
        scope = wordScope(token, prev, next, previousScope, inParameters, headerEquals);
        break;
      default:
        if (type === 'Equals') {
          headerEquals =
            previousScope === 'punctuation.section.parameters.end' || previousScope === 'entity.name.function.block.definition';
        }
        scope = fixedScope(token);
    }
    if (scope !== null) out.push({ from: token.startOffset, to: token.startOffset + token.image.length, scope });
    previousScope = scope;
  });
  for (const comment of comments) {
    out.push({ from: comment.startOffset, to: comment.startOffset + comment.image.length, scope: 'comment.line.number-sign' });
  }
  return out.sort((a, b) => a.from - b.from);
}

/** Tokens whose scope does not depend on their neighbours. */
function fixedScope(token: IToken): string | null {
  switch (token.tokenType.name) {
    case 'Model':
    case 'Input':
    case 'Train':
    case 'Def':
    case 'Residual':
    case 'Expect':
    case 'Budget':
      return `keyword.other.${token.image}`;
    case 'LessEqual':
      return 'keyword.operator.comparison';
    case 'Count':
      return 'constant.numeric';
    case 'Pipe':
      return 'keyword.operator.pipe';
    case 'Equals':
      return 'keyword.operator.assignment';
    case 'Repeat':
      return 'keyword.operator.repeat';
    case 'NumberLiteral':
      return 'constant.numeric';
    case 'Dims':
      return 'constant.numeric.dims';
    case 'ShortOption':
      return 'variable.parameter.short';
    case 'MalformedNumber':
      return 'invalid.illegal.number';
    case 'Comma':
      return 'punctuation.separator.comma';
    default:
      return null;
  }
}

/** Names: a layer, a block, a key, a value, a parameter, or the words `x` and `proj` where they are operators. */
function wordScope(
  token: IToken,
  prev: string | undefined,
  next: string | undefined,
  previousScope: string | null,
  inParameters: boolean,
  headerEquals: boolean,
): string {
  const type = token.tokenType.name;
  const starts = prev === undefined || prev === 'Newline' || prev === 'Pipe' || prev === 'LParen' || prev === 'LBrace';
  if (type === 'Proj' && prev === 'Residual') return 'keyword.other.proj';
  if (type === 'Times' && !starts && next !== 'Equals') return 'keyword.operator.repeat';
  if (previousScope === 'keyword.operator.repeat') return 'variable.other.parameter';
  if (prev === 'Model') return 'entity.name.type.model';
  if (prev === 'Budget') return 'variable.other.budget';
  if (prev === 'Def') return 'entity.name.function.block.definition';
  if (inParameters) return 'variable.parameter.block';
  if (next === 'Equals') return 'variable.parameter.key';
  if (next === 'LParen') return 'entity.name.function.block';
  // After `key=` a word is a value (`optimizer=sgd`); after a block header's `=` it starts the body.
  if (prev === 'Equals' && !headerEquals) return 'constant.language.value';
  if ((starts || prev === 'Equals') && findLayerKind(token.image) !== undefined) return 'entity.name.function.layer';
  return 'variable.other.value';
}

/** The CSS class of a scope: its first two parts (`entity-name`, `constant-numeric`) plus the whole one. */
export function scopeClass(scope: string): string {
  const parts = scope.split('.');
  return `tok-${parts.slice(0, 2).join('-')} tok-${parts.join('-')}`;
}

function decorations(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  for (const { from, to, scope } of tokenScopes(view.state.doc.toString())) {
    if (to > from) builder.add(from, to, Decoration.mark({ class: scopeClass(scope) }));
  }
  return builder.finish();
}

/** The editor extension: re-lexes the document on every change (files are small; lexing takes well under a ms). */
export function netcHighlighting(): Extension {
  return ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = decorations(view);
      }
      update(update: ViewUpdate): void {
        if (update.docChanged) this.decorations = decorations(update.view);
      }
    },
    { decorations: (plugin) => plugin.decorations },
  );
}
