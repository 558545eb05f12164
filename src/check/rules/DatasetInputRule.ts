import { formatShape } from '../../ir/layout.js';
import { datasets } from '../../ir/catalogue.js';
import type { Rule } from './Rule.js';

/**
 * In a file with a `train` line, the `input` must be the dataset's images (C x H x W or flat), or `netc train`
 * refuses the model: NN5003 (error) when the line names the dataset, NN3104 (warning) when the dataset is the
 * default. The checker knows the dataset, so `check` says so instead of leaving it to training. A file without a
 * `train` line is a model to summarise, compile or export as much as to train: it gets no word here.
 */
export const DatasetInputRule: Rule = ({ statements, dataset, report }) => {
  const data = datasets[dataset];
  const input = statements.inputs[0];
  if (data === undefined || input === undefined || input.dims.length === 0 || statements.trains.length === 0) return;
  const dims = input.dims.map((d) => d.value);
  const image = [data.channels, data.rows, data.cols];
  const pixels = data.channels * data.rows * data.cols;
  if (dims.length === 3 && dims.every((d, i) => d === image[i])) return;
  if (dims.length === 1 && dims[0] === pixels) return;
  const named = statements.trains.some((train) => train.options.some((option) => option.key.name === 'dataset'));
  const message =
    `The input is ${formatShape(dims)} but \`${dataset}\` images are ${formatShape(image)} (${pixels} values when flat), ` +
    `so \`netc train\` cannot feed them; write \`input ${formatShape(image)}\` or \`input ${pixels}\`` +
    (named ? '.' : ', or name another dataset with `dataset=`.');
  report(named ? 'NN5003' : 'NN3104', message, input.span);
};
