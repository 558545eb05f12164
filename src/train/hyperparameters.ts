import type { TrainOptions } from '../ir/model.js';
import {
  isBnImpl,
  isKeepPolicy,
  isOptimizerName,
  isScheduleName,
  optimizers,
  type BnImpl,
  type KeepPolicy,
  type OptimizerName,
  type ScheduleName,
} from '../ir/catalogue.js';

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
  /** The dataset: a catalogue name (`cifar10`) or user data (`idx:DIR`, `folder:DIR`, `npz:FILE`). */
  readonly dataset: string;
  /** The learning-rate schedule (src/train/schedule.ts), its warmup epochs, and the step schedule's period and factor. */
  readonly schedule: ScheduleName;
  readonly warmup: number;
  readonly step: number;
  readonly gamma: number;
  /** Weight decay: decoupled for adamw, L2 (added to the gradient) for the others; 0 for none. */
  readonly wd: number;
  /** Decay every trainable weight; by default biases and normalisation scales and shifts (rank-1 weights) are not. */
  readonly wdAll: boolean;
  /** Nesterov momentum (the momentum optimizer only). */
  readonly nesterov: boolean;
  /** Clip the gradients' global norm to this; null for no clipping. */
  readonly clip: number | null;
  /** Label smoothing of the cross-entropy target, 0 for none. */
  readonly labelSmoothing: number;
  /** Random horizontal flips, and random crops after padding this many pixels (0 for none). */
  readonly flip: boolean;
  readonly crop: number;
  /** Fraction of the training set held out for validation; null keeps it all for training. */
  readonly valSplit: number | null;
  /** Stop after this many epochs without a better validation (else test) accuracy; null trains every epoch. */
  readonly patience: number | null;
  /** `best` also keeps the checkpoint of the epoch with the best validation (else test) accuracy. */
  readonly keep: KeepPolicy;
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
  readonly dataset?: string | undefined;
  readonly schedule?: ScheduleName | undefined;
  readonly warmup?: number | undefined;
  readonly step?: number | undefined;
  readonly gamma?: number | undefined;
  readonly wd?: number | undefined;
  readonly wdAll?: boolean | undefined;
  readonly nesterov?: boolean | undefined;
  readonly clip?: number | undefined;
  readonly labelSmoothing?: number | undefined;
  readonly flip?: boolean | undefined;
  readonly crop?: number | undefined;
  readonly valSplit?: number | undefined;
  readonly patience?: number | undefined;
  readonly keep?: KeepPolicy | undefined;
}

/**
 * The recipe options' defaults: the seed's recipe (no schedule, no decay, no augmentation). A checkpoint written
 * before these options existed is read with them.
 */
export const recipeDefaults = {
  dataset: 'fashion-mnist',
  schedule: 'constant',
  warmup: 0,
  step: 30,
  gamma: 0.1,
  wd: 0,
  wdAll: false,
  nesterov: false,
  clip: null,
  labelSmoothing: 0,
  flip: false,
  crop: 0,
  valSplit: null,
  patience: null,
  keep: 'last',
} as const satisfies Partial<Hyperparameters>;


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
    dataset: flags.dataset ?? file.dataset ?? recipeDefaults.dataset,
    schedule: flags.schedule ?? (file.schedule !== undefined && isScheduleName(file.schedule) ? file.schedule : recipeDefaults.schedule),
    warmup: flags.warmup ?? file.warmup ?? recipeDefaults.warmup,
    step: flags.step ?? file.step ?? recipeDefaults.step,
    gamma: flags.gamma ?? file.gamma ?? recipeDefaults.gamma,
    wd: flags.wd ?? file.wd ?? optimizers[optimizer].defaultWd,
    wdAll: flags.wdAll ?? file.wd_all ?? recipeDefaults.wdAll,
    nesterov: flags.nesterov ?? file.nesterov ?? recipeDefaults.nesterov,
    clip: flags.clip ?? file.clip ?? recipeDefaults.clip,
    labelSmoothing: flags.labelSmoothing ?? file.label_smoothing ?? recipeDefaults.labelSmoothing,
    flip: flags.flip ?? file.flip ?? recipeDefaults.flip,
    crop: flags.crop ?? file.crop ?? recipeDefaults.crop,
    valSplit: flags.valSplit ?? file.val_split ?? recipeDefaults.valSplit,
    patience: flags.patience ?? file.patience ?? recipeDefaults.patience,
    keep: flags.keep ?? (file.keep !== undefined && isKeepPolicy(file.keep) ? file.keep : recipeDefaults.keep),
  };
}

/** `sgd lr 1`, `momentum 0.9 lr 0.1`, `adamw lr 0.001 cosine warmup 1, wd 0.0005`: how the header line names the recipe. */
export function describeOptimizer(h: Hyperparameters): string {
  const optimizer = h.optimizer === 'momentum' ? `momentum ${h.momentum}${h.nesterov ? ' nesterov' : ''}` : h.optimizer;
  const parts = [`${optimizer} lr ${h.lr}`];
  if (h.schedule !== 'constant' || h.warmup > 0) {
    const step = h.schedule === 'step' ? ` every ${h.step} epochs x${h.gamma}` : '';
    parts[0] += ` ${h.schedule}${step}${h.warmup > 0 ? ` warmup ${h.warmup}` : ''}`;
  }
  if (h.wd > 0) parts.push(`wd ${h.wd}${h.optimizer === 'adamw' ? '' : ' (L2)'}${h.wdAll ? ' on all weights' : ''}`);
  if (h.clip !== null) parts.push(`clip ${h.clip}`);
  if (h.labelSmoothing > 0) parts.push(`label smoothing ${h.labelSmoothing}`);
  const augment = [...(h.flip ? ['flip'] : []), ...(h.crop > 0 ? [`crop${h.crop}`] : [])];
  if (augment.length > 0) parts.push(`augment ${augment.join(',')}`);
  return parts.join(', ');
}

/** A checkpoint's hyperparameters with the recipe options it predates filled in. */
export function withRecipeDefaults(saved: Hyperparameters): Hyperparameters {
  return { ...recipeDefaults, ...saved };
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
    (h.subset === null || positiveInt(h.subset)) &&
    (h.schedule === undefined || (typeof h.schedule === 'string' && isScheduleName(h.schedule))) &&
    (h.wd === undefined || (typeof h.wd === 'number' && h.wd >= 0)) &&
    (h.dataset === undefined || typeof h.dataset === 'string')
  );
}
