import type * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { checkpointVersion, type SavedWeight, type StateFile, type TrainState } from './checkpoint.js';
import { isHyperparameters, withRecipeDefaults } from './hyperparameters.js';
import { isRngState } from './random.js';
import type { EpochRecord } from './report.js';

/*
 * Reading a checkpoint's files back without trusting them: every size, dtype and field is checked, so that a
 * truncated or edited file is refused (NN5005, through `corrupt`/`fail`) and a resume never starts from half a state.
 */

/** Reports a damaged file (NN5005 naming it); never returns. */
export type Corrupt = (path: string, why: string) => never;
/** Reports why a checkpoint cannot be used (NN5005); never returns. */
export type Fail = (message: string) => never;

/** The weights `specs` describe, read from `path` and checked against them (size, dtype, finite values). */
export function decodeWeights(path: string, specs: tf.io.WeightsManifestEntry[], corrupt: Corrupt, fail: Fail): SavedWeight[] {
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

/** `state.json`'s contents as a TrainState, every field checked. */
export function validateState(value: unknown, path: string, corrupt: Corrupt, fail: Fail): TrainState {
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
