import { CodeActionKind, type CodeAction, type Range, type TextEdit } from 'vscode-languageserver';
import { formatSource } from '../syntax/format.js';
import { toLspDiagnostic } from './diagnostics.js';
import type { Analyzed } from './document.js';

/** Quick fixes: one code action for each fix a diagnostic in `range` carries. */
export function codeActions(doc: Analyzed, range: Range): CodeAction[] {
  const from = doc.lines.offset(range.start);
  const to = doc.lines.offset(range.end);
  const actions: CodeAction[] = [];
  for (const d of doc.analysis.diagnostics) {
    if (d.fix === undefined || d.span.end < from || d.span.offset > to) continue;
    const edits = d.fix.edits.map((e) => ({ range: doc.lines.range(e.span.offset, e.span.end), newText: e.text }));
    actions.push({
      title: d.fix.title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [toLspDiagnostic(doc, d)],
      isPreferred: true,
      edit: { changes: { [doc.uri]: edits } },
    });
  }
  return actions;
}

/**
 * The edit that formats the whole document (`netc fmt`), as one replacement of the lines that differ; none when it
 * is formatted already, has syntax errors (the formatter refuses those), or is too large to check live.
 */
export function formatEdits(doc: Analyzed): TextEdit[] {
  if (doc.tooLarge) return [];
  const source = doc.analysis.source;
  const result = formatSource(source);
  if (!result.ok || result.text === source) return [];
  const text = result.text;
  let head = 0;
  while (head < source.length && head < text.length && source[head] === text[head]) head++;
  // Start at a line start, so the edit never splits a `\r\n` or a surrogate pair.
  head = doc.lines.offset({ line: doc.lines.position(head).line, character: 0 });
  let tail = 0;
  while (tail < source.length - head && tail < text.length - head && source[source.length - 1 - tail] === text[text.length - 1 - tail]) tail++;
  while (tail > 0 && source[source.length - tail - 1] !== '\n') tail--;
  return [{ range: doc.lines.range(head, source.length - tail), newText: text.slice(head, text.length - tail) }];
}
