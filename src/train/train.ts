import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { CheckedModel } from '../ir/model.js';
import { chooseTrainStep, type ThreadsRequest } from './parallel/chooseThreads.js';
import { compileModel } from '../compile/compile.js';
import { NetcError } from '../diagnostics/NetcError.js';
import { namedTensors, saveCheckpoint, weightTensors, type LoadedCheckpoint, type TrainState } from './checkpoint.js';
import { writeCurves } from './curves.js';
import { augmentBatch, augments, batchRng } from './augment.js';
import { optimizers } from '../ir/catalogue.js';
import type { Hyperparameters } from './hyperparameters.js';
import { createOptimizer } from './optimizer.js';
import { permutation, Rng } from './random.js';
import type { EpochRecord, EpochSums } from './report.js';
import { evaluate } from './step.js';

/** The part of a dataset split the loop reads: images as [0, 1] floats, row-major, channels-last. */
export interface ImageSplit {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** Values per pixel; 1 when absent. */
  readonly channels?: number;
}

/** What the loop reports as it goes; the CLI draws these, tests record them. */
export interface TrainObserver {
  /** An epoch begins (part-way, at `startBatch`, when a run is resumed inside it). */
  epochStart?(epoch: number, epochs: number, totalBatches: number, startBatch: number): void;
  /** A training step finished; `model` is exposed for tests that tamper with weights. */
  batchEnd?(epoch: number, sums: EpochSums, model: tf.LayersModel): void;
  /** An epoch finished, was evaluated and checkpointed. */
  epochEnd?(record: EpochRecord, checkpoint: string): void;
  /** Something the user should know that does not stop the run (a model not learning), as one sentence. */
  warning?(code: 'NN5007', message: string): void;
}

/** One training run: a checked model, its recipe, the data, and where to save. */
export interface TrainRequest {
  /** The .net file's path, recorded in checkpoints and messages. */
  readonly file: string;
  /** The .net text, saved beside every checkpoint so that a run directory is self-contained. */
  readonly source: string;
  readonly model: CheckedModel;
  readonly hyperparameters: Hyperparameters;
  readonly train: ImageSplit;
  readonly test: ImageSplit;
  /** Held out of the training set (`--val-split`): evaluated every epoch, and what early stopping and keep=best watch. */
  readonly validation?: ImageSplit;
  /** The dataset's class names, saved in checkpoints for `netc predict`. */
  readonly classNames?: readonly string[];
  /** Per-example tensor shape of the compiled model (`fitModelToDataset`). */
  readonly exampleShape: readonly number[];
  /** Short backend name for checkpoints (`wasm`). */
  readonly backend: string;
  readonly runDir: string;
  /** A checkpoint to continue from; its hyperparameters must be the ones passed here (epochs and lr may differ). */
  readonly resume?: LoadedCheckpoint;
  /** Aborting stops the run at the end of the current batch, after saving. */
  readonly signal?: AbortSignal;
  readonly observer?: TrainObserver;
  /** Test images per evaluation batch: bigger is faster, until memory runs short. */
  readonly evalBatch?: number;
  /**
   * netc's fast path (fused batch norm, SIMD kernels; the CLI's NETC_FAST_PATH): must match the `fastPath` the
   * backend's kernels were registered with (`selectBackend`).
   */
  readonly fastPath: boolean;
  /** Training threads (src/train/parallel/chooseThreads.ts): a count, or `auto` to measure; default 1. */
  readonly threads?: ThreadsRequest;
  /** Told how many threads train and why, once they are chosen. */
  readonly onThreads?: (reason: string) => void;
}

/** How a run ended. */
export interface TrainOutcome {
  /** `interrupted` when the signal stopped it; it then has a checkpoint to resume. */
  readonly status: 'completed' | 'interrupted';
  readonly history: readonly EpochRecord[];
  /** Examples per second of training-step time over every epoch of the run, resumed parts included. */
  readonly examplesPerSec: number;
  /** The latest checkpoint directory, or null when nothing was saved. */
  readonly checkpoint: string | null;
  /** The curves files, or null before the first epoch completes. */
  readonly curves: { readonly svg: string; readonly csv: string; readonly json: string } | null;
  /** Where an interrupted run stopped. */
  readonly stoppedAt: { readonly epoch: number; readonly batchesDone: number; readonly totalBatches: number } | null;
  /** The training threads the run used (--threads, or what `auto` measured). */
  readonly threads: number;
  /** The epoch with the best watched accuracy so far, and its saved copy with keep=best; null before any epoch. */
  readonly best: BestEpoch | null;
  /** Set when `patience` ended the run before its last epoch: the epoch it stopped after. */
  readonly stoppedEarly: number | null;
}

