import { startSpan } from '../../diagnostics/Diagnostic.js';
import type { Rule } from './Rule.js';

/** NN2006: a file must say what goes in; reported at the first layer, which is where the shape is needed. */
export const MissingInputRule: Rule = ({ statements, damage, report }) => {
  if (statements.inputs.length > 0) return;
  // A syntax error before the first layer may be the `input` line itself.
  if (damage.between(0, statements.layers[0]?.span.offset ?? Infinity)) return;
  report(
    'NN2006',
    'The model has no `input` statement; add one before the first layer, such as `input 1x28x28`.',
    statements.layers[0]?.span ?? startSpan,
  );
};
