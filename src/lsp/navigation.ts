import {
  DocumentSymbol,
  FoldingRangeKind,
  SymbolKind,
  type FoldingRange,
  type Location,
  type Range,
  type TextEdit,
} from 'vscode-languageserver';
import { findLayerKind } from '../layers/registry.js';
import type { BlockUseNode, DefNode, IdentNode, ParamNode, PipelineNode, StageNode } from '../syntax/ast.js';
import type { Analyzed } from './document.js';

/** A name that go-to-definition, find-references and rename follow: a block, or a parameter of one block. */
interface Symbol {
  readonly name: string;
  /** Where it is defined: the `def`'s name, or the parameter's name. */
  readonly definition: IdentNode;
  /** Every occurrence, the definition included. */
  readonly occurrences: readonly IdentNode[];
}

/** The block or parameter named at `offset`, or null. */
export function symbolAt(doc: Analyzed, offset: number): Symbol | null {
  const index = doc.analysis.index;
  const block = index.blockAt(offset);
  if (block !== null) return { name: block.name, definition: block.def.name, occurrences: [block.def.name, ...block.uses.map((u) => u.name)] };
  const node = index.nodeAt(offset);
  if (node?.kind !== 'Ident') return null;
  const ident = node as IdentNode;
  const def = index.pathAt(offset).find((n): n is DefNode => n.kind === 'Def');
  if (def === undefined) return useKeyParameter(doc, offset, ident);
  const param = def.params.find((p) => p.name.name === ident.name);
  if (param === undefined) return null;
  const inBody = parameterUses(def.body).filter((i) => i.name === ident.name);
  const isParam = param.name === ident;
  if (!isParam && !inBody.includes(ident)) return null;
  return parameterSymbol(doc, def, param);
}

/** The parameter and its uses in the body, and the `name=` keys that set it at the block's uses. */
function parameterSymbol(doc: Analyzed, def: DefNode, param: ParamNode): Symbol {
  const name = param.name.name;
  const keys = (doc.analysis.index.blocks.get(def.name.name)?.uses ?? []).flatMap((use) =>
    use.args.flatMap((arg) => (arg.kind === 'KeyValueArg' && arg.key.name === name ? [arg.key] : [])),
  );
  return { name, definition: param.name, occurrences: [param.name, ...parameterUses(def.body).filter((i) => i.name === name), ...keys] };
}

/** `cbs(c=6)`: the key `c` names `cbs`'s parameter. */
function useKeyParameter(doc: Analyzed, offset: number, ident: IdentNode): Symbol | null {
  const path = doc.analysis.index.pathAt(offset);
  const use = [...path].reverse().find((n): n is BlockUseNode => n.kind === 'BlockUse');
  const arg = path[path.length - 2];
  if (use === undefined || arg?.kind !== 'KeyValueArg') return null;
  const block = doc.analysis.index.blocks.get(use.name.name);
  const param = block?.def.params.find((p) => p.name.name === ident.name);
  return block === undefined || param === undefined ? null : parameterSymbol(doc, block.def, param);
}

/** The identifiers in value positions of a body: where a parameter may stand (`conv c`, `kernel=k`, `x n`, `b(c)`). */
function parameterUses(body: PipelineNode): IdentNode[] {
  const found: IdentNode[] = [];
  const stage = (s: StageNode): void => {
    switch (s.kind) {
      case 'Layer':
        for (const a of s.args) {
          if (a.kind === 'PositionalArg' && a.value.kind === 'Ident') found.push(a.value);
          if (a.kind === 'KeyValueArg' && a.value.kind === 'Ident') found.push(a.value);
        }
        break;
      case 'BlockUse':
        for (const a of s.args) if (a.value.kind === 'Ident') found.push(a.value);
        break;
      case 'Repeat':
        stage(s.body);
        if (s.count.kind === 'Ident') found.push(s.count);
        break;
      case 'Group':
      case 'Residual':
        s.body.layers.forEach(stage);
        break;
    }
  };
  body.layers.forEach(stage);
  return found;
}

/** Go to definition. */
export function definitionAt(doc: Analyzed, offset: number): Location | null {
  const symbol = symbolAt(doc, offset);
  return symbol === null ? null : { uri: doc.uri, range: rangeOf(doc, symbol.definition) };
}

/** Find references (with or without the definition). */
export function referencesAt(doc: Analyzed, offset: number, includeDeclaration: boolean): Location[] {
  const symbol = symbolAt(doc, offset);
  if (symbol === null) return [];
  return symbol.occurrences.filter((i) => includeDeclaration || i !== symbol.definition).map((i) => ({ uri: doc.uri, range: rangeOf(doc, i) }));
}