/** The best epoch by the watched accuracy (validation when there is a validation set, else test). */
export interface BestEpoch {
  readonly epoch: number;
  readonly metric: 'val acc' | 'test acc';
  readonly value: number;
  /** The checkpoint directory holding that epoch's weights (keep=best), or null. */
  readonly checkpoint: string | null;
}

/** The accuracy early stopping and keep=best watch. */
function watched(record: EpochRecord): number {
  return record.valAcc ?? record.testAcc;
}

/** The first epoch with the highest watched accuracy in a history. */
export function bestEpoch(history: readonly EpochRecord[]): EpochRecord | null {
  let best: EpochRecord | null = null;
  for (const r of history) if (best === null || watched(r) > watched(best)) best = r;
  return best;
}

/** The directory keep=best saves the best epoch's checkpoint under. */
export function bestRunDir(runDir: string): string {
  return join(runDir, 'best');
}

/**
 * An epoch whose mean loss is this many times the run's first batch loss has diverged (NN5006): a falling loss
 * never gets there, and a rate far too large (LeNet-BN at lr 1e6: 11 million after one epoch) is far past it.
 */
export const divergenceFactor = 10;

/** Steps a run must have taken before accuracy at chance counts as "not learning" (NN5007): one step proves nothing. */
const minStepsToJudge = 20;

/**
 * Trains as d2l's train_ch6 does: every epoch a fresh shuffle, one optimizer step per batch (the last batch may be
 * short), loss and accuracy summed over the epoch in training mode, then the whole test set in inference mode.
 * After every epoch the model, optimizer and loop state are checkpointed and the curves rewritten. A non-finite loss
 * throws NN5004 and leaves the last good checkpoint untouched.
 */
