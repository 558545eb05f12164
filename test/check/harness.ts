import { expect } from 'vitest';
import { check, type CheckResult } from '../../src/check/check.js';
import { miniParse } from './miniParse.js';

/** Checks `source` as a file; the tests' one way in, so swapping the parser touches this line only. */
export function checkSource(source: string, fileName?: string): CheckResult {
  return check(miniParse(source), fileName === undefined ? {} : { fileName });
}

/** `expectDiagnostics(src).toEqual([{ code, line, column }])`: what a rule reports, and exactly where. */
export function expectDiagnostics(source: string) {
  const { diagnostics } = checkSource(source);
  return expect(diagnostics.map((d) => ({ code: d.code, line: d.span.line, column: d.span.column })));
}

/** The only diagnostic `source` produces (fails when there is not exactly one). */
export function onlyDiagnostic(source: string) {
  const { diagnostics } = checkSource(source);
  expect(diagnostics).toHaveLength(1);
  return diagnostics[0]!;
}
