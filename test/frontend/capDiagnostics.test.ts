import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/Diagnostic.js';
import { describeCounts } from '../../src/diagnostics/format.js';
import { capDiagnostics } from '../../src/frontend/capDiagnostics.js';

const at = (offset: number, severity: Diagnostic['severity'], code = 'NN3103'): Diagnostic => ({
  code,
  severity,
  message: `${severity} at ${offset}`,
  span: { offset, end: offset + 1, line: offset + 1, column: 1, endLine: offset + 1, endColumn: 2 },
});

describe('capDiagnostics', () => {
  test('a valid file with many warnings: the counting line is a warning, not an error', () => {
    const capped = capDiagnostics(Array.from({ length: 250 }, (_, i) => at(i, 'warning')), 200);
    expect(capped).toHaveLength(201);
    expect(capped[200]).toMatchObject({ code: 'NN1005', severity: 'warning', message: '50 more warnings are not shown; fix these first.' });
    expect(capped.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test('an error after thousands of warnings is kept, and the count of the rest is an error only when one is hidden', () => {
    const many = [...Array.from({ length: 5000 }, (_, i) => at(i, 'warning')), at(6000, 'error', 'NN2030')];
    const capped = capDiagnostics(many, 200);
    expect(capped.map((d) => d.code)).toContain('NN2030');
    expect(capped[capped.length - 1]).toMatchObject({ code: 'NN1005', severity: 'warning', message: '4,801 more warnings are not shown; fix these first.' });
    const errors = Array.from({ length: 300 }, (_, i) => at(i, 'error', 'NN2001'));
    expect(capDiagnostics(errors, 200)[200]).toMatchObject({ code: 'NN1005', severity: 'error', message: '100 more problems are not shown; fix these first.' });
  });
});

describe('describeCounts', () => {
  test('large counts have thousands separators', () => {
    expect(describeCounts(0, 99_551)).toBe('99,551 warnings');
    expect(describeCounts(1_234, 1)).toBe('1,234 errors and 1 warning');
  });
});
