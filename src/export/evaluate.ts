/**
 * `netc eval`: the test-set predictions of a trained run (netc's own tfjs model) or of an export (PyTorch through
 * its train.py, ONNX through onnxruntime-node, plain TensorFlow.js), and the figures that compare them: accuracy,
 * per-class accuracy and the confusion matrix.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compileModel } from '../compile/compile.js';
import { fileLoadHandler } from '../compile/io.js';
import { NetcError } from '../diagnostics/NetcError.js';
import { hasCheckpoint, loadCheckpoint, weightTensors } from '../train/checkpoint.js';
import { logitsModel } from '../train/step.js';
import { analyze } from '../frontend/analyze.js';
import { pythonErrorTail, runPython, type TorchPython } from './python.js';

/** What evaluates a directory. */
export const evalRuntimes = ['netc', 'pytorch', 'onnx', 'tfjs'] as const;
/** One of `evalRuntimes`. */
export type EvalRuntime = (typeof evalRuntimes)[number];

/** The test split as the evaluators read it: one channel, row-major, [0, 1]. */
export interface TestSet {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly rows: number;
  readonly cols: number;
  /** The directory the files came from (handed to train.py). */
  readonly dir: string;
  readonly classNames: readonly string[];
}

/** The figures of one evaluation. */
export interface Evaluation {
  readonly runtime: EvalRuntime;
  readonly accuracy: number;
  readonly count: number;
  /** Per true class: the fraction of its examples predicted as it. */
  readonly perClass: readonly number[];
  /** rows: true class, columns: predicted class. */
  readonly confusion: readonly (readonly number[])[];
}

/** The runtimes that can evaluate `dir`: `netc` for a run directory, one per export format found in it. */
export function runtimesIn(dir: string): EvalRuntime[] {
  const found: EvalRuntime[] = [];
  if (hasCheckpoint(dir)) found.push('netc');
  if (existsSync(join(dir, 'model.py')) && existsSync(join(dir, 'weights.pt')) && existsSync(join(dir, 'train.py'))) found.push('pytorch');
  if (existsSync(join(dir, 'model.onnx'))) found.push('onnx');
  if (existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin'))) found.push('tfjs');
  return found;
}

/** Accuracy, per-class accuracy and confusion matrix of `predicted` against `labels`. */
export function scorePredictions(runtime: EvalRuntime, predicted: Int32Array, labels: Int32Array, classes: number): Evaluation {
  if (predicted.length !== labels.length) {
    throw new NetcError('NN4104', `The ${runtime} model gave ${predicted.length} predictions for ${labels.length} test images.`);
  }
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    const truth = labels[i]!;
    const guess = predicted[i]!;
    if (guess < 0 || guess >= classes) throw new NetcError('NN4104', `The ${runtime} model predicted class ${guess}; there are ${classes}.`);
    confusion[truth]![guess]! += 1;
    if (truth === guess) hits += 1;
  }
  const perClass = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : row[c]! / total;
  });
  return { runtime, accuracy: hits / labels.length, count: labels.length, perClass, confusion };
}

/** Predicted classes of every test image by `runtime` from `dir`. */
export async function predict(dir: string, runtime: EvalRuntime, test: TestSet, python: () => TorchPython): Promise<Int32Array> {
  switch (runtime) {
    case 'netc':
      return predictRun(dir, test);
    case 'tfjs':
      return predictTfjs(dir, test);
    case 'onnx':
      return predictOnnx(dir, test);
    case 'pytorch':
      return predictPytorch(dir, test, python());
  }
}

const evalBatch = 1000;

