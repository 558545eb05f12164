import type { CheckedModel, Shape } from '../ir/model.js';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import { classCountProblem } from '../check/rules/ClassCountRule.js';
import { noTrainableMessage } from '../check/rules/TrainableRule.js';
import { datasets, type DatasetInfo } from '../ir/catalogue.js';

/** What a model must match to train on a dataset: its image size and its number of classes (src/ir/catalogue.ts). */
export type DatasetShape = Pick<DatasetInfo, 'name' | 'channels' | 'rows' | 'cols' | 'classes'>;

/** Fashion-MNIST's shape, known before its files are read so that a misfit is refused without loading anything. */
export const fashionMnistShape: DatasetShape = datasets['fashion-mnist']!;

/** How one example is fed to the compiled model, or why it cannot be. */
export interface DatasetFit {
  /** The per-example tensor shape the compiled (channels-last) model takes: `[H, W, C]`, or `[F]` for flat input. */
  readonly exampleShape: readonly number[] | null;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Checks a model's `input` (NN5003) and final layer (NN3101) against a dataset, so that a misfit is reported at the
 * file's line before any training. A flat `input 784` is accepted too: the images are then fed flattened, row by row.
 */
export function fitModelToDataset(model: CheckedModel, data: DatasetShape): DatasetFit {
  const diagnostics: Diagnostic[] = [];
  const error = (span: Diagnostic['span'], message: string): void =>
    void diagnostics.push({ code: 'NN5003', severity: 'error', message, span });

  // The dataset is the resolved one (a `--dataset` flag overrides the file's `dataset=`), so only its shape is checked.
  const image = [data.channels, data.rows, data.cols];
  const pixels = data.channels * data.rows * data.cols;
  let exampleShape: number[] | null = null;
  if (sameShape(model.input, image)) exampleShape = [data.rows, data.cols, data.channels];
  else if (sameShape(model.input, [pixels])) exampleShape = [pixels];
  else {
    error(
      model.inputSpan,
      `The model's input is ${formatShape(model.input)} but ${data.name} images are ${formatShape(image)} ` +
        `(${pixels} values when flat); write \`input ${formatShape(image)}\` or \`input ${pixels}\`.`,
    );
  }

  // The class count is the checker's NN3101 with the verdict training gives it: an error, with the same message.
  const last = model.layers[model.layers.length - 1];
  const misfit = last === undefined ? null : classCountProblem(last.outputShape, data.name, data.classes);
  if (last !== undefined && misfit !== null) diagnostics.push({ code: 'NN3101', severity: 'error', message: misfit, span: last.span });
  // Likewise the checker's NN3105: nothing to train is refused before any data is read, not by the optimizer.
  if (last !== undefined && model.totals.trainable === 0) {
    diagnostics.push({ code: 'NN3105', severity: 'error', message: noTrainableMessage, span: last.span });
  }
  return { exampleShape: diagnostics.length === 0 ? exampleShape : null, diagnostics };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function formatShape(shape: Shape): string {
  return shape.join('x');
}