export async function trainModel(request: TrainRequest): Promise<TrainOutcome> {
  const h = request.hyperparameters;
  const { train, test, runDir, observer } = request;
  const compileOptions = { ...(h.bn === null ? {} : { bn: h.bn }), ...(h.seed === null ? {} : { seed: h.seed }), fuse: request.fastPath };
  const model = compileModel(request.model, compileOptions);
  const totalBatches = Math.ceil(train.count / h.batch);
  const optimizer = createOptimizer(h, totalBatches);
  let closeStep = async (): Promise<void> => undefined;
  try {
    const resumed = request.resume;
    if (resumed) await restore(model, optimizer, resumed);
    // Measuring threads runs steps of the run's batch; a batch larger than the data is never trained, and one that
    // large can exhaust the backend's memory (a wasm heap) before training starts.
    const measured = { ...h, batch: Math.max(1, Math.min(h.batch, train.count)) };
    const chosen = await chooseTrainStep({ model, optimizer, checked: request.model, compile: compileOptions, hyperparameters: measured }, request.threads ?? 1);
    closeStep = () => chosen.close();
    request.onThreads?.(chosen.reason);
    const step = chosen.step;

    const state0 = resumed?.state;
    const rng = state0 ? new Rng(state0.rng) : h.seed !== null ? Rng.fromSeed(h.seed) : Rng.fromEntropy();
    const history: EpochRecord[] = [...(state0?.history ?? [])];
    let totalSeconds = state0?.trainSeconds ?? 0;
    let totalExamples = state0?.examples ?? 0;
    let checkpoint: string | null = resumed ? resumed.dir : null;
    let curves: TrainOutcome['curves'] = null;
    let partial = state0?.partial ?? null;

    const curvesOptions = { title: request.model.name, epochs: h.epochs };
    const shape = { rows: train.rows, cols: train.cols, channels: train.channels ?? 1 };
    const pixels = shape.rows * shape.cols * shape.channels;
    const augmentation = { flip: h.flip, crop: h.crop };
    const scratch = new Float32Array(pixels);
    const metric: BestEpoch['metric'] = request.validation ? 'val acc' : 'test acc';
    const bestDir = bestRunDir(runDir);
    const describeBest = (): BestEpoch | null => {
      const b = bestEpoch(history);
      if (b === null) return null;
      return { epoch: b.epoch, metric, value: watched(b), checkpoint: h.keep === 'best' ? join(bestDir, 'checkpoint') : null };
    };
    let stoppedEarly: number | null = null;
    // The first batch's mean loss in this process: the reference that divergence is measured against.
    let firstLoss: number | null = null;
    // Steps taken in this process: a model is judged "not learning" only after enough of them to learn something.
    let steps = 0;
    const outcome = (status: TrainOutcome['status'], stoppedAt: TrainOutcome['stoppedAt']): TrainOutcome => ({
      status,
      threads: chosen.threads,
      history,
      examplesPerSec: totalSeconds > 0 ? totalExamples / totalSeconds : 0,
      checkpoint,
      curves,
      stoppedAt,
      best: describeBest(),
      stoppedEarly,
    });
    const stateAt = (epochsDone: number, rngState: Rng, sums: EpochSums | null): TrainState => ({
      model: request.model.name,
      file: request.file,
      hyperparameters: h,
      backend: request.backend,
      epochsDone,
      rng: rngState.state(),
      partial: sums,
      history,
      trainSeconds: totalSeconds,
      examples: totalExamples,
      ...(request.classNames ? { classNames: request.classNames } : {}),
    });

    for (let epoch = history.length + 1; epoch <= h.epochs; epoch++) {
      if (h.patience !== null && patienceRanOut(history, h.patience)) {
        // A resumed run whose patience had already run out (the stop was interrupted before it was reported).
        stoppedEarly = history.length;
        break;
      }
      const epochBegan = performance.now();
      // Kept so that a checkpoint taken inside this epoch can redraw the same permutation on resume.
      const rngAtStart = new Rng(rng.state());
      const order = permutation(train.count, rng);
      // Drawn after the permutation, only when augmenting, so runs without augmentation shuffle as before.
      const augmentSeed = augments(augmentation) ? rng.nextUint32() : 0;
      const firstLr = optimizerRate(optimizer, sumsStart(partial));
      let sums: EpochSums = partial ?? { batchesDone: 0, examples: 0, lossSum: 0, correct: 0, trainSeconds: 0 };
      partial = null;
      observer?.epochStart?.(epoch, h.epochs, totalBatches, sums.batchesDone);

      while (sums.batchesDone < totalBatches) {
        // Signals are delivered between event-loop turns; a purely synchronous loop would never see Ctrl-C.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (request.signal?.aborted) {
          const stoppedAt = { epoch, batchesDone: sums.batchesDone, totalBatches };
          const saved = stateAt(epoch - 1, rngAtStart, sums.batchesDone > 0 ? sums : null);
          checkpoint = await saveCheckpoint(runDir, model, optimizer, request.source, saved);
          return outcome('interrupted', stoppedAt);
        }
        const start = sums.batchesDone * h.batch;
        const indices = order.subarray(start, Math.min(train.count, start + h.batch));
        const began = performance.now();
        const values = gatherValues(train.images, indices, pixels);
        if (augments(augmentation)) augmentBatch(values, indices.length, shape, augmentation, batchRng(augmentSeed, sums.batchesDone), scratch);
        const x = tf.tensor(values, [indices.length, ...request.exampleShape], 'float32');
        const y = gatherLabels(train.labels, indices);
        let result: { loss: number; correct: number };
        try {
          result = step(x, y);
        } catch (error) {
          throw outOfMemory(error, h.batch) ?? error;
        } finally {
          x.dispose();
          y.dispose();
        }
        const seconds = (performance.now() - began) / 1000;
        if (!Number.isFinite(result.loss)) throw diverged(request, epoch, sums.batchesDone + 1, totalBatches, checkpoint, history.length);
        firstLoss ??= result.loss / indices.length;
        steps++;
        sums = {
          batchesDone: sums.batchesDone + 1,
          examples: sums.examples + indices.length,
          lossSum: sums.lossSum + result.loss,
          correct: sums.correct + result.correct,
          trainSeconds: sums.trainSeconds + seconds,
        };
        observer?.batchEnd?.(epoch, sums, model);
      }

      const lastLr = optimizer.learningRateAt(optimizer.steps - 1);
      const evalBatch = request.evalBatch ?? 1000;
      const { accuracy } = evaluate(model, test.images, test.labels, request.exampleShape, evalBatch);
      const validation = request.validation ? evaluate(model, request.validation.images, request.validation.labels, request.exampleShape, evalBatch).accuracy : undefined;
      const measured: EpochRecord = {
        epoch,
        loss: sums.lossSum / sums.examples,
        trainAcc: sums.correct / sums.examples,
        testAcc: accuracy,
        examplesPerSec: sums.examples / sums.trainSeconds,
        ...(validation !== undefined ? { valAcc: validation } : {}),
        lr: firstLr,
        lrEnd: lastLr,
      };
      const improved = bestEpoch(history) === null || watched(measured) > watched(bestEpoch(history)!);
      // The wall time includes the evaluation; the checkpoints' own time falls into the next epoch's count.
      const record: EpochRecord = { ...measured, seconds: (performance.now() - epochBegan) / 1000 };
      // Checked before saving: the weights of a diverged epoch must not replace the last good checkpoint.
      if (firstLoss !== null && record.loss > divergenceFactor * firstLoss) {
        throw divergedEpoch(request, record, firstLoss, checkpoint, history.length);
      }
      const classes = request.model.layers[request.model.layers.length - 1]?.outputShape[0] ?? 10;
      const atChance = record.trainAcc <= 1.5 / classes && record.testAcc <= 1.5 / classes;
      if (firstLoss !== null && steps >= minStepsToJudge && atChance && record.loss >= 0.9 * firstLoss) {
        observer?.warning?.(
          'NN5007',
          `After epoch ${epoch} the accuracy is at chance (train ${record.trainAcc.toFixed(3)}, test ${record.testAcc.toFixed(3)}, ` +
            `1 in ${classes} by guessing) and the loss has not fallen (${formatLoss(firstLoss)} at the first batch, ` +
            `${formatLoss(record.loss)} now): the model is not learning at lr ${h.lr}; try --lr ${smallerRate(h)}.`,
        );
      }
      history.push(record);
      totalSeconds += sums.trainSeconds;
      totalExamples += sums.examples;
      checkpoint = await saveCheckpoint(runDir, model, optimizer, request.source, stateAt(epoch, rng, null));
      if (h.keep === 'best' && improved) await saveCheckpoint(bestDir, model, optimizer, request.source, stateAt(epoch, rng, null));
      curves = await writeCurves(runDir, history, curvesOptions);
      observer?.epochEnd?.(record, checkpoint);
      if (h.patience !== null && epoch < h.epochs && patienceRanOut(history, h.patience)) {
        stoppedEarly = epoch;
        break;
      }
      if (request.signal?.aborted && epoch < h.epochs) {
        return outcome('interrupted', { epoch: epoch + 1, batchesDone: 0, totalBatches });
      }
    }
    if (curves === null && history.length > 0) curves = await writeCurves(runDir, history, curvesOptions);
    return outcome('completed', null);
  } finally {
    await closeStep();
    optimizer.dispose();
    model.dispose();
  }
}