/** The range a rename starts from, or null where nothing can be renamed. */
export function prepareRenameAt(doc: Analyzed, offset: number): { range: Range; placeholder: string } | null {
  const symbol = symbolAt(doc, offset);
  if (symbol === null) return null;
  const at = symbol.occurrences.find((i) => i.span.offset <= offset && offset <= i.span.end) ?? symbol.definition;
  return { range: rangeOf(doc, at), placeholder: symbol.name };
}

/** The edits of a rename, or a message saying why the new name is refused. */
export function renameAt(doc: Analyzed, offset: number, newName: string): TextEdit[] | string {
  const symbol = symbolAt(doc, offset);
  if (symbol === null) return 'Only blocks and their parameters can be renamed.';
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(newName) || /^x\d/.test(newName)) return `\`${newName}\` is not a name: start with a letter or _, then letters, digits, _ or -.`;
  if (findLayerKind(newName) !== undefined) return `\`${newName}\` is a layer kind; choose another name.`;
  if (['model', 'input', 'train', 'def', 'residual', 'x'].includes(newName)) return `\`${newName}\` is a keyword; choose another name.`;
  return symbol.occurrences.map((i) => ({ range: rangeOf(doc, i), newText: newName }));
}

/** The outline: the model with its input, training line, blocks (with parameters) and pipeline lines. */
export function documentSymbols(doc: Analyzed): DocumentSymbol[] {
  const { ast, model } = doc.analysis;
  const children: DocumentSymbol[] = [];
  let name = model?.name ?? doc.analysis.file.split(/[\\/]/).pop()?.replace(/\.net$/, '') ?? 'model';
  let selection: Range | undefined;
  for (const s of ast.statements) {
    const range = doc.lines.range(s.span.offset, s.span.end);
    switch (s.kind) {
      case 'Model':
        name = s.name.name;
        selection = rangeOf(doc, s.name);
        break;
      case 'Input':
        children.push(DocumentSymbol.create('input', sourceOf(doc, s.span), SymbolKind.Property, range, range));
        break;
      case 'Train':
        children.push(DocumentSymbol.create('train', sourceOf(doc, s.span), SymbolKind.Property, range, range));
        break;
      case 'Def':
        children.push(
          DocumentSymbol.create(
            s.name.name,
            `(${s.params.map((p) => p.name.name).join(', ')})`,
            SymbolKind.Function,
            range,
            rangeOf(doc, s.name),
            s.params.map((p) => DocumentSymbol.create(p.name.name, undefined, SymbolKind.Variable, rangeOf(doc, p), rangeOf(doc, p.name))),
          ),
        );
        break;
      case 'Pipeline':
        break;
    }
  }
  const whole = doc.lines.range(0, doc.analysis.source.length);
  return [DocumentSymbol.create(name, 'model', SymbolKind.Module, whole, selection ?? doc.lines.range(0, 0), children)];
}

/** Folding: `def` statements and brackets over several lines, and runs of comment lines. */
export function foldingRanges(doc: Analyzed): FoldingRange[] {
  const ranges: FoldingRange[] = [];
  const add = (offset: number, end: number, kind?: string): void => {
    const start = doc.lines.position(offset).line;
    const last = doc.lines.position(end).line;
    if (last > start) ranges.push({ startLine: start, endLine: last, ...(kind === undefined ? {} : { kind }) });
  };
  const stage = (s: StageNode): void => {
    if (s.kind === 'Group' || s.kind === 'Residual') {
      add(s.span.offset, s.span.end);
      s.body.layers.forEach(stage);
    } else if (s.kind === 'Repeat') stage(s.body);
    else if (s.kind === 'BlockUse') add(s.span.offset, s.span.end);
  };
  for (const s of doc.analysis.ast.statements) {
    if (s.kind === 'Def') {
      add(s.span.offset, s.span.end);
      s.body.layers.forEach(stage);
    } else if (s.kind === 'Pipeline') {
      add(s.span.offset, s.span.end);
      s.layers.forEach(stage);
    }
  }
  const comments = doc.analysis.ast.comments;
  for (let i = 0; i < comments.length; ) {
    let j = i;
    while (j + 1 < comments.length && doc.lines.position(comments[j + 1]!.span.offset).line === doc.lines.position(comments[j]!.span.offset).line + 1) j++;
    if (j > i) add(comments[i]!.span.offset, comments[j]!.span.offset, FoldingRangeKind.Comment);
    i = j + 1;
  }
  return ranges;
}

function rangeOf(doc: Analyzed, node: { readonly span: { readonly offset: number; readonly end: number } }): Range {
  return doc.lines.range(node.span.offset, node.span.end);
}

function sourceOf(doc: Analyzed, span: { readonly offset: number; readonly end: number }): string {
  return doc.analysis.source.slice(span.offset, Math.min(span.end, span.offset + 200));
}
