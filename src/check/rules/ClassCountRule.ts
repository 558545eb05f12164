import { formatShape, isFlat } from '../../ir/layout.js';
import { datasets } from '../../ir/catalogue.js';
import type { Rule } from './Rule.js';

/** NN3101 (warning): the output node's width should be the dataset's class count, one logit per class. */
export const ClassCountRule: Rule = ({ output: last, dataset, reportAt }) => {
  const classes = datasets[dataset]?.classes;
  const output = last?.output;
  if (classes === undefined || last === null || output === null || output === undefined) return;
  if (isFlat(output) && output[0] === classes) return;
  const message =
    isFlat(output)
      ? `The model ends with ${output[0]} outputs but \`${dataset}\` has ${classes} classes; end with \`dense ${classes}\`.`
      : `The model ends with a ${formatShape(output)} map but \`${dataset}\` has ${classes} classes; ` +
        `end with \`flatten | dense ${classes}\`.`;
  reportAt(last, 'NN3101', message);
};
