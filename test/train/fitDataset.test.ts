import { describe, expect, test } from 'vitest';
import type { CheckedLayer, CheckedModel, Shape } from '../../src/ir/model.js';
import type { Span } from '../../src/diagnostics/Diagnostic.js';
import { fashionMnistShape, fitModelToDataset } from '../../src/train/fitDataset.js';

const at = (line: number): Span => ({ offset: line * 10, end: line * 10 + 5, line, column: 1, endLine: line, endColumn: 6 });

/** A checked model by hand: the checker is tested elsewhere; here only input and output shapes matter. */
function model(input: Shape, output: Shape, dataset?: string, trainable = 100): CheckedModel {
  const last: CheckedLayer = {
    index: 0,
    op: 'dense',
    variant: null,
    args: {},
    span: at(5),
    inputs: [-1],
    inputShape: input,
    outputShape: output,
    params: { trainable: 0, nonTrainable: 0 },
    macs: 0,
  };
  return {
    name: 'm',
    input,
    inputSpan: at(2),
    train: dataset === undefined ? {} : { dataset },
    trainSpans: dataset === undefined ? {} : { dataset: at(3) },
    layers: [last],
    totals: { trainable, nonTrainable: 0 },
    cost: { macs: 0, flops: 0, activations: 0 },
  };
}

describe('fitModelToDataset', () => {
  test('1x28x28 images are fed channels-last; a flat 784 input gets flattened images', () => {
    expect(fitModelToDataset(model([1, 28, 28], [10]), fashionMnistShape)).toEqual({ exampleShape: [28, 28, 1], diagnostics: [] });
    expect(fitModelToDataset(model([784], [10]), fashionMnistShape)).toEqual({ exampleShape: [784], diagnostics: [] });
  });

  test('a wrong input shape is refused at the input line, saying what would fit', () => {
    const fit = fitModelToDataset(model([3, 32, 32], [10]), fashionMnistShape);
    expect(fit.exampleShape).toBeNull();
    expect(fit.diagnostics).toHaveLength(1);
    expect(fit.diagnostics[0]).toMatchObject({ code: 'NN5003', severity: 'error', span: { line: 2 } });
    expect(fit.diagnostics[0]!.message).toContain('3x32x32');
    expect(fit.diagnostics[0]!.message).toContain('`input 1x28x28`');
  });

  test('a final width other than 10 is refused at the last layer with the checker\'s NN3101, as an error', () => {
    const fit = fitModelToDataset(model([1, 28, 28], [5]), fashionMnistShape);
    expect(fit.diagnostics.map((d) => [d.code, d.severity, d.span.line])).toEqual([['NN3101', 'error', 5]]);
    expect(fit.diagnostics[0]!.message).toBe('The model ends with 5 outputs but `fashion-mnist` has 10 classes; end with `dense 10`.');
  });

  test('a model with nothing to train is refused with the checker\'s NN3105, as an error', () => {
    const fit = fitModelToDataset(model([1, 28, 28], [10], undefined, 0), fashionMnistShape);
    expect(fit.exampleShape).toBeNull();
    expect(fit.diagnostics.map((d) => [d.code, d.severity, d.span.line])).toEqual([['NN3105', 'error', 5]]);
  });

  test('an unflattened output is refused with the fix', () => {
    const fit = fitModelToDataset(model([1, 28, 28], [10, 4, 4]), fashionMnistShape);
    expect(fit.diagnostics[0]!.message).toContain('end with `flatten | dense 10`');
  });

  test('both problems are reported together', () => {
    const fit = fitModelToDataset(model([2, 28, 28], [7]), fashionMnistShape);
    expect(fit.diagnostics.map((d) => d.span.line)).toEqual([2, 5]);
  });
});
