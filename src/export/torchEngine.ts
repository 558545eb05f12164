/**
 * `netc train --engine torch`: the model exported to PyTorch (model.py, train.py, netc's initial weights as
 * weights.pt) in RUN/pytorch/, trained by N processes of its train.py on this machine. netc starts them itself with
 * the variables torchrun sets (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE): Debian's
 * torchrun fails before it starts anything. Rank 0 reports JSON lines; after each epoch its weights come back as a
 * netc checkpoint and the curves are redrawn, so the run directory is the tfjs engine's (plus pytorch/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import type { CheckedModel } from '../ir/model.js';
import { compileModel } from '../compile/compile.js';
import { NetcError } from '../diagnostics/NetcError.js';
import { exportModel } from './exportModel.js';
import { torchRecipe } from './pytorchTrain.js';
import { initialWeights } from './netcWeights.js';
import type { TorchPython } from './python.js';
import { fromStateDict, WeightsMismatch } from './stateDict.js';
import { readTensorBundle } from './torchWeights.js';
import { saveCheckpoint, type TrainState } from '../train/checkpoint.js';
import { writeCurves } from '../train/curves.js';
import type { Hyperparameters } from '../train/hyperparameters.js';
import { createOptimizer } from '../train/optimizer.js';
import { Rng } from '../train/random.js';
import type { EpochRecord, EpochSums } from '../train/report.js';
import type { TrainObserver, TrainOutcome } from '../train/train.js';

/** One PyTorch run. */
export interface TorchTrainRequest {
  readonly file: string;
  readonly source: string;
  readonly model: CheckedModel;
  readonly hyperparameters: Hyperparameters;
  readonly runDir: string;
  /** The directory holding the Fashion-MNIST files, handed to train.py. */
  readonly dataDir: string;
  /** Processes on this machine. */
  readonly nproc: number;
  readonly python: TorchPython;
  readonly netcVersion: string;
  readonly signal?: AbortSignal;
  readonly observer?: Omit<TrainObserver, 'batchEnd'> & { batchEnd?(epoch: number, sums: EpochSums): void };
  /** The environment the processes inherit (the CLI passes process.env). */
  readonly env: NodeJS.ProcessEnv;
}

/** The backend name recorded in checkpoints and epoch lines. */
export const torchBackendName = 'torch';

/** Where train.py and its trained weights live inside a run directory. */
export function torchDir(runDir: string): string {
  return join(runDir, 'pytorch');
}

