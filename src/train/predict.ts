/**
 * Predictions from a trained run: its checkpoint's model (the saved source, checked and compiled again, with the
 * saved weights) applied in inference mode to examples, giving each class's probability (softmax of the logits; a
 * model that ends in `softmax` already gives them).
 */
import * as tf from '@tensorflow/tfjs';
import { check } from '../check/check.js';
import type { CheckedModel } from '../ir/model.js';
import { compileModel } from '../compile/compile.js';
import { NetcError } from '../diagnostics/NetcError.js';
import { parse } from '../syntax/parse.js';
import { loadCheckpoint, weightTensors, type LoadedCheckpoint } from './checkpoint.js';
import { logitsModel } from './step.js';

/** A run's model, ready to predict. */
export interface Predictor {
  readonly checkpoint: LoadedCheckpoint;
  readonly model: CheckedModel;
  /** The class names in label order: saved with the run, else the numbers. */
  readonly classNames: readonly string[];
  /** Class probabilities for `count` channels-last examples; one row of `classes` numbers per example. */
  predict(images: Float32Array, count: number): Float32Array[];
  dispose(): void;
}

/** Loads the run in `runDir` (its `checkpoint/`, or with `best` its keep=best copy) for predictions. */
export function loadPredictor(runDir: string, catalogueLabels: (dataset: string) => readonly string[] | undefined): Predictor {
  const checkpoint = loadCheckpoint(runDir, 'inspect');
  const parsed = parse(checkpoint.source);
  // Checked against the dataset the run trained on, as training checked it (a --dataset flag over the file's own).
  const checked = check(parsed.ast, { fileName: checkpoint.state.file, dataset: checkpoint.state.hyperparameters.dataset });
  if (checked.model === null || checked.model === undefined) {
    throw new NetcError('NN5005', `The model saved in ${checkpoint.dir} no longer checks; it cannot predict.`);
  }
  const model = checked.model;
  const h = checkpoint.state.hyperparameters;
  const compiled = compileModel(model, h.bn === null ? {} : { bn: h.bn });
  const weights = weightTensors(checkpoint.weights);
  try {
    compiled.loadWeights(weights, true);
  } catch (error) {
    compiled.dispose();
    throw new NetcError('NN5005', `The weights in ${checkpoint.dir} do not match its model.net (${(error as Error).message}).`);
  } finally {
    tf.dispose(Object.values(weights));
  }
  const net = logitsModel(compiled);
  const out = model.layers[model.layers.length - 1]!.outputShape;
  const classes = out[0] ?? 0;
  const saved = checkpoint.state.classNames;
  const classNames =
    saved?.length === classes ? saved : (catalogueLabels(h.dataset)?.length === classes ? catalogueLabels(h.dataset)! : Array.from({ length: classes }, (_, i) => String(i)));
  const exampleShape = model.input.length === 3 ? [model.input[1]!, model.input[2]!, model.input[0]!] : [...model.input];
  return {
    checkpoint,
    model,
    classNames,
    predict(images, count) {
      const probabilities = tf.tidy(() => {
        const x = tf.tensor(images, [count, ...exampleShape], 'float32');
        return tf.softmax(net.apply(x, { training: false }) as tf.Tensor);
      });
      const flat = probabilities.dataSync() as Float32Array;
      probabilities.dispose();
      return Array.from({ length: count }, (_, i) => flat.slice(i * classes, (i + 1) * classes));
    },
    dispose() {
      compiled.dispose();
    },
  };
}
