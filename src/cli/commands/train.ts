import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { Argv } from 'yargs';
import type { ThreadsRequest } from '../../train/parallel/chooseThreads.js';
import type { BackendRequest } from '../../backend/select.js';
import type { CheckedModel } from '../../ir/model.js';
import { NetcError } from '../../diagnostics/NetcError.js';
import { subset } from '../../data/fashionMnist.js';
import { splitValidation, type ImageSet, type LoadedDataset } from '../../data/imageSet.js';
import type { LoadedCheckpoint } from '../../train/checkpoint.js';
import { fitModelToDataset, type DatasetShape } from '../../train/fitDataset.js';
import { recipeConflicts } from '../../check/trainOptions.js';
import {
  bnImpls,
  datasets,
  keepPolicies,
  optimizerNames,
  parseDatasetSpec,
  scheduleNames,
  type BnImpl,
  type KeepPolicy,
  type OptimizerName,
  type ScheduleName,
} from '../../ir/catalogue.js';
import { permutation, Rng } from '../../train/random.js';
import { checkFlag, fastPathFromEnvironment, parseAugment, readNumberFlag } from '../flags.js';
import { describeOptimizer, resolveHyperparameters, type Hyperparameters, type HyperparameterFlags } from '../../train/hyperparameters.js';
import { EpochProgress } from '../../train/progress.js';
import { resumedHyperparameters } from '../../train/resume.js';
import { ensureRunDir, newRunDir, newRunDirProblem } from '../../train/runDirectory.js';
import { formatEpochLine, formatFinalLines } from '../../train/report.js';
import type { ImageSplit, TrainOutcome, trainModel as TrainModelFn } from '../../train/train.js';
import type { Command } from '../Command.js';
import { CliError, ExitCode, type CliIO } from '../io.js';
import { analyze } from '../../frontend/analyze.js';
import { readModelFile, reportDiagnostics, withFitDiagnostics, type ModelFile } from '../modelFile.js';

/** The flags as yargs hands them over: numbers stay text until readFlags checks them as the checker would. */
export interface TrainArgs {
  readonly file?: string;
  readonly epochs?: string;
  readonly batch?: string;
  readonly lr?: string;
  readonly optimizer?: OptimizerName;
  readonly momentum?: string;
  readonly seed?: string;
  readonly backend: BackendRequest;
  readonly bn?: BnImpl;
  readonly data?: string;
  readonly out?: string;
  readonly resume?: string;
  readonly subset?: string;
  readonly download: boolean;
  readonly threads?: string;
  readonly dataset?: string;
  readonly schedule?: ScheduleName;
  readonly warmup?: number;
  readonly step?: number;
  readonly gamma?: number;
  readonly wd?: number;
  readonly wdAll?: boolean;
  readonly nesterov?: boolean;
  readonly clip?: number;
  readonly labelSmoothing?: number;
  readonly augment?: string;
  readonly valSplit?: number;
  readonly patience?: number;
  readonly keep?: KeepPolicy;
  readonly engine: 'tfjs' | 'torch';
  readonly nproc?: number;
  readonly python?: string;
}

/** The numeric flags, read and checked. */
export interface NumberFlags {
  readonly epochs?: number | undefined;
  readonly batch?: number | undefined;
  readonly lr?: number | undefined;
  readonly momentum?: number | undefined;
  readonly seed?: number | undefined;
  readonly subset?: number | undefined;
}

/** Exit status of a run stopped by Ctrl-C, as shells report a process ended by SIGINT. */
const interruptedExit = ExitCode.interrupted;

/** A second SIGINT sooner than this after the first is the same keypress delivered twice, not a second Ctrl-C. */
const duplicateSigintMs = 1000;

