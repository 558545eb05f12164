import * as tf from '@tensorflow/tfjs';
import type { CheckedModel } from '../ir/model.js';
import { chooseTrainStep, type ThreadsRequest } from './parallel/chooseThreads.js';
import { compileModel } from '../compile/compile.js';
import { NetcError } from '../diagnostics/NetcError.js';
import { namedTensors, saveCheckpoint, weightTensors, type LoadedCheckpoint, type TrainState } from './checkpoint.js';
import { writeCurves } from './curves.js';
import type { Hyperparameters } from './hyperparameters.js';
import { createOptimizer } from './optimizer.js';
import { permutation, Rng } from './random.js';
import type { EpochRecord, EpochSums } from './report.js';
import { evaluate } from './step.js';

/** The part of a dataset split the loop reads: images as [0, 1] floats, row-major, one channel. */
export interface ImageSplit {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
}

/** What the loop reports as it goes; the CLI draws these, tests record them. */
export interface TrainObserver {
  /** An epoch begins (part-way, at `startBatch`, when a run is resumed inside it). */
  epochStart?(epoch: number, epochs: number, totalBatches: number, startBatch: number): void;
  /** A training step finished; `model` is exposed for tests that tamper with weights. */
  batchEnd?(epoch: number, sums: EpochSums, model: tf.LayersModel): void;
  /** An epoch finished, was evaluated and checkpointed. */
  epochEnd?(record: EpochRecord, checkpoint: string): void;
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
}

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
  const optimizer = createOptimizer(h);
  let closeStep = async (): Promise<void> => undefined;
  try {
    const resumed = request.resume;
    if (resumed) await restore(model, optimizer, resumed);
    const chosen = await chooseTrainStep({ model, optimizer, checked: request.model, compile: compileOptions, hyperparameters: h }, request.threads ?? 1);
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

    const totalBatches = Math.ceil(train.count / h.batch);
    const curvesOptions = { title: request.model.name, epochs: h.epochs };
    const pixels = train.rows * train.cols;
    const outcome = (status: TrainOutcome['status'], stoppedAt: TrainOutcome['stoppedAt']): TrainOutcome => ({
      status,
      history,
      examplesPerSec: totalSeconds > 0 ? totalExamples / totalSeconds : 0,
      checkpoint,
      curves,
      stoppedAt,
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
    });

    for (let epoch = history.length + 1; epoch <= h.epochs; epoch++) {
      // Kept so that a checkpoint taken inside this epoch can redraw the same permutation on resume.
      const rngAtStart = new Rng(rng.state());
      const order = permutation(train.count, rng);
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
        const x = gatherImages(train.images, indices, pixels, request.exampleShape);
        const y = gatherLabels(train.labels, indices);
        let result: { loss: number; correct: number };
        try {
          result = step(x, y);
        } finally {
          x.dispose();
          y.dispose();
        }
        const seconds = (performance.now() - began) / 1000;
        if (!Number.isFinite(result.loss)) throw diverged(request, epoch, sums.batchesDone + 1, totalBatches, checkpoint, history.length);
        sums = {
          batchesDone: sums.batchesDone + 1,
          examples: sums.examples + indices.length,
          lossSum: sums.lossSum + result.loss,
          correct: sums.correct + result.correct,
          trainSeconds: sums.trainSeconds + seconds,
        };
        observer?.batchEnd?.(epoch, sums, model);
      }

      const { accuracy } = evaluate(model, test.images, test.labels, request.exampleShape, request.evalBatch ?? 1000);
      const record: EpochRecord = {
        epoch,
        loss: sums.lossSum / sums.examples,
        trainAcc: sums.correct / sums.examples,
        testAcc: accuracy,
        examplesPerSec: sums.examples / sums.trainSeconds,
      };
      history.push(record);
      totalSeconds += sums.trainSeconds;
      totalExamples += sums.examples;
      checkpoint = await saveCheckpoint(runDir, model, optimizer, request.source, stateAt(epoch, rng, null));
      curves = await writeCurves(runDir, history, curvesOptions);
      observer?.epochEnd?.(record, checkpoint);
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

/** The batch's images, copied in shuffled order into one tensor of shape [n, ...exampleShape]. */
function gatherImages(images: Float32Array, indices: Int32Array, pixels: number, exampleShape: readonly number[]): tf.Tensor {
  const batch = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]! * pixels;
    batch.set(images.subarray(from, from + pixels), i * pixels);
  }
  return tf.tensor(batch, [indices.length, ...exampleShape], 'float32');
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
  const smaller = Number((lr / 10).toPrecision(2));
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
