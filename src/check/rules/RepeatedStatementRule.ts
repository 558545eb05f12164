import type { Span } from '../../diagnostics/Diagnostic.js';
import type { Rule } from './Rule.js';

/** NN2007: `model` and `input` are given once; every later copy is reported, pointing back at the first. */
export const RepeatedStatementRule: Rule = ({ statements, report }) => {
  const check = (keyword: string, nodes: readonly { readonly span: Span }[]): void => {
    const first = nodes[0];
    if (first === undefined) return;
    for (const node of nodes.slice(1)) {
      report('NN2007', `\`${keyword}\` is given twice; keep the one on line ${first.span.line} and remove this one.`, node.span, [
        { message: `The first \`${keyword}\` is here.`, span: first.span },
      ]);
    }
  };
  check('model', statements.models);
  check('input', statements.inputs);
};