/** Loads a checkpoint's weights and optimizer state into a freshly compiled model. */
async function restore(model: tf.LayersModel, optimizer: tf.Optimizer, checkpoint: LoadedCheckpoint): Promise<void> {
  const weights = weightTensors(checkpoint.weights);
  const optimizerWeights = namedTensors(checkpoint.optimizerWeights);
  try {
    model.loadWeights(weights, true);
    await optimizer.setWeights(optimizerWeights);
  } catch (error) {
    throw new NetcError(
      'NN5005',
      `Cannot resume: the weights in ${checkpoint.dir} do not match the model in its model.net (${(error as Error).message}).`,
    );
  } finally {
    // Variables assigned from these tensors hold their own references to the data.
    tf.dispose(Object.values(weights));
    tf.dispose(optimizerWeights.map((w) => w.tensor));
  }
}

/** The batch's images, copied in shuffled order, `pixels` values each. */
function gatherValues(images: Float32Array, indices: Int32Array, pixels: number): Float32Array {
  const batch = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]! * pixels;
    batch.set(images.subarray(from, from + pixels), i * pixels);
  }
  return batch;
}

/** True when the last `patience` epochs brought no better watched accuracy than the best before them. */
export function patienceRanOut(history: readonly EpochRecord[], patience: number): boolean {
  const best = bestEpoch(history);
  const last = history[history.length - 1];
  return best !== null && last !== undefined && last.epoch - best.epoch >= patience;
}

