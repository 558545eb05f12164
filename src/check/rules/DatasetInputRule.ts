import { datasets, defaultDataset } from '../../ir/catalogue.js';
import { formatShape } from '../../ir/layout.js';
import type { Rule } from './Rule.js';

/**
 * NN5003 (error): a file that names its dataset (`train dataset=cifar10`, or `netc train --dataset`) must take that
 * dataset's images, C x H x W or flat, or `netc train` refuses it; `check` says so at the `input` line. Every
 * catalogue dataset's size is known here (src/ir/catalogue.ts); user data (`idx:`, `folder:`, `npz:`) is measured
 * only when training reads it. A file that names no dataset is left to training and its default.
 */
export const DatasetInputRule: Rule = ({ statements, dataset, report }) => {
  const data = datasets[dataset];
  const input = statements.inputs[0];
  const named = dataset !== defaultDataset || statements.trains.some((t) => t.options.some((o) => o.key.name === 'dataset'));
  if (data === undefined || input === undefined || input.dims.length === 0 || !named) return;
  const dims = input.dims.map((d) => d.value);
  const image = [data.channels, data.rows, data.cols];
  const pixels = data.channels * data.rows * data.cols;
  if (dims.length === 3 && dims.every((d, i) => d === image[i])) return;
  if (dims.length === 1 && dims[0] === pixels) return;
  report(
    'NN5003',
    `The input is ${formatShape(dims)} but \`${dataset}\` images are ${formatShape(image)} (${pixels} values when flat), ` +
      `so \`netc train\` cannot feed them; write \`input ${formatShape(image)}\` or \`input ${pixels}\`, or train on another dataset.`,
    input.span,
  );
};
