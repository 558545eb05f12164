import type { Shape } from '../../ir/model.js';
import { formatShape, isFlat } from '../../ir/layout.js';
import { datasets } from '../../ir/catalogue.js';
import type { Rule } from './Rule.js';

/**
 * NN3101: the output node's width must be the dataset's class count, one logit per class. An error in a file with a
 * `train` line, which says the model is trained (on its `dataset=`, by default fashion-mnist) and so cannot be; a
 * warning in a file without one, which may be compiled or exported for another use. `netc train` reports the same
 * NN3101 as an error in either case (src/train/fitDataset.ts), with the same message.
 */
export const ClassCountRule: Rule = ({ output: last, dataset, statements, reportAt }) => {
  const classes = datasets[dataset]?.classes;
  const output = last?.output;
  if (classes === undefined || last === null || output === null || output === undefined) return;
  const message = classCountProblem(output, dataset, classes);
  if (message === null) return;
  reportAt(last, 'NN3101', message, statements.trains.length > 0 ? {} : { severity: 'warning' });
};

/** Why a model ending in `output` cannot be trained on a dataset of `classes` classes, or null when it can. */
export function classCountProblem(output: Shape, dataset: string, classes: number): string | null {
  if (isFlat(output) && output[0] === classes) return null;
  return isFlat(output)
    ? `The model ends with ${output[0]} outputs but \`${dataset}\` has ${classes} classes; end with \`dense ${classes}\`.`
    : `The model ends with a ${formatShape(output)} map but \`${dataset}\` has ${classes} classes; ` +
        `end with \`flatten | dense ${classes}\`.`;
}
