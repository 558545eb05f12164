import { layoutOf } from '../ir/layout.js';
import type { Shape } from '../ir/model.js';
import type { InputNode } from '../syntax/ast.js';
import type { ReportFn } from './resolveArgs.js';
import { maxWhole } from './values.js';

/** The shape an `input` statement declares (`C x H x W` or `F`), or null after reporting why it has none. */
export function resolveInputShape(node: InputNode, report: ReportFn): Shape | null {
  const dims = node.dims;
  // No dimensions at all is a syntax error the parser has already reported.
  if (dims.length === 0) return null;
  if (layoutOf(dims.length) === null) {
    const written = dims.map((dim) => dim.text).join('x');
    const fix = dims.length === 2 ? `; for a one-channel image write \`input 1x${written}\`` : '';
    report(
      'NN2014',
      `\`input\` must be C x H x W (such as \`1x28x28\`) or a feature count F (such as \`784\`), not ${written}${fix}.`,
      node.span,
    );
    return null;
  }
  let ok = true;
  for (const dim of dims) {
    if (!Number.isInteger(dim.value)) {
      report('NN2015', `Every \`input\` size must be a whole number, not ${dim.text}.`, dim.span);
      ok = false;
    } else if (dim.value > maxWhole) {
      report('NN2011', `Every \`input\` size must be at most ${maxWhole}, not ${dim.text}.`, dim.span);
      ok = false;
    } else if (dim.value < 1) {
      report('NN2010', `Every \`input\` size must be positive (at least 1), not ${dim.text}.`, dim.span);
      ok = false;
    }
  }
  return ok ? dims.map((dim) => dim.value) : null;
}
