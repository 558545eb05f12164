import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceDirectory } from '../compile/atomicWrite.js';
import { encodeModelFiles, modelFileName, weightsFileName } from '../compile/modelFiles.js';
import { NetcError } from '../diagnostics/NetcError.js';
import type { Hyperparameters } from './hyperparameters.js';
import { decodeWeights, validateState } from './checkpointFiles.js';
import type { RngState } from './random.js';
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
export type CheckpointUse = 'resume' | 'inspect' | 'export' | 'evaluate';

export interface StateFile extends TrainState {
  readonly format: 'netc-checkpoint';
  readonly version: number;
  readonly savedAt: string;
  /** SHA-256 of model.net as saved, hex: an edited copy is refused instead of trusted. Absent in older checkpoints. */
  readonly modelSha256?: string;
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
  const encoded = await encodeModelFiles(model);
  const optimizerState = await optimizer.getWeights();
  const encodedOptimizer = await tf.io.encodeWeights(optimizerState);
  // getWeights returns the optimizer's live accumulators (keep them) plus a fresh scalar of the iteration count.
  for (const { tensor } of optimizerState) if (!(tensor instanceof tf.Variable)) tensor.dispose();

  const stateFile: StateFile = {
    format: 'netc-checkpoint',
    version: checkpointVersion,
    savedAt: new Date().toISOString(),
    ...state,
    modelSha256: sha256(source),
    optimizer: { name: state.hyperparameters.optimizer, weights: encodedOptimizer.specs },
  };
  const target = checkpointDir(runDir);
  try {
    replaceDirectory(
      target,
      {
        [modelFileName]: encoded.modelJson,
        [weightsFileName]: encoded.weights,
        'optimizer.bin': new Uint8Array(encodedOptimizer.data),
        'model.net': source,
        'state.json': `${JSON.stringify(stateFile, null, 2)}\n`,
      },
      { aside: join(runDir, previousName) },
    );
  } catch (error) {
    // replaceDirectory has removed its staging directory: a full disk is not kept full by half a checkpoint.
    throw saveFailure(runDir, error);
  }
  return target;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** NN4002 for a checkpoint that could not be written, with the cause in words; other errors pass unchanged. */
function saveFailure(runDir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const causes: Record<string, string> = {
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EIO: 'an input/output error',
  };
  const cause = code === undefined ? undefined : causes[code];
  if (cause === undefined) return error;
  const next = hasCheckpoint(runDir)
    ? `the last checkpoint in ${checkpointDir(runDir)} is intact; free some space and continue with \`netc train --resume ${runDir}\``
    : 'no checkpoint was saved; free some space and start the run again';
  return new NetcError('NN4002', `Cannot save a checkpoint in ${runDir}: ${cause} (${code}). Nothing half-written is left behind and ${next}.`);
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
  const sourcePath = join(dir, 'model.net');
  const source = readText(sourcePath);
  const recorded = (parsed as StateFile).modelSha256;
  if (typeof recorded === 'string' && recorded !== sha256(source)) {
    fail(
      `${sourcePath} was changed after the run saved it (its SHA-256 differs from the one in ${statePath}); ` +
        'the weights belong to the model as it was. Put the original back, or train the edited model as a new run.',
    );
  }
  const modelPath = join(dir, modelFileName);
  const modelJson = readJson(modelPath) as { weightsManifest?: { weights?: unknown }[]; userDefinedMetadata?: unknown };
  const specs = modelJson.weightsManifest?.[0]?.weights;
  if (!Array.isArray(specs)) corrupt(modelPath, 'it has no weightsManifest');
  const weights = decodeWeights(join(dir, weightsFileName), specs as tf.io.WeightsManifestEntry[], corrupt, fail);
  const optimizerWeights = decodeWeights(join(dir, 'optimizer.bin'), (parsed as StateFile).optimizer.weights, corrupt, fail);
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

/** Tensors of saved weights by name, for `LayersModel.loadWeights`; the caller disposes them. */
export function weightTensors(weights: readonly SavedWeight[]): tf.NamedTensorMap {
  return Object.fromEntries(weights.map((w) => [w.name, tf.tensor(w.values, [...w.shape], w.dtype)]));
}

/** Named tensors in saved order, for `Optimizer.setWeights`; the caller disposes them. */
export function namedTensors(weights: readonly SavedWeight[]): NamedTensor[] {
  return weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, [...w.shape], w.dtype) }));
}
