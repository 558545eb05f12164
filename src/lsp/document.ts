import { startSpan, type Diagnostic } from '../diagnostics/Diagnostic.js';
import { analyze, type Analysis } from '../frontend/analyze.js';
import { LineMap } from './LineMap.js';

/**
 * Documents longer than this (in UTF-16 code units, about bytes for a model) are not checked as they are typed: a
 * check of a 10 MB file takes tens of seconds (a 512 KB one a second or two), during which the server could answer
 * nothing. Real models are a few kilobytes; a file this large is generated, and `netc check` still checks it.
 */
export const liveCheckLimit = 512 * 1024;

/** One open document, analysed: the front end's analysis and the line map for its positions. */
export interface Analyzed {
  readonly uri: string;
  readonly version: number;
  readonly analysis: Analysis;
  readonly lines: LineMap;
  /** True over `liveCheckLimit`: the analysis is that of an empty file, with one NN1009 warning. */
  readonly tooLarge: boolean;
}

/** Analyses a document's text; the URI's last segment names a model that has no `model` statement. */
export function analyzeDocument(uri: string, version: number, text: string): Analyzed {
  const file = decodeURIComponent(uri.replace(/^[a-z]+:\/\//i, '').split(/[?#]/)[0] ?? uri);
  const lines = new LineMap(text);
  if (text.length <= liveCheckLimit) return { uri, version, analysis: analyze(text, file), lines, tooLarge: false };
  const empty = analyze('', file);
  const megabytes = (text.length / (1024 * 1024)).toFixed(1);
  const warning: Diagnostic = {
    code: 'NN1009',
    severity: 'warning',
    message: `This document is ${megabytes} MB, over the ${liveCheckLimit / 1024} KB the language server checks as you type; run \`netc check\` on it instead.`,
    span: startSpan,
  };
  const analysis: Analysis = {
    file,
    source: text,
    ast: empty.ast,
    model: null,
    diagnostics: [warning],
    errors: 0,
    warnings: 1,
    graph: empty.graph,
    index: empty.index,
  };
  return { uri, version, analysis, lines, tooLarge: true };
}
