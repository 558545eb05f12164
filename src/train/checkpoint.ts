import * as tf from '@tensorflow/tfjs';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NetcError } from '../diagnostics/NetcError.js';
import { isHyperparameters, withRecipeDefaults, type Hyperparameters } from './hyperparameters.js';
import { isRngState, type RngState } from './random.js';
import type { EpochRecord, EpochSums } from './report.js';

/** The version of the checkpoint layout below; a reader refuses any other. */
export const checkpointVersion = 1;

/**
 * Everything besides tensors that a run needs to continue exactly where it stopped: the recipe, the epoch reached,
 * the shuffle generator, the figures so far. Stored as `state.json` in the checkpoint directory.
 */
export interface TrainState {
  /** The model's name, from its `model` line or file name. */
  readonly model: string;
  /** The .net file the run was started from, for messages; the text itself is `model.net` in the checkpoint. */
  readonly file: string;
  readonly hyperparameters: Hyperparameters;
  /** The backend that trained it: resuming elsewhere works but is not bit-identical. */
  readonly backend: string;
  /** Complete epochs. */
  readonly epochsDone: number;
  /** The shuffle generator as it was at the start of epoch `epochsDone + 1`, before that epoch's permutation. */
  readonly rng: RngState;
  /** Where a run stopped inside epoch `epochsDone + 1` (Ctrl-C), or null at an epoch boundary. */
  readonly partial: EpochSums | null;
  readonly history: readonly EpochRecord[];
  /** Seconds in training steps and examples trained, over the complete epochs: the closing examples/sec line. */
  readonly trainSeconds: number;
  readonly examples: number;
  /** The dataset's class names in label order, for `netc predict` (absent in older checkpoints). */
  readonly classNames?: readonly string[];
}

/** A tensor with the name an optimizer gives it (tfjs's own NamedTensor type is not exported from its index). */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/** One saved weight as plain numbers: reading a checkpoint makes no tensor until a resume needs one. */
export interface SavedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: Float32Array | Int32Array;
}

/** A checkpoint read back: its state, its source text, and its weights as plain arrays. */
export interface LoadedCheckpoint {
  readonly dir: string;
  readonly state: TrainState;
  readonly source: string;
  /** The model's weights (moving statistics included) in the order model.json lists them. */
  readonly weights: readonly SavedWeight[];
  /** The optimizer's state in the order `getWeights` returned it, which `setWeights` relies on. */
  readonly optimizerWeights: readonly SavedWeight[];
  /** `userDefinedMetadata` of the saved model.json: compileGraph's node map, when present. */
  readonly metadata: Record<string, unknown> | null;
}

/** What a checkpoint is read for; it words the refusals (`Cannot resume: ...`). */
export type CheckpointUse = 'resume' | 'inspect';

interface StateFile extends TrainState {
  readonly format: 'netc-checkpoint';
  readonly version: number;
  readonly savedAt: string;
  readonly optimizer: { readonly name: string; readonly weights: tf.io.WeightsManifestEntry[] };
}

/** The directory holding a run's latest complete checkpoint. */
export function checkpointDir(runDir: string): string {
  return join(runDir, 'checkpoint');
}

// While a new checkpoint replaces the old, the old one waits here; a crash between the two renames leaves it intact.
const previousName = '.checkpoint-previous';

/**
 * Writes a checkpoint atomically: every file goes into a fresh temporary directory, is flushed to disk, and only then
 * replaces `RUN_DIR/checkpoint` by renames. The renames run synchronously, so a second Ctrl-C (handled between event
 * loop turns) can never fall between them; a crash can, and then `.checkpoint-previous` is still complete.
 */