/** netc's compiled model with the run's latest checkpoint, in inference mode. */
async function predictRun(dir: string, test: TestSet): Promise<Int32Array> {
  const checkpoint = loadCheckpoint(dir, 'evaluate');
  const checked = analyze(checkpoint.source, checkpoint.state.file).model;
  if (checked === null) throw new NetcError('NN5005', `Cannot evaluate ${dir}: its model.net no longer checks (\`netc check\` it).`);
  const h = checkpoint.state.hyperparameters;
  const model = compileModel(checked, h.bn === null ? {} : { bn: h.bn });
  const weights = weightTensors(checkpoint.weights);
  try {
    model.loadWeights(weights, true);
    const shape = checked.input.length === 3 ? [test.rows, test.cols, 1] : [test.rows * test.cols];
    return predictLayers(logitsModel(model), test, shape);
  } finally {
    tf.dispose(Object.values(weights));
    model.dispose();
  }
}

/** A plain TensorFlow.js export (NHWC input), loaded with tf.loadLayersModel alone. */
async function predictTfjs(dir: string, test: TestSet): Promise<Int32Array> {
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileLoadHandler(dir));
  } catch (error) {
    throw new NetcError('NN4003', `Cannot load the TensorFlow.js model in ${dir}: ${(error as Error).message}.`);
  }
  try {
    const input = model.inputs[0]!.shape.slice(1) as number[];
    return predictLayers(model, test, input);
  } finally {
    model.dispose();
  }
}

function predictLayers(model: tf.LayersModel, test: TestSet, exampleShape: readonly number[]): Int32Array {
  const per = test.rows * test.cols;
  const count = test.labels.length;
  const out = new Int32Array(count);
  for (let start = 0; start < count; start += evalBatch) {
    const end = Math.min(count, start + evalBatch);
    const classes = tf.tidy(() => {
      const x = tf.tensor(test.images.subarray(start * per, end * per), [end - start, ...exampleShape]);
      return tf.argMax(model.predict(x) as tf.Tensor, 1);
    });
    out.set(classes.dataSync() as Int32Array, start);
    classes.dispose();
  }
  return out;
}

/** `model.onnx` through onnxruntime-node on the CPU; input NCHW (one channel: the same bytes as the images). */
async function predictOnnx(dir: string, test: TestSet): Promise<Int32Array> {
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')));
  } catch (error) {
    throw new NetcError('NN4003', `onnxruntime cannot load ${join(dir, 'model.onnx')}: ${(error as Error).message}.`);
  }
  try {
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0]!;
    const metadata = session.inputMetadata[0];
    const dims = metadata !== undefined && 'shape' in metadata ? metadata.shape.slice(1) : [1, test.rows, test.cols];
    const exampleShape = dims.map((d) => (typeof d === 'number' ? d : 1));
    const per = test.rows * test.cols;
    const count = test.labels.length;
    const out = new Int32Array(count);
    for (let start = 0; start < count; start += evalBatch) {
      const end = Math.min(count, start + evalBatch);
      const x = new ort.Tensor('float32', test.images.slice(start * per, end * per), [end - start, ...exampleShape]);
      const result = await session.run({ [inputName]: x });
      const scores = result[outputName]!;
      const classes = scores.dims[1]!;
      const data = scores.data as Float32Array;
      for (let i = 0; i < end - start; i++) out[start + i] = argMax(data, i * classes, classes);
    }
    return out;
  } finally {
    await session.release();
  }
}

function argMax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[offset + j]! > values[offset + best]!) best = j;
  return best;
}

/** A PyTorch export through its own train.py (`--eval-only`): Net() + weights.pt, evaluated by PyTorch alone. */
function predictPytorch(dir: string, test: TestSet, python: TorchPython): Int32Array {
  const scratch = mkdtempSync(join(dir, '.netc-eval-'));
  try {
    const file = join(scratch, 'predicted.txt');
    const script = 'import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")';
    const args = [join(dir, 'train.py'), '--eval-only', '--cpu', '--data', test.dir, '--weights', join(dir, 'weights.pt'), '--predict', file];
    const result = runPython(python, script, args);
    if (result.status !== 0) throw new NetcError('NN4103', `PyTorch could not evaluate ${dir}:\n${pythonErrorTail(result.stderr)}`);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return Int32Array.from(lines, Number);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