/** `netc train FILE`: trains a model on Fashion-MNIST the way the seed's d2l.train_ch6 does, with checkpoints. */
export const trainCommand: Command<TrainArgs> = {
  command: 'train [file]',
  describe: 'Train a .net model on Fashion-MNIST (progress, per-epoch checkpoints, curves; --resume to continue)',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', describe: 'a .net file (optional with --resume: the run keeps its source)' })
      .option('epochs', { type: 'string', describe: "Epochs (file's train line, else 10)" })
      .option('batch', { type: 'string', describe: "Batch size (file's train line, else 256)" })
      .option('lr', { type: 'string', describe: 'Learning rate (default: sgd 1.0 as the seed, momentum 0.1, adam 0.001)' })
      .option('optimizer', { type: 'string', describe: `Optimizer: ${optimizerNames.join(', ')} (file's train line, else sgd)` })
      .option('momentum', { type: 'string', describe: 'Coefficient of the momentum optimizer (default 0.9)' })
      .option('dataset', {
        type: 'string',
        describe: `Dataset: ${Object.keys(datasets).join(', ')}, or idx:DIR, folder:DIR, npz:FILE (file's train line, else fashion-mnist)`,
      })
      .option('nesterov', { type: 'boolean', describe: 'Nesterov momentum (momentum optimizer)' })
      .option('schedule', { type: 'string', describe: `Learning-rate schedule, per step: ${scheduleNames.join(', ')} (default constant)` })
      .option('warmup', { type: 'number', describe: 'Warmup epochs: linear from 1% of lr (onecycle: its rise)' })
      .option('step', { type: 'number', describe: "Epochs between the step schedule's drops (default 30)" })
      .option('gamma', { type: 'number', describe: "The step schedule's factor per drop (default 0.1)" })
      .option('wd', { type: 'number', describe: 'Weight decay: decoupled for adamw (default 0.01), L2 for the others (default 0)' })
      .option('wd-all', { type: 'boolean', describe: 'Decay biases and normalisation weights too' })
      .option('clip', { type: 'number', describe: "Clip the gradients' global norm to this" })
      .option('label-smoothing', { type: 'number', describe: 'Label smoothing of the targets, 0 to below 1' })
      .option('augment', { type: 'string', describe: 'Augment training images: flip, cropN (N pixels of padding), comma-separated, e.g. flip,crop4' })
      .option('val-split', { type: 'number', describe: 'Hold out this fraction of the training set for validation' })
      .option('patience', { type: 'number', describe: 'Stop after this many epochs without a better validation (else test) accuracy' })
      .option('keep', { type: 'string', describe: `Checkpoints to keep: ${keepPolicies.join(' or ')} (best also saves RUN/best)` })
      .option('seed', { type: 'string', describe: 'Seeds weights, shuffling, augmentation and the validation split' })
      .option('backend', {
        choices: ['auto', 'gpu', 'node', 'wasm', 'cpu'] as const,
        default: 'auto' as const,
        describe: 'TensorFlow.js backend; auto picks the fastest available',
      })
      .option('bn', { type: 'string', describe: `Compile every bn to tfjs's layer or netc's own: ${bnImpls.join(' or ')}` })
      .option('data', { type: 'string', describe: "Directory with the catalogue dataset's files (instead of the cache)" })
      .option('download', { type: 'boolean', default: true, describe: 'Download a catalogue dataset when it is not found' })
      .option('out', { type: 'string', describe: 'Run directory (default runs/<model>-<YYYYMMDD-HHMMSS>)' })
      .option('resume', { type: 'string', describe: 'Continue the run in this directory from its last checkpoint' })
      .option('subset', { type: 'string', describe: 'Train on the first N training images only (quick runs)' })
      .option('threads', {
        type: 'string',
        describe: 'Training threads: a number, or auto (the default with --backend auto: all cores when they measure faster)',
      })
      .option('engine', {
        choices: ['tfjs', 'torch'] as const,
        default: 'tfjs' as const,
        describe: 'Train with TensorFlow.js (netc itself) or export to PyTorch and train there',
      })
      .option('nproc', { type: 'number', describe: 'With --engine torch: data-parallel processes on this machine (default 1)' })
      .option('python', { type: 'string', describe: 'With --engine torch: python3 with PyTorch (default: $NETC_PYTHON, python3 on PATH, /usr/bin/python3)' })
      .example('netc train models/lenet-bn.net', "the seed's run: 10 epochs, batch 256, sgd lr 1.0")
      .example('netc train models/lenet-bn.net --engine torch --nproc 2', 'PyTorch, 2 processes (DDP, synchronised batch norm)')
      .example('netc train models/lenet-bn.net --epochs 1 --subset 5000', 'a quick look')
      .example('netc train models/cifar-resnet.net --epochs 5 --augment flip,crop4', "CIFAR-10 with the file's recipe")
      .example('netc train digits.net --dataset folder:digits/ --val-split 0.1 --patience 3', 'your own images')
      .example('netc train --resume runs/lenet_bn-20250101-120000', 'continue an interrupted run')
      .epilogue(
        "Flags override the file's `train` line. Ctrl-C stops at the end of the current batch and saves; a second " +
          'Ctrl-C quits at once (the last checkpoint stays intact). With --resume, only --epochs, --lr, --patience, --keep, --backend and ' +
          '--data may change. One run at a time per directory (a lock file, .netc-lock). A loss that diverges stops the ' +
          'run (NN5006) with a rate to try. Exit status: 0 trained, 1 model, data, run-directory or training error, ' +
          '2 usage, 3 internal error, 130 stopped by Ctrl-C.',
      ) as unknown as Argv<TrainArgs>,

  async run(args, io) {
    const flags = readFlags(args);
    if (args.engine === 'torch') return (await import('./trainTorch.js')).trainOnTorch(args, flags, io);
    if (args.nproc !== undefined) throw new CliError('--nproc is for --engine torch; the tfjs engine takes --threads.');
    // TensorFlow.js loads only once a command needs it: `netc check` and `netc --help` stay fast.
    const [{ selectBackend }, { hasCheckpoint, loadCheckpoint }, { trainModel }, { parallelUnavailableReason }, { lockRunDir }] = await Promise.all([
      import('../../backend/select.js'),
      import('../../train/checkpoint.js'),
      import('../../train/train.js'),
      import('../../train/parallel/parallelStep.js'),
      import('../../train/runLock.js'),
    ]);
    // A resumed run is locked before its checkpoint is read: another process may be writing the next one.
    const resumeLock = args.resume !== undefined && hasCheckpoint(args.resume) ? lockRunDir(args.resume) : null;
    try {
      if (resumeLock?.tookOver) io.err(`netc: note: ${resumeLock.tookOver}.\n`);
      const resume = args.resume !== undefined ? loadCheckpoint(args.resume, 'resume') : undefined;
      const modelFile = resume ? resumedModelFile(args, resume) : readRequiredModelFile(args);
      if (!modelFile.model) {
        reportDiagnostics(io, [modelFile]);
        return 1;
      }
      const model = modelFile.model;
      const hyperparameters = resume ? resumedHyperparametersOf(args, flags, resume) : resolveHyperparameters(model.train, flagsOf(args, flags));
      for (const conflict of recipeConflicts(hyperparameters)) throw new CliError(conflict.message, 2, conflict.code);
      // A catalogue dataset's size is known before anything is read: a misfit is refused before loading.
      const spec = parseDatasetSpec(hyperparameters.dataset);
      const known = spec.kind === 'catalogue' ? datasets[spec.name] : undefined;
      if (spec.kind === 'catalogue' && known === undefined) throw new CliError(`there is no dataset '${spec.name}'.`);
      if (known !== undefined && !reportMisfit(io, modelFile, fitModelToDataset(model, known))) return 1;
      if (modelFile.diagnostics.length > 0) reportDiagnostics(io, [modelFile]);
      if (resume && resume.state.epochsDone >= hyperparameters.epochs && resume.state.partial === null) {
        // Nothing to train: no backend, no data, no thread measurement, no rewritten curves.
        const done = resume.state.epochsDone;
        io.out(`${args.resume} already has ${done} of ${hyperparameters.epochs} epochs; nothing to do. Pass --epochs above ${done} to train further.\n`);
        return 0;
      }
      const runDir = resume ? args.resume! : chooseRunDir(args.out, model.name, hasCheckpoint);

      const fastPath = fastPathFromEnvironment(process.env);
      const backend = await selectBackend(args.backend, { fastPath });
      io.out(`${backend.reason}\n`);
      const threads = threadsRequest(args, io);
      const noThreads = threads !== 'auto' && threads > 1 ? parallelUnavailableReason(fastPath) : null;
      if (noThreads !== null) throw new CliError(`${noThreads}.`);
      const { loadDataset } = await import('../../data/loadDataset.js');
      const data = await loadDataset(hyperparameters.dataset, {
        ...(args.data !== undefined ? { dataDir: args.data } : {}),
        download: args.download,
        onProgress: downloadProgress(io),
      });
      const fit = fitModelToDataset(model, shapeOf(data));
      if (!reportMisfit(io, modelFile, fit)) return 1;
      if (hyperparameters.subset !== null && hyperparameters.subset > data.train.count) {
        throw new CliError(`--subset ${hyperparameters.subset} is more than the ${data.train.count.toLocaleString('en-US')} training images.`);
      }
      const { train, validation } = splits(data, hyperparameters);
      // Created only now, so that a run refused for its data leaves no empty directory behind.
      const created = !existsSync(runDir);
      ensureRunDir(runDir);
      let lock = resumeLock;
      let saved = false;
      try {
        if (lock === null) {
          lock = lockRunDir(runDir);
          if (lock.tookOver) io.err(`netc: note: ${lock.tookOver}.\n`);
          // Checked again under the lock: a run that finished between the first look and the lock is not overwritten.
          if (hasCheckpoint(runDir)) chooseRunDir(runDir, model.name, hasCheckpoint);
        }
        const outcome = await runTraining(io, {
          trainModel, modelFile, model, hyperparameters, train, test: data.test, exampleShape: fit.exampleShape!, backend, runDir,
          resume, threads, fastPath, data, validation,
          onSaved: () => void (saved = true),
        });
        saved ||= outcome.checkpoint !== null;
        return outcome.code;
      } finally {
        if (lock !== resumeLock) lock?.release();
        // A run that failed before its first checkpoint leaves no empty directory of its own making.
        if (created && !saved) removeIfEmpty(runDir);
      }
    } finally {
      resumeLock?.release();
    }
  },
};

