import { expect } from 'vitest';
import { check, type CheckResult } from '../../src/check/check.js';
import { parse } from '../../src/syntax/parse.js';

/** Parses and checks `source` as netc does, passing the parser's diagnostics on to the checker. */
export function checkParsed(source: string, fileName?: string): CheckResult & { syntax: CheckResult['diagnostics'] } {
  const parsed = parse(source);
  const result = check(parsed.ast, { parseDiagnostics: parsed.diagnostics, ...(fileName === undefined ? {} : { fileName }) });
  return { ...result, syntax: parsed.diagnostics };
}

/** Checks `source`, which must be free of syntax errors (checker tests are about the checker). */
export function checkSource(source: string, fileName?: string): CheckResult {
  const { syntax, ...result } = checkParsed(source, fileName);
  expect(syntax, 'syntax errors in a checker test').toEqual([]);
  return result;
}

/** `expectDiagnostics(src).toEqual([{ code, line, column }])`: what the checker reports, and exactly where. */
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