export async function saveCheckpoint(
  runDir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  source: string,
  state: TrainState,
): Promise<string> {
  const weights = await encodeModel(model);
  const optimizerState = await optimizer.getWeights();
  const encodedOptimizer = await tf.io.encodeWeights(optimizerState);
  // getWeights returns the optimizer's live accumulators (keep them) plus a fresh scalar of the iteration count.
  for (const { tensor } of optimizerState) if (!(tensor instanceof tf.Variable)) tensor.dispose();

  mkdirSync(runDir, { recursive: true });
  const temporary = join(runDir, `.checkpoint-writing-${process.pid}`);
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary);
  const stateFile: StateFile = {
    format: 'netc-checkpoint',
    version: checkpointVersion,
    savedAt: new Date().toISOString(),
    ...state,
    optimizer: { name: state.hyperparameters.optimizer, weights: encodedOptimizer.specs },
  };
  writeDurably(join(temporary, 'model.json'), JSON.stringify(weights.modelJson));
  writeDurably(join(temporary, 'weights.bin'), new Uint8Array(weights.data));
  writeDurably(join(temporary, 'optimizer.bin'), new Uint8Array(encodedOptimizer.data));
  writeDurably(join(temporary, 'model.net'), source);
  writeDurably(join(temporary, 'state.json'), `${JSON.stringify(stateFile, null, 2)}\n`);

  const target = checkpointDir(runDir);
  const previous = join(runDir, previousName);
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, previous);
  renameSync(temporary, target);
  rmSync(previous, { recursive: true, force: true });
  return target;
}

/** True when `runDir` holds a checkpoint to resume (possibly one caught between the two renames of a save). */
export function hasCheckpoint(runDir: string): boolean {
  return existsSync(join(checkpointDir(runDir), 'state.json')) || existsSync(join(runDir, previousName, 'state.json'));
}

/**
 * Reads and validates a run directory's latest checkpoint. Any missing, truncated or inconsistent file is refused
 * with NN5005 naming that file: a resume must never start from half a state.
 */
export function loadCheckpoint(runDir: string, use: CheckpointUse = 'resume'): LoadedCheckpoint {
  const fail = (message: string): never => {
    throw new NetcError('NN5005', `Cannot ${use} ${runDir}: ${message}`);
  };
  const corrupt = (path: string, why: string): never => fail(`${path} is corrupt (${why}).`);
  if (!existsSync(runDir)) fail('no such directory.');
  let dir = checkpointDir(runDir);
  if (!existsSync(dir) && existsSync(join(runDir, previousName))) dir = join(runDir, previousName);
  if (!existsSync(join(dir, 'state.json'))) {
    fail(
      `it has no complete checkpoint (no ${join(checkpointDir(runDir), 'state.json')}); ` +
        'a run saves one at the end of its first epoch or when stopped with Ctrl-C.',
    );
  }
  const readText = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return fail(`${path} is missing or unreadable.`);
    }
  };
  const readJson = (path: string): unknown => {
    const text = readText(path);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return corrupt(path, 'not valid JSON');
    }
  };
  const statePath = join(dir, 'state.json');
  const parsed = readJson(statePath);
  const state = validateState(parsed, statePath, corrupt, fail);
  const source = readText(join(dir, 'model.net'));
  const modelPath = join(dir, 'model.json');
  const modelJson = readJson(modelPath) as { weightsManifest?: { weights?: unknown }[]; userDefinedMetadata?: unknown };
  const specs = modelJson.weightsManifest?.[0]?.weights;
  if (!Array.isArray(specs)) corrupt(modelPath, 'it has no weightsManifest');
  const weights = decode(join(dir, 'weights.bin'), specs as tf.io.WeightsManifestEntry[], corrupt, fail);
  const optimizerWeights = decode(join(dir, 'optimizer.bin'), (parsed as StateFile).optimizer.weights, corrupt, fail);
  const metadata = modelJson.userDefinedMetadata;
  return {
    dir,
    state,
    source,
    weights,
    optimizerWeights,
    metadata: typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : null,
  };
}

/** The model's topology (tfjs `model.json`, weights manifest pointing at `weights.bin`) and its weights as bytes. */
async function encodeModel(model: tf.LayersModel): Promise<{ modelJson: object; data: ArrayBuffer }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs || artifacts.weightData === undefined) throw new Error('tfjs saved a model without weights');
  const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      // compileGraph's map from checked nodes to tfjs layers: `netc inspect` finds each bn's weights through it.
      ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    },
    data,
  };
}