/** What runTraining needs: the loaded pieces of a run. */
interface RunSetup {
  readonly trainModel: typeof TrainModelFn;
  readonly modelFile: ModelFile;
  readonly model: CheckedModel;
  readonly hyperparameters: Hyperparameters;
  readonly train: ImageSplit;
  readonly test: ImageSplit;
  readonly exampleShape: readonly number[];
  readonly backend: { readonly name: string; readonly device: string };
  readonly runDir: string;
  readonly resume: LoadedCheckpoint | undefined;
  readonly threads: ThreadsRequest;
  readonly fastPath: boolean;
  readonly data: LoadedDataset;
  readonly validation: ImageSet | undefined;
  readonly onSaved: () => void;
}

/** Trains with progress, Ctrl-C handling and the closing lines; resolves to the exit code and the last checkpoint. */
async function runTraining(io: CliIO, r: RunSetup): Promise<{ code: number; checkpoint: string | null }> {
  const { model, hyperparameters, runDir, backend } = r;
  io.out(headerLines(model, hyperparameters, r.data, r.train.count, r.validation?.count ?? 0, runDir, r.resume));
  const controller = new AbortController();
  let firstInterrupt: number | null = null;
  const onSigint = (): void => {
    const now = performance.now();
    if (firstInterrupt === null) {
      firstInterrupt = now;
      controller.abort();
      io.err('\nStopping at the end of this batch to save a checkpoint; press Ctrl-C again to quit at once.\n');
    } else if (now - firstInterrupt < duplicateSigintMs) {
      // Wrappers (npx, npm exec, timeout) forward the terminal's SIGINT to a process that already got it:
      // one keypress arrives twice within milliseconds and must not count as the second Ctrl-C.
      return;
    } else {
      // Saves rename synchronously, so this handler never runs between the renames: the last checkpoint is whole.
      // process.exit runs the run lock's exit hook, so the directory is free again.
      io.err(`\nQuit without saving; the last checkpoint in ${runDir} is intact.\n`);
      process.exit(interruptedExit);
    }
  };
  process.on('SIGINT', onSigint);
  const progress = new EpochProgress({
    write: io.out,
    isTTY: io.isTTY,
    ...(process.stdout.columns !== undefined ? { columns: process.stdout.columns } : {}),
  });
  let outcome: TrainOutcome;
  try {
    outcome = await r.trainModel({
      file: r.modelFile.file,
      source: r.modelFile.source,
      model,
      hyperparameters,
      train: r.train,
      test: r.test,
      ...(r.validation !== undefined ? { validation: r.validation } : {}),
      classNames: r.data.classNames,
      exampleShape: r.exampleShape,
      backend: backend.name,
      runDir,
      fastPath: r.fastPath,
      ...(r.resume ? { resume: r.resume } : {}),
      signal: controller.signal,
      threads: r.threads,
      onThreads: (line) => io.out(`${line}\n`),
      observer: {
        epochStart: (epoch, epochs, batches, startBatch) => progress.start(epoch, epochs, batches, startBatch),
        batchEnd: (_epoch, sums) => progress.update(sums),
        epochEnd: (record) => {
          r.onSaved();
          progress.finish();
          io.out(`${formatEpochLine(record, hyperparameters.epochs, backend.name)}\n`);
        },
        warning: (code, message) => {
          progress.finish();
          io.err(`netc: warning ${code}: ${message}\n`);
        },
      },
    });
  } catch (error) {
    progress.finish();
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }

  if (outcome.status === 'interrupted') {
    progress.finish();
    const at = outcome.stoppedAt!;
    const where = at.batchesDone > 0 ? `during epoch ${at.epoch}, after batch ${at.batchesDone} of ${at.totalBatches}` : `before epoch ${at.epoch}`;
    io.out(`stopped ${where}; saved ${outcome.checkpoint}\n`);
    io.out(`resume with: netc train --resume ${runDir}\n`);
    return { code: interruptedExit, checkpoint: outcome.checkpoint };
  }
  const last = outcome.history[outcome.history.length - 1];
  if (last === undefined) throw new Error('internal: a completed run has at least one epoch');
  // The device line names the threads the run actually used, not the backend's own (one per wasm instance).
  const device = `${backend.device}, ${outcome.threads} training thread${outcome.threads === 1 ? '' : 's'}`;
  io.out(formatFinalLines(last, outcome.examplesPerSec, device));
  if (outcome.stoppedEarly !== null && outcome.best !== null) {
    io.out(`stopped early after epoch ${outcome.stoppedEarly} of ${hyperparameters.epochs}: no better ${outcome.best.metric} for ${hyperparameters.patience} epochs\n`);
  }
  if (outcome.best !== null && (hyperparameters.keep === 'best' || hyperparameters.patience !== null || r.validation !== undefined)) {
    const where = outcome.best.checkpoint !== null ? ` (checkpoint ${outcome.best.checkpoint})` : '';
    io.out(`best:          epoch ${outcome.best.epoch}, ${outcome.best.metric} ${outcome.best.value.toFixed(3)}${where}\n`);
  }
  io.out(`run directory: ${runDir}\n`);
  io.out(`checkpoint:    ${outcome.checkpoint} (epoch ${outcome.history.length})\n`);
  if (outcome.curves) {
    const { svg, csv, json } = outcome.curves;
    io.out(`curves:        ${svg} (numbers in ${basename(csv)} and ${basename(json)})\n`);
  }
  return { code: 0, checkpoint: outcome.checkpoint };
}

