import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import { sortDiagnostics } from '../diagnostics/format.js';

/** A file with more problems than this shows the first ones by position and says how many it left out. */
export const maxDiagnosticsPerFile = 200;

/**
 * At most `max` diagnostics, errors chosen before warnings (so that one error is never hidden behind thousands of
 * warnings), shown by position, and one NN1005 that counts the rest. NN1005 is a warning when every problem left
 * out is a warning: a valid file with many warnings is still valid.
 */
export function capDiagnostics(diagnostics: readonly Diagnostic[], max: number): Diagnostic[] {
  if (diagnostics.length <= max) return [...diagnostics];
  const sorted = sortDiagnostics(diagnostics);
  const chosen = [...sorted.filter((d) => d.severity === 'error'), ...sorted.filter((d) => d.severity !== 'error')].slice(0, max);
  const kept = sortDiagnostics(chosen);
  const keptSet = new Set(chosen);
  const hidden = sorted.filter((d) => !keptSet.has(d));
  const hiddenErrors = hidden.filter((d) => d.severity === 'error').length;
  const rest = hidden.length;
  const what = hiddenErrors > 0 ? `problem${rest === 1 ? '' : 's'}` : `warning${rest === 1 ? '' : 's'}`;
  const last = kept[kept.length - 1]!;
  return [
    ...kept,
    {
      code: 'NN1005',
      severity: hiddenErrors > 0 ? 'error' : 'warning',
      message: `${rest.toLocaleString('en-US')} more ${what} are not shown; fix these first.`,
      span: last.span,
    },
  ];
}