function writeDurably(path: string, contents: string | Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    // Without the flush a power cut after the rename could leave a complete-looking directory of empty files.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

type Corrupt = (path: string, why: string) => never;
type Fail = (message: string) => never;

/** Tensors of saved weights by name, for `LayersModel.loadWeights`; the caller disposes them. */
export function weightTensors(weights: readonly SavedWeight[]): tf.NamedTensorMap {
  return Object.fromEntries(weights.map((w) => [w.name, tf.tensor(w.values, [...w.shape], w.dtype)]));
}

/** Named tensors in saved order, for `Optimizer.setWeights`; the caller disposes them. */
export function namedTensors(weights: readonly SavedWeight[]): NamedTensor[] {
  return weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, [...w.shape], w.dtype) }));
}

function decode(path: string, specs: tf.io.WeightsManifestEntry[], corrupt: Corrupt, fail: Fail): SavedWeight[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return fail(`${path} is missing or unreadable.`);
  }
  const sizes = specs.map((spec) => spec.shape.reduce((a, b) => a * b, 1) * bytesPerElement(spec, path, corrupt));
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (bytes.length !== expected) corrupt(path, `${bytes.length} bytes where its manifest describes ${expected}`);
  let offset = 0;
  return specs.map((spec, i) => {
    // A copy per weight: the file's buffer need not be aligned for a Float32Array view.
    const chunk = new Uint8Array(bytes.subarray(offset, offset + sizes[i]!)).buffer;
    offset += sizes[i]!;
    const dtype = spec.dtype as SavedWeight['dtype'];
    const values = dtype === 'int32' ? new Int32Array(chunk) : new Float32Array(chunk);
    // A flipped byte in a float is still a float; NaN or infinity in saved weights is the one thing we can catch.
    if (!values.every((v) => Number.isFinite(v))) corrupt(path, `weight '${spec.name}' holds NaN or infinite values`);
    return { name: spec.name, shape: spec.shape, dtype, values };
  });
}

function bytesPerElement(spec: tf.io.WeightsManifestEntry, path: string, corrupt: Corrupt): number {
  if (spec.quantization) corrupt(path, 'quantized weights are not written by netc');
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    default:
      return corrupt(path, `unsupported dtype ${spec.dtype}`);
  }
}

function validateState(value: unknown, path: string, corrupt: Corrupt, fail: Fail): TrainState {
  if (typeof value !== 'object' || value === null) corrupt(path, 'not a JSON object');
  const s = value as Partial<StateFile>;
  if (s.format !== 'netc-checkpoint') corrupt(path, 'not a netc checkpoint');
  if (s.version !== checkpointVersion) {
    fail(`${path} is checkpoint version ${s.version}; this netc reads version ${checkpointVersion}.`);
  }
  const nonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (typeof s.model !== 'string' || typeof s.file !== 'string' || typeof s.backend !== 'string') corrupt(path, 'names missing');
  if (!isHyperparameters(s.hyperparameters)) corrupt(path, 'hyperparameters missing or invalid');
  if (!nonNegative(s.epochsDone) || !Number.isInteger(s.epochsDone)) corrupt(path, 'epochsDone missing');
  if (!isRngState(s.rng)) corrupt(path, 'shuffle state missing');
  if (!Array.isArray(s.history) || s.history.length !== s.epochsDone) corrupt(path, 'history does not match epochsDone');
  if (!nonNegative(s.trainSeconds) || !nonNegative(s.examples)) corrupt(path, 'timing missing');
  if (s.partial !== null && (typeof s.partial !== 'object' || !nonNegative(s.partial?.batchesDone))) {
    corrupt(path, 'partial epoch invalid');
  }
  if (!s.optimizer || !Array.isArray(s.optimizer.weights)) corrupt(path, 'optimizer manifest missing');
  if (s.optimizer.name !== s.hyperparameters.optimizer) corrupt(path, 'optimizer state belongs to another optimizer');
  return {
    model: s.model,
    file: s.file,
    hyperparameters: withRecipeDefaults(s.hyperparameters),
    backend: s.backend,
    epochsDone: s.epochsDone as number,
    rng: s.rng,
    partial: s.partial ?? null,
    history: s.history as EpochRecord[],
    trainSeconds: s.trainSeconds as number,
    examples: s.examples as number,
    ...(Array.isArray(s.classNames) && s.classNames.every((n) => typeof n === 'string') ? { classNames: s.classNames } : {}),
  };
}
