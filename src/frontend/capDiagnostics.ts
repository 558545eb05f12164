import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import { sortDiagnostics } from '../diagnostics/format.js';

/** A file with more problems than this shows the first ones by position and says how many it left out. */
export const maxDiagnosticsPerFile = 200;

/** The first `max` diagnostics by position, and one NN1005 that counts the rest. */
export function capDiagnostics(diagnostics: readonly Diagnostic[], max: number): Diagnostic[] {
  if (diagnostics.length <= max) return [...diagnostics];
  const kept = sortDiagnostics(diagnostics).slice(0, max);
  const rest = diagnostics.length - max;
  const last = kept[kept.length - 1]!;
  return [
    ...kept,
    {
      code: 'NN1005',
      severity: 'error',
      message: `${rest.toLocaleString('en-US')} more problem${rest === 1 ? '' : 's'} after this line are not shown; fix these first.`,
      span: last.span,
    },
  ];
}
