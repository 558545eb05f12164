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
  tokens.forEach((token, i) => {
    const scope = scopeOf(token, tokens[i - 1], tokens[i + 1]);
    if (scope !== null) out.push({ from: token.startOffset, to: token.startOffset + token.image.length, scope });
  });
  for (const comment of comments) {
    out.push({ from: comment.startOffset, to: comment.startOffset + comment.image.length, scope: 'comment.line.number-sign' });
  }
  return out.sort((a, b) => a.from - b.from);
}

function scopeOf(token: IToken, before: IToken | undefined, after: IToken | undefined): string | null {
  const type = token.tokenType.name;
  const prev = before?.tokenType.name;
  const next = after?.tokenType.name;
  switch (type) {
    case 'Model':
    case 'Input':
    case 'Train':
    case 'Def':
    case 'Residual':
      return `keyword.other.${token.image}`;
    case 'Proj':
      return prev === 'Residual' ? 'keyword.other.proj' : identifierScope(token, prev, next);
    case 'Pipe':
      return 'keyword.operator.pipe';
    case 'Equals':
      return 'keyword.operator.assignment';
    case 'Repeat':
      return 'keyword.operator.repeat';
    case 'Times':
      return prev === 'Newline' || prev === 'Pipe' || prev === undefined ? identifierScope(token, prev, next) : 'keyword.operator.times';
    case 'NumberLiteral':
      return 'constant.numeric';
    case 'Dims':
      return 'constant.numeric.dims';
    case 'ShortOption':
      return 'variable.parameter.short';
    case 'MalformedNumber':
      return 'invalid.illegal.number';
    case 'LParen':
    case 'RParen':
      return 'punctuation.section.group';
    case 'LBrace':
    case 'RBrace':
      return 'punctuation.section.block';
    case 'Comma':
      return 'punctuation.separator.comma';
    case 'Identifier':
      return identifierScope(token, prev, next);
    default:
      return null;
  }
}

function identifierScope(token: IToken, prev: string | undefined, next: string | undefined): string {
  if (prev === 'Model') return 'entity.name.type.model';
  if (prev === 'Def') return 'entity.name.function.block.definition';
  if (next === 'Equals') return 'variable.parameter.key';
  if (next === 'LParen') return 'entity.name.function.block';
  const starts = prev === undefined || prev === 'Newline' || prev === 'Pipe' || prev === 'LParen' || prev === 'LBrace' || prev === 'Equals';
  if (starts && findLayerKind(token.image) !== undefined) return 'entity.name.function.layer';
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