/** Batches already done in the epoch about to run (a resumed partial epoch). */
function sumsStart(partial: EpochSums | null): number {
  return partial?.batchesDone ?? 0;
}

/** The rate of the epoch's first step still to run. */
function optimizerRate(optimizer: ReturnType<typeof createOptimizer>, batchesDone: number): number {
  return optimizer.learningRateAt(optimizer.steps - batchesDone);
}

/** The batch's class indices, int32, in the same order as its images. */
function gatherLabels(labels: Int32Array, indices: Int32Array): tf.Tensor1D {
  const batch = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) batch[i] = labels[indices[i]!]!;
  return tf.tensor1d(batch, 'int32');
}

/** NN5004 with where it happened, what was kept, and what to try. */
function diverged(
  request: TrainRequest,
  epoch: number,
  batch: number,
  totalBatches: number,
  checkpoint: string | null,
  epochsSaved: number,
): NetcError {
  const lr = request.hyperparameters.lr;
  const smaller = smallerRate(request.hyperparameters);
  const kept =
    checkpoint !== null
      ? `The last good checkpoint (epoch ${epochsSaved}) is kept in ${checkpoint}; continue it with a smaller rate: ` +
        `\`netc train --resume ${request.runDir} --lr ${smaller}\`.`
      : `No epoch had completed, so nothing was saved; start again with a smaller rate, e.g. --lr ${smaller}.`;
  return new NetcError(
    'NN5004',
    `The loss became NaN or infinite at epoch ${epoch}, batch ${batch} of ${totalBatches} (lr ${lr}): training diverged. ${kept}`,
  );
}

/**
 * A learning rate to suggest after a divergence: the rate divided by ten, or by as many tens as it takes to reach
 * the optimizer's default (a rate known to train LeNet-BN: sgd 1, momentum 0.1, adam 0.001). Dividing 1e6 by ten
 * still diverges; the default, or below it, does not.
 */
export function smallerRate(h: Pick<Hyperparameters, 'lr' | 'optimizer'>): number {
  const limit = optimizers[h.optimizer].defaultLr;
  let rate = h.lr / 10;
  while (rate > limit * (1 + 1e-9)) rate /= 10;
  return Number(rate.toPrecision(2));
}

function formatLoss(loss: number): string {
  return loss < 1000 ? loss.toFixed(3) : Math.round(loss).toLocaleString('en-US');
}

/** NN5006: an epoch's loss far above the first batch's; nothing of the epoch is saved. */
function divergedEpoch(request: TrainRequest, record: EpochRecord, firstLoss: number, checkpoint: string | null, epochsSaved: number): NetcError {
  const h = request.hyperparameters;
  const smaller = smallerRate(h);
  const kept =
    checkpoint !== null
      ? `The last good checkpoint (epoch ${epochsSaved}) is kept in ${checkpoint}; continue it with a smaller rate: ` +
        `\`netc train --resume ${request.runDir} --lr ${smaller}\`.`
      : `No epoch had completed, so nothing was saved; start again with a smaller rate: --lr ${smaller}.`;
  return new NetcError(
    'NN5006',
    `Training diverged: the loss of epoch ${record.epoch} is ${formatLoss(record.loss)}, more than ${divergenceFactor} times ` +
      `the first batch's ${formatLoss(firstLoss)} (lr ${h.lr}, train accuracy ${record.trainAcc.toFixed(3)}). ${kept}`,
  );
}

/** NN4005 for a step that ran out of backend memory (a wasm heap past its limit), with a batch size to try. */
function outOfMemory(error: unknown, batch: number): NetcError | null {
  const message = error instanceof Error ? error.message : String(error);
  if (!/memory access out of bounds|out of memory|Array buffer allocation failed|Invalid typed array length/i.test(message)) return null;
  const smaller = Math.max(1, Math.floor(batch / 4));
  return new NetcError(
    'NN4005',
    `The backend ran out of memory training a batch of ${batch.toLocaleString('en-US')} (${message}); try --batch ${smaller}.`,
  );
}
