import { startSpan } from '../../diagnostics/Diagnostic.js';
import type { Rule } from './Rule.js';

/** NN2013: a model without layers has nothing to compile; reported at the `input` line, or the file's start. */
export const NoLayersRule: Rule = ({ statements, damage, report }) => {
  // With a syntax error anywhere, the layers may be there but unreadable.
  if (statements.layers.length > 0 || damage.any) return;
  report(
    'NN2013',
    'The model has no layers; add at least one after `input`, such as `flatten | dense 10`.',
    statements.inputs[0]?.span ?? startSpan,
  );
};