/** Reads the numeric flags and rejects values that make no sense before anything is loaded (exit 2). */
export function readFlags(args: TrainArgs): NumberFlags {
  // The flags a file's `train` line (or a `bn`) also sets: the checker's specs, codes and wording. Numbers come as
  // text, so that `--lr abc` and a bare `--epochs` are refused in those words too.
  const flags: NumberFlags = {
    epochs: readNumberFlag('epochs', args.epochs),
    batch: readNumberFlag('batch', args.batch),
    lr: readNumberFlag('lr', args.lr),
    momentum: readNumberFlag('momentum', args.momentum),
    seed: readNumberFlag('seed', args.seed),
    subset: readNumberFlag('subset', args.subset),
  };
  for (const flag of ['optimizer', 'bn'] as const) checkFlag(flag, args[flag]);
  for (const flag of ['dataset', 'nesterov', 'schedule', 'warmup', 'step', 'gamma', 'wd', 'clip', 'patience', 'keep'] as const) checkFlag(flag, args[flag]);
  checkFlag('wd-all', args.wdAll);
  checkFlag('label-smoothing', args.labelSmoothing);
  checkFlag('val-split', args.valSplit);
  if (args.augment !== undefined) parseAugment(args.augment);
  if (args.file === undefined && args.resume === undefined) {
    throw new CliError('name a .net file to train, or --resume DIR to continue a run.');
  }
  if (args.resume !== undefined && args.out !== undefined) {
    throw new CliError('--resume continues in its own directory; leave out --out.');
  }
  if (args.threads !== undefined && args.threads !== 'auto' && !/^[1-9]\d*$/.test(args.threads)) {
    throw new CliError(`--threads must be auto or a whole number above 0, got ${args.threads === '' ? 'no value' : args.threads}.`);
  }
  return flags;
}