/** Exports, launches, follows and converts; resolves when the processes end (or are stopped by the signal). */
export async function trainWithTorch(request: TorchTrainRequest): Promise<TrainOutcome> {
  const h = request.hyperparameters;
  const dir = torchDir(request.runDir);
  const weights = initialWeights(request.model, h.seed, h.bn);
  await exportModel(
    {
      model: request.model,
      weights,
      bn: h.bn,
      recipe: torchRecipe(h, request.model.train.dataset ?? 'fashion-mnist'),
      source: request.file,
      netcVersion: request.netcVersion,
    },
    'pytorch',
    dir,
    { python: () => request.python },
  );

  const port = await freePort();
  const cores = availableParallelism();
  const args = [
    join(dir, 'train.py'),
    '--netc-events',
    '--data', request.dataDir,
    '--out', join(dir, 'trained'),
    '--weights', join(dir, 'weights.pt'),
    '--epochs', String(h.epochs),
    '--batch', String(h.batch),
    '--lr', String(h.lr),
    '--optimizer', h.optimizer,
    '--momentum', String(h.momentum),
    '--seed', String(h.seed ?? 0),
    ...(h.subset !== null ? ['--subset', String(h.subset)] : []),
  ];
  const children: ChildProcess[] = [];
  const stderr: string[] = [];
  for (let rank = 0; rank < request.nproc; rank++) {
    const env: NodeJS.ProcessEnv = {
      ...request.env,
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
      WORLD_SIZE: String(request.nproc),
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      LOCAL_WORLD_SIZE: String(request.nproc),
      // As torchrun does: the cores shared out, so that N processes do not each start a thread per core.
      OMP_NUM_THREADS: request.env['OMP_NUM_THREADS'] ?? String(Math.max(1, Math.floor(cores / request.nproc))),
      PYTHONUNBUFFERED: '1',
    };
    const child = spawn(request.python.path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    stderr.push('');
    child.stderr!.on('data', (chunk: Buffer) => {
      // Only the end matters for a message; keep the last 16 kB.
      stderr[rank] = (stderr[rank]! + chunk.toString('utf8')).slice(-16_384);
    });
    if (rank > 0) child.stdout!.resume();
    children.push(child);
  }

  const history: EpochRecord[] = [];
  let checkpoint: string | null = null;
  let curves: TrainOutcome['curves'] = null;
  let diverged: { epoch: number; batch: number } | null = null;
  let currentEpoch = 0;
  let totalSeconds = 0;
  let totalExamples = 0;
  let pending: Promise<void> = Promise.resolve();
  let failure: unknown = null;

  const onEpoch = async (event: Record<string, number>): Promise<void> => {
    const record: EpochRecord = {
      epoch: event['epoch']!,
      loss: event['loss']!,
      trainAcc: event['trainAcc']!,
      testAcc: event['testAcc']!,
      examplesPerSec: event['examplesPerSec']!,
    };
    history.push(record);
    totalSeconds += event['seconds']!;
    totalExamples += event['examples']!;
    const state: TrainState = {
      model: request.model.name,
      file: request.file,
      hyperparameters: h,
      backend: torchBackendName,
      epochsDone: record.epoch,
      rng: Rng.fromSeed(h.seed ?? 0).state(),
      partial: null,
      history,
      trainSeconds: totalSeconds,
      examples: totalExamples,
    };
    checkpoint = await saveTorchCheckpoint(request, dir, state);
    curves = await writeCurves(request.runDir, history, { title: request.model.name, epochs: h.epochs });
    request.observer?.epochEnd?.(record, checkpoint);
  };

  const lines = createInterface({ input: children[0]!.stdout! });
  lines.on('line', (line) => {
    let event: Record<string, number> & { event?: string };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      return;
    }
    if (event.event === 'batch') {
      if (event['epoch'] !== currentEpoch) {
        currentEpoch = event['epoch']!;
        request.observer?.epochStart?.(currentEpoch, h.epochs, event['batches']!, 0);
      }
      request.observer?.batchEnd?.(currentEpoch, {
        batchesDone: event['batchesDone']!,
        examples: event['examples']!,
        lossSum: event['lossSum']!,
        correct: event['correct']!,
        trainSeconds: event['seconds']!,
      });
    } else if (event.event === 'epoch') {
      pending = pending.then(() => onEpoch(event)).catch((error: unknown) => {
        failure ??= error;
        stopAll(children);
      });
    } else if (event.event === 'diverged') {
      diverged = { epoch: event['epoch']!, batch: event['batch']! };
    }
  });

  const onAbort = (): void => stopAll(children);
  request.signal?.addEventListener('abort', onAbort);
  let statuses: (number | null)[];
  try {
    statuses = await Promise.all(children.map((child, rank) => exited(child, () => stopAll(children.filter((_, r) => r !== rank)))));
    await pending;
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== null) throw failure;
  const outcome = (status: TrainOutcome['status'], stoppedAt: TrainOutcome['stoppedAt']): TrainOutcome => ({
    status,
    history,
    examplesPerSec: totalSeconds > 0 ? totalExamples / totalSeconds : 0,
    checkpoint,
    curves,
    // Data-parallel workers: here processes, one per rank.
    threads: request.nproc,
    stoppedAt,
    best: null,
    stoppedEarly: null,
  });
  if (request.signal?.aborted) return outcome('interrupted', { epoch: history.length + 1, batchesDone: 0, totalBatches: 0 });
  const d = diverged as { epoch: number; batch: number } | null;
  if (d !== null) {
    throw new NetcError(
      'NN5004',
      `The loss became NaN or infinite at epoch ${d.epoch}, batch ${d.batch} (lr ${h.lr}): training diverged; ` +
        `try a smaller rate, e.g. --lr ${Number((h.lr / 10).toPrecision(2))}.`,
    );
  }
  const failed = statuses.findIndex((status) => status !== 0);
  if (failed >= 0) {
    const tail = stderr[failed]!.trim().split('\n').slice(-8).join('\n');
    throw new NetcError(
      'NN4103',
      `PyTorch process ${failed} of ${request.nproc} (${request.python.path} ${join(dir, 'train.py')}) ended with ` +
        `${statuses[failed] === null ? 'a signal' : `exit status ${statuses[failed]}`}:\n${tail || '(no error output)'}`,
    );
  }
  return outcome('completed', null);
}

/** The trained weights train.py saved, converted back and written as a netc checkpoint (a fresh optimizer state). */
async function saveTorchCheckpoint(request: TorchTrainRequest, dir: string, state: TrainState): Promise<string> {
  let weights;
  try {
    weights = fromStateDict(request.model, readTensorBundle(join(dir, 'trained')));
  } catch (error) {
    if (error instanceof WeightsMismatch) throw new NetcError('NN4103', `The weights PyTorch saved do not fit the model: ${error.message}.`);
    throw error;
  }
  const h = request.hyperparameters;
  const model = compileModel(request.model, h.bn === null ? {} : { bn: h.bn });
  const optimizer = createOptimizer(h);
  try {
    const byName = new Map(weights.map((w) => [w.name, w]));
    const tensors = model.weights.map((w) => {
      const saved = byName.get(w.originalName);
      if (saved === undefined) throw new NetcError('NN4103', `PyTorch saved no weight for '${w.originalName}'.`);
      return tf.tensor(saved.values, [...saved.shape]);
    });
    model.setWeights(tensors);
    tf.dispose(tensors);
    return await saveCheckpoint(request.runDir, model, optimizer, request.source, state);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** A TCP port free on 127.0.0.1 now (the rendezvous port of rank 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the exit status; a process that fails makes `onFailure` stop the others (they would wait forever). */
function exited(child: ChildProcess, onFailure: () => void): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('error', () => {
      onFailure();
      resolve(-1);
    });
    child.once('exit', (code) => {
      if (code !== 0) onFailure();
      resolve(code);
    });
  });
}

function stopAll(children: readonly ChildProcess[]): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
