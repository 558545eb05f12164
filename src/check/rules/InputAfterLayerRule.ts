import type { Rule } from './Rule.js';

/** NN2012: the input shape is read top to bottom, so `input` must come before the first layer. */
export const InputAfterLayerRule: Rule = ({ statements, report }) => {
  const firstLayer = statements.layers[0];
  if (firstLayer === undefined) return;
  for (const input of statements.inputs) {
    if (input.span.offset < firstLayer.span.offset) continue;
    report(
      'NN2012',
      `\`input\` must come before the first layer (line ${firstLayer.span.line}); move it up.`,
      input.span,
      [{ message: 'The first layer is here.', span: firstLayer.span }],
    );
  }
};