/**
 * --threads as given; absent means measure (auto) when the backend is chosen automatically, else one thread. More
 * threads than cores only take turns on them (and each holds a copy of the model): capped, with a warning.
 */
function threadsRequest(args: TrainArgs, io: CliIO, cores: number = availableParallelism()): ThreadsRequest {
  if (args.threads === undefined) return args.backend === 'auto' ? 'auto' : 1;
  if (args.threads === 'auto') return 'auto';
  const asked = Number(args.threads);
  if (asked <= cores) return asked;
  io.err(`netc: warning: --threads ${asked} is more than the ${cores} cores of this machine; training on ${cores} threads.\n`);
  return cores;
}

/** Removes a run directory that holds nothing (a run that failed before saving); leaves it when anything is there. */
function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Best effort: a directory that cannot be read or removed is left as it is.
  }
}

export function flagsOf(args: TrainArgs, flags: NumberFlags): HyperparameterFlags {
  return {
    epochs: flags.epochs,
    batch: flags.batch,
    lr: flags.lr,
    optimizer: args.optimizer,
    momentum: flags.momentum,
    seed: flags.seed,
    bn: args.bn,
    subset: flags.subset,
    dataset: args.dataset,
    schedule: args.schedule,
    warmup: args.warmup,
    step: args.step,
    gamma: args.gamma,
    wd: args.wd,
    wdAll: args.wdAll,
    nesterov: args.nesterov,
    clip: args.clip,
    labelSmoothing: args.labelSmoothing,
    ...(args.augment !== undefined ? parseAugment(args.augment) : {}),
    valSplit: args.valSplit,
    patience: args.patience,
    keep: args.keep,
  };
}

