import type { CheckedModel, Shape } from '../ir/model.js';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
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
 * Checks a model's `input` and final layer against a dataset, so that a misfit is reported at the file's line before
 * any training. A flat `input 784` is accepted too: the images are then fed flattened, row by row.
 */
export function fitModelToDataset(model: CheckedModel, data: DatasetShape): DatasetFit {
  const diagnostics: Diagnostic[] = [];
  const error = (span: Diagnostic['span'], message: string): void =>
    void diagnostics.push({ code: 'NN5003', severity: 'error', message, span });

  const dataset = model.train.dataset;
  if (dataset !== undefined && dataset !== data.name) {
    error(model.trainSpans.dataset ?? model.inputSpan, `The model asks for dataset '${dataset}' but netc trains on '${data.name}'.`);
  }

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

  const last = model.layers[model.layers.length - 1];
  if (last) {
    const out = last.outputShape;
    if (out.length !== 1) {
      error(
        last.span,
        `The model ends with a ${formatShape(out)} output but training needs one score per class; ` +
          `end with \`flatten\` and \`dense ${data.classes}\`.`,
      );
    } else if (out[0] !== data.classes) {
      error(
        last.span,
        `The model ends with ${out[0]} outputs but ${data.name} has ${data.classes} classes; ` +
          `make the last layer \`dense ${data.classes}\`.`,
      );
    }
  }
  return { exampleShape: diagnostics.length === 0 ? exampleShape : null, diagnostics };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function formatShape(shape: Shape): string {
  return shape.join('x');
}
