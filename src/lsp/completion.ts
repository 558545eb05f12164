import { CompletionItemKind, InsertTextFormat, type CompletionItem } from 'vscode-languageserver';
import { trainKeys } from '../check/trainOptions.js';
import type { ArgSpec, ArgType } from '../layers/LayerKind.js';
import { findLayerKind, layerKinds } from '../layers/registry.js';
import type { Analyzed } from './document.js';

const statementKeywords = ['model', 'input', 'train', 'def'];

/**
 * Completions at `offset`, read from the text of its line: statement keywords and stages at the start of a stage
 * (layer kinds, blocks with their parameters as a snippet), a layer's options after its name (with the values an
 * option takes after its `=`), `train` keys and their values.
 */
export function completionsAt(doc: Analyzed, offset: number): CompletionItem[] {
  const source = doc.analysis.source;
  const line = doc.lines.position(offset).line;
  const start = doc.lines.offset({ line, character: 0 });
  const before = source.slice(start, offset);
  if (before.includes('#')) return [];
  const train = /^\s*train\b(.*)$/.exec(before);
  if (train !== null) return argumentCompletions(trainKeys, lastWord(train[1]!), 'train');
  // The stage being written: after the last `|`, bracket, `,` or the `=` of a `def` header.
  const stageText = before.split(/[|({,]|^\s*def\s+[^=]*=/).pop() ?? '';
  const words = stageText.trimStart().split(/\s+/);
  if (words.length <= 1) {
    const atLineStart = stageText.trim() === before.trim() && !/^\s*def\b/.test(before);
    return [...(atLineStart ? keywordItems() : []), ...stageItems(doc)];
  }
  const kind = findLayerKind(words[0]!);
  if (kind === undefined) return [];
  return argumentCompletions(kind.args, words[words.length - 1]!, kind.name);
}

function lastWord(text: string): string {
  return text.split(/\s+/).pop() ?? '';
}

function keywordItems(): CompletionItem[] {
  return statementKeywords.map((k) => ({ label: k, kind: CompletionItemKind.Keyword, sortText: `2${k}` }));
}

/** Layer kinds (aliases included), `residual { }`, and every block with its parameters. */
function stageItems(doc: Analyzed): CompletionItem[] {
  const items: CompletionItem[] = [];
  for (const kind of layerKinds) {
    const args = kind.args.map((a) => describeArg(a)).join(' ');
    for (const name of [kind.name, ...(kind.aliases ?? [])]) {
      items.push({
        label: name,
        kind: CompletionItemKind.Function,
        detail: args === '' ? 'layer' : `layer: ${args}`,
        sortText: `0${name}`,
      });
    }
  }
  items.push({
    label: 'residual',
    kind: CompletionItemKind.Snippet,
    detail: 'residual { PIPELINE }: y = x + f(x)',
    insertText: 'residual { ${1} }',
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: '1residual',
  });
  for (const block of doc.analysis.index.blocks.values()) {
    const params = block.params.map((p) => (p.default === null ? p.name.name : `${p.name.name}=${doc.analysis.source.slice(p.default.span.offset, p.default.span.end)}`));
    const snippet = block.params.filter((p) => p.default === null).map((p, i) => `\${${i + 1}:${p.name.name}}`);
    items.push({
      label: block.name,
      kind: CompletionItemKind.Module,
      detail: `block ${block.name}(${params.join(', ')})`,
      insertText: `${block.name}(${snippet.join(', ')})`,
      insertTextFormat: InsertTextFormat.Snippet,
      sortText: `0${block.name}`,
    });
  }
  return items;
}

/** A layer's (or `train`'s) options; after `key=`, the values that key takes. */
function argumentCompletions(specs: readonly ArgSpec[], word: string, owner: string): CompletionItem[] {
  const eq = word.indexOf('=');
  if (eq >= 0) {
    const spec = specs.find((s) => s.name === word.slice(0, eq));
    return spec === undefined ? [] : valuesOf(spec.type).map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, detail: `${owner} ${spec.name}` }));
  }
  const items: CompletionItem[] = [];
  for (const spec of specs) {
    items.push({
      label: `${spec.name}=`,
      kind: CompletionItemKind.Property,
      detail: describeArg(spec),
      documentation: describeType(spec.type),
      insertText: `${spec.name}=`,
      command: { title: 'values', command: 'editor.action.triggerSuggest' },
    });
    if (spec.short !== undefined) {
      items.push({ label: spec.short, kind: CompletionItemKind.Property, detail: `${spec.short}N: ${spec.name}`, documentation: describeType(spec.type) });
    }
  }
  return items;
}

function valuesOf(type: ArgType): string[] {
  if (type.kind === 'enum') return [...type.values];
  if (type.kind === 'bool') return ['true', 'false'];
  if (type.kind === 'pad') return ['same', '0', '1'];
  return [];
}

function describeArg(spec: ArgSpec): string {
  const def = spec.default === undefined ? '' : typeof spec.default === 'function' ? '' : `=${Array.isArray(spec.default) ? spec.default.join('x') : String(spec.default)}`;
  const form = spec.short !== undefined ? `${spec.short}N` : spec.positional === true ? spec.name.toUpperCase() : `${spec.name}${def}`;
  return spec.default === undefined ? form : `[${form}]`;
}

function describeType(type: ArgType): string {
  switch (type.kind) {
    case 'int':
      return `an integer${type.min === undefined ? '' : ` from ${type.min}`}`;
    case 'number':
      return `a number${type.min === undefined ? '' : ` ${type.minExclusive === true ? 'above' : 'from'} ${type.min}`}${type.max === undefined ? '' : ` ${type.maxExclusive === true ? 'below' : 'up to'} ${type.max}`}`;
    case 'pair':
      return 'an integer or HxW';
    case 'pad':
      return 'an integer, HxW, or `same`';
    case 'bool':
      return '`true` or `false`';
    case 'enum':
      return type.values.map((v) => `\`${v}\``).join(', ');
  }
}