/** Prints a model's misfit with its dataset at the file's lines; false when there is one. */
function reportMisfit(io: CliIO, modelFile: ModelFile, fit: ReturnType<typeof fitModelToDataset>): boolean {
  if (fit.exampleShape !== null) return true;
  reportDiagnostics(io, [withFitDiagnostics(modelFile, fit.diagnostics)]);
  return false;
}

/** What a loaded dataset asks of a model. */
function shapeOf(data: LoadedDataset): DatasetShape {
  return { name: data.name, channels: data.train.channels, rows: data.train.rows, cols: data.train.cols, classes: data.classNames.length };
}

/**
 * The run's training set (`--subset` first, then `--val-split` held out of it) and validation set. The split is
 * drawn with the seed (0 without one), so a resumed run holds out the same images.
 */
function splits(data: LoadedDataset, h: Hyperparameters): { train: ImageSet; validation: ImageSet | undefined } {
  const train = h.subset !== null ? { ...subset(data.train, h.subset), channels: data.train.channels } : data.train;
  if (h.valSplit === null) return { train, validation: undefined };
  const held = Math.round(train.count * h.valSplit);
  if (held < 1 || held >= train.count) {
    throw new CliError(`--val-split ${h.valSplit} of ${train.count.toLocaleString('en-US')} training images leaves ${held < 1 ? 'no validation' : 'no training'} images.`);
  }
  return splitValidation(train, h.valSplit, permutation(train.count, Rng.fromSeed(h.seed ?? 0)));
}

/** The file, checked against the dataset it will train on (--dataset over its own `dataset=`). */
function readRequiredModelFile(args: TrainArgs): ModelFile {
  return readModelFile(args.file!, args.dataset !== undefined ? { dataset: args.dataset } : {});
}

