import { formatShape } from '../../ir/layout.js';
import { maxWhole } from '../values.js';
import type { Rule } from './Rule.js';

/**
 * The most parameters one model may have (NN2031): 200 MB of float32 weights. Training holds them two or three
 * times over (gradients, optimizer state), and sizes up to 2^31 - 1 each would otherwise check clean and then fail
 * to allocate in `compile`. A test compiles and trains a model just under it.
 */
export const maxParameters = 50_000_000;

/** The most values one layer's output (or the input) may hold per example (NN2031): 2^24, 64 MB of float32. */
export const maxValuesPerExample = 16_777_216;

const count = (n: number): string => n.toLocaleString('en-US');

/** NN2031: a model too large to compile and train: too many parameters, or one layer's output too large. */
export const ModelSizeRule: Rule = ({ statements, nodes, report, reportAt }) => {
  const input = statements.inputs[0];
  const inputValues = input?.dims.reduce((n, d) => n * d.value, 1) ?? 0;
  // A dimension that is no valid size at all is NN2011's, reported where the input is read.
  const validInput = input !== undefined && input.dims.every((d) => Number.isInteger(d.value) && d.value >= 1 && d.value <= maxWhole);
  if (validInput && inputValues > maxValuesPerExample) {
    report(
      'NN2031',
      `The input holds ${count(inputValues)} values per example, more than the ${count(maxValuesPerExample)} netc ` +
        'can train with; use a smaller input.',
      input!.span,
    );
    return;
  }
  let parameters = 0;
  let reportedValues = false;
  for (const node of nodes) {
    if (node.input === null || node.output === null) continue;
    const values = node.output.reduce((n, d) => n * d, 1);
    if (!reportedValues && values > maxValuesPerExample) {
      reportedValues = true;
      reportAt(
        node,
        'NN2031',
        `\`${node.name}\` outputs ${formatShape(node.output)}, ${count(values)} values per example, more than the ` +
          `${count(maxValuesPerExample)} netc can train with; make it smaller.`,
      );
    }
    if (node.kind === null || !node.complete) continue;
    const params = node.kind.params(node.input, node.args);
    parameters += params.trainable + params.nonTrainable;
    if (parameters > maxParameters) {
      reportAt(
        node,
        'NN2031',
        `The model has ${count(parameters)} parameters by \`${node.name}\`, more than the ${count(maxParameters)} ` +
          '(200 MB of float32) netc can compile and train; make the layers smaller.',
      );
      return;
    }
  }
};
