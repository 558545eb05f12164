import type { TrainOptions } from '../ir/model.js';
import { isBnImpl, isOptimizerName, optimizers, type BnImpl, type OptimizerName } from '../ir/catalogue.js';

/** Everything that decides what a run computes; stored in each checkpoint so that `--resume` continues it exactly. */
export interface Hyperparameters {
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  /** The momentum optimizer's coefficient; recorded for the others too but unused. */
  readonly momentum: number;
  /** Seeds the weights and the shuffle; null means a fresh random run. */
  readonly seed: number | null;
  /** Overrides every `bn` layer's `impl`; null keeps what the file says. */
  readonly bn: BnImpl | null;
  /** Train on the first N training images only; null means all of them. */
  readonly subset: number | null;
}

/** Command-line values that override the file's `train` line; undefined means "not given". */
export interface HyperparameterFlags {
  readonly epochs?: number | undefined;
  readonly batch?: number | undefined;
  readonly lr?: number | undefined;
  readonly optimizer?: OptimizerName | undefined;
  readonly momentum?: number | undefined;
  readonly seed?: number | undefined;
  readonly bn?: BnImpl | undefined;
  readonly subset?: number | undefined;
}

/** The seed's recipe (d2l's train_ch6 call for LeNet-BN): plain SGD, lr 1.0, 10 epochs, batch 256. */
export const seedDefaults = { epochs: 10, batch: 256, optimizer: 'sgd', momentum: 0.9 } as const;


/**
 * Flags over the file's `train` line over the seed's defaults. The checker has already validated the file's values;
 * the CLI validates the flags.
 */
export function resolveHyperparameters(file: TrainOptions, flags: HyperparameterFlags): Hyperparameters {
  const fileOptimizer = file.optimizer !== undefined && isOptimizerName(file.optimizer) ? file.optimizer : undefined;
  const optimizer = flags.optimizer ?? fileOptimizer ?? seedDefaults.optimizer;
  // A file's lr was chosen for the file's optimizer; once a flag switches optimizer it no longer applies.
  const fileLr = flags.optimizer === undefined || flags.optimizer === fileOptimizer ? file.lr : undefined;
  return {
    epochs: flags.epochs ?? file.epochs ?? seedDefaults.epochs,
    batch: flags.batch ?? file.batch ?? seedDefaults.batch,
    lr: flags.lr ?? fileLr ?? optimizers[optimizer].defaultLr,
    optimizer,
    momentum: flags.momentum ?? file.momentum ?? seedDefaults.momentum,
    seed: flags.seed ?? file.seed ?? null,
    bn: flags.bn ?? null,
    subset: flags.subset ?? null,
  };
}

/** `sgd lr 1`, `momentum 0.9 lr 0.1`: how the header line names the optimizer. */
export function describeOptimizer(h: Hyperparameters): string {
  return h.optimizer === 'momentum' ? `momentum ${h.momentum} lr ${h.lr}` : `${h.optimizer} lr ${h.lr}`;
}

/** True when `value` has every field of `Hyperparameters` with a plausible type, for validating checkpoints. */
export function isHyperparameters(value: unknown): value is Hyperparameters {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  const positiveInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
  return (
    positiveInt(h.epochs) &&
    positiveInt(h.batch) &&
    typeof h.lr === 'number' &&
    h.lr > 0 &&
    typeof h.optimizer === 'string' &&
    isOptimizerName(h.optimizer) &&
    typeof h.momentum === 'number' &&
    (h.seed === null || typeof h.seed === 'number') &&
    (h.bn === null || isBnImpl(h.bn)) &&
    (h.subset === null || positiveInt(h.subset))
  );
}