/** The run's own copy of its source; a FILE given beside --resume must be that same text. */
function resumedModelFile(args: TrainArgs, resume: LoadedCheckpoint): ModelFile {
  if (args.file !== undefined) {
    const given = readModelFile(args.file);
    if (given.source !== resume.source) {
      throw new CliError(
        `${args.file} is not the model the run in ${args.resume} was trained from (its copy is ${join(resume.dir, 'model.net')}); ` +
          'leave FILE out to resume, or start a new run without --resume.',
      );
    }
  }
  return analyze(resume.source, resume.state.file, { dataset: resume.state.hyperparameters.dataset });
}

/** The checkpoint's recipe with the changes resume allows (src/train/resume.ts); a refused change is a usage error. */
function resumedHyperparametersOf(args: TrainArgs, flags: NumberFlags, resume: LoadedCheckpoint): Hyperparameters {
  const recipe = {
    dataset: args.dataset, schedule: args.schedule, warmup: args.warmup, step: args.step, gamma: args.gamma, wd: args.wd,
    wdAll: args.wdAll, nesterov: args.nesterov, clip: args.clip, labelSmoothing: args.labelSmoothing, valSplit: args.valSplit,
    patience: args.patience, keep: args.keep, ...(args.augment !== undefined ? parseAugment(args.augment) : {}),
  };
  const result = resumedHyperparameters(resume.state.hyperparameters, { ...flags, ...recipe, optimizer: args.optimizer, bn: args.bn });
  if (!result.ok) throw new CliError(result.message);
  return result.hyperparameters;
}

/** `--out` or `runs/<model>-<YYYYMMDD-HHMMSS>` (src/train/runDirectory.ts); an existing run there is never overwritten. */
export function chooseRunDir(out: string | undefined, modelName: string, hasCheckpoint: (dir: string) => boolean): string {
  const dir = newRunDir(out, modelName);
  const problem = newRunDirProblem(dir, hasCheckpoint);
  if (problem !== null) throw new CliError(problem);
  return dir;
}

export function headerLines(
  model: CheckedModel,
  h: Hyperparameters,
  data: { readonly source: string; readonly test: { readonly count: number } },
  trainCount: number,
  validationCount: number,
  runDir: string,
  resume: LoadedCheckpoint | undefined,
): string {
  const count = (n: number): string => n.toLocaleString('en-US');
  const spec = parseDatasetSpec(h.dataset);
  const name = spec.kind === 'catalogue' ? h.dataset : spec.kind;
  const validation = validationCount > 0 ? `, ${count(validationCount)} validation` : '';
  const lines = [
    `training ${model.name} (${count(model.totals.trainable)} trainable parameters) on ${name} from ${data.source}: ` +
      `${count(trainCount)} training${validation} and ${count(data.test.count)} test images`,
    `${h.epochs} epochs, batch ${h.batch}, ${describeOptimizer(h)}` +
      `${h.seed !== null ? `, seed ${h.seed}` : ''}${h.bn !== null ? `, bn ${h.bn}` : ''}; saving to ${runDir}`,
  ];
  if (resume) {
    const s = resume.state;
    const within = s.partial ? `, batch ${s.partial.batchesDone + 1}` : '';
    lines.push(
      s.epochsDone >= h.epochs
        ? `the run already has ${s.epochsDone} epochs; pass --epochs above ${s.epochsDone} to train further`
        : `resuming at epoch ${s.epochsDone + 1}${within} (trained on ${s.backend})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A download progress display: one redrawn line per file on a terminal, one line per file elsewhere. */
export function downloadProgress(io: CliIO): (p: { file: string; received: number; total: number | null }) => void {
  let current = '';
  let lastDraw = 0;
  return (p) => {
    const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
    if (!io.isTTY) {
      if (p.file !== current) io.out(`downloading ${p.file}\n`);
      current = p.file;
      return;
    }
    const now = performance.now();
    const done = p.total !== null && p.received >= p.total;
    if (p.file === current && now - lastDraw < 100 && !done) return;
    current = p.file;
    lastDraw = now;
    const of = p.total !== null ? ` of ${mb(p.total)} MB` : ' MB';
    io.out(`\rdownloading ${p.file}: ${mb(p.received)}${of}\x1b[K${done ? '\n' : ''}`);
  };
}

