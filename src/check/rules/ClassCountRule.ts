import { formatShape } from '../../layers/args.js';
import { datasetClasses } from '../trainOptions.js';
import type { Rule } from './Rule.js';

/** NN3101 (warning): the last layer's width should be the dataset's class count, one logit per class. */
export const ClassCountRule: Rule = ({ layers, shapes, dataset, report }) => {
  const classes = datasetClasses[dataset];
  const last = layers[layers.length - 1];
  const output = shapes[shapes.length - 1]?.output;
  if (classes === undefined || last === undefined || output === null || output === undefined) return;
  if (output.length === 1 && output[0] === classes) return;
  const message =
    output.length === 1
      ? `The model ends with ${output[0]} outputs but \`${dataset}\` has ${classes} classes; end with \`dense ${classes}\`.`
      : `The model ends with a ${formatShape(output)} map but \`${dataset}\` has ${classes} classes; ` +
        `end with \`flatten | dense ${classes}\`.`;
  report('NN3101', message, last.node.span);
};
