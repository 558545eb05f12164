/**
 * Where an export's weights come from: a fresh model initialised as `netc train` would (Glorot with `--seed`), or
 * a run directory's latest checkpoint. Both give netc's own names and layouts (stateDict.ts converts them).
 */
import type { CheckedModel } from '../ir/model.js';
import { compileModel } from '../compile/compile.js';
import { loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.js';
import type { NamedArray } from './stateDict.js';

/** The initial weights `netc train --seed SEED` starts from (random without a seed). */
export function initialWeights(model: CheckedModel, seed: number | null, bn: 'builtin' | 'scratch' | null): NamedArray[] {
  const compiled = compileModel(model, { ...(seed === null ? {} : { seed }), ...(bn === null ? {} : { bn }) });
  try {
    return compiled.weights.map((w) => ({
      name: w.originalName,
      shape: [...w.shape] as number[],
      values: Float32Array.from(w.read().dataSync() as Float32Array),
    }));
  } finally {
    compiled.dispose();
  }
}

/** A run directory's latest checkpoint, read for `use` (its refusals say `Cannot export ...`). */
export function checkpointOf(runDir: string, use: 'export' | 'evaluate'): LoadedCheckpoint {
  return loadCheckpoint(runDir, use);
}

/** A checkpoint's weights as named float arrays. */
export function checkpointWeights(checkpoint: LoadedCheckpoint): NamedArray[] {
  return checkpoint.weights.map((w) => ({ name: w.name, shape: w.shape, values: Float32Array.from(w.values) }));
}
