import { analyze, type Analysis } from '../frontend/analyze.js';
import { LineMap } from './LineMap.js';

/** One open document, analysed: the front end's analysis and the line map for its positions. */
export interface Analyzed {
  readonly uri: string;
  readonly version: number;
  readonly analysis: Analysis;
  readonly lines: LineMap;
}

/** Analyses a document's text; the URI's last segment names a model that has no `model` statement. */
export function analyzeDocument(uri: string, version: number, text: string): Analyzed {
  const file = decodeURIComponent(uri.replace(/^[a-z]+:\/\//i, '').split(/[?#]/)[0] ?? uri);
  return { uri, version, analysis: analyze(text, file), lines: new LineMap(text) };
}
