import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { CheckedModel } from '../../ir/model.js';
import { NetcError } from '../../diagnostics/NetcError.js';
import type { CompileOptions } from '../../compile/compile.js';
import type { Hyperparameters } from '../hyperparameters.js';
import { createMemberStep, type StepResult, type TrainStep } from '../step.js';
import { simdUnavailableReason } from '../../backend/simd/module.js';
import { createSyncGroupInit, SyncGroup, type SyncGroupInit } from '../../backend/SyncGroup.js';

/*
 * Data-parallel training on worker threads. The main thread is member 0 and trains its own model; each worker
 * holds a replica compiled from the same checked model and loaded with the same weights and optimizer state.
 * Every step splits the batch into one shard per member; the members run their shards at the same time, share
 * batch-norm statistics inside the step (synchronised batch norm) and add their gradients before the optimizer
 * runs, so all replicas take the same update and equal single-process training on the whole batch (up to the
 * order of float additions). Only the main thread's model is read afterwards (evaluation, checkpoints).
 */

/** What a worker needs to build its replica and join the group (structured-cloned to it). */
export interface WorkerInit {
  readonly group: SyncGroupInit;
  readonly rank: number;
  readonly backend: 'wasm' | 'cpu';
  readonly checked: CheckedModel;
  readonly compile: CompileOptions;
  readonly hyperparameters: Hyperparameters;
  /** The main model's weights, in `model.getWeights()` order. */
  readonly weights: { readonly values: Float32Array; readonly shape: number[] }[];
  /** The optimizer's state (`optimizer.getWeights()`), for a resumed run with momentum. */
  readonly optimizerWeights: { readonly name: string; readonly values: Float32Array; readonly shape: number[] }[];
  /** Steps per epoch, which places each step on the learning-rate schedule. */
  readonly stepsPerEpoch: number;
}

/** A shard for one step. */
export interface WorkerStep {
  readonly x: Float32Array;
  readonly shape: number[];
  readonly y: Int32Array;
  readonly batch: number;
  readonly copies: number;
}

/** What a worker answers. */
export type WorkerReply = { readonly type: 'ready' } | { readonly type: 'error'; readonly message: string };

/** What the parallel trainer needs from the training run. */
export interface ParallelSetup {
  /** The main thread's model (member 0), compiled with `compile`. */
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly checked: CheckedModel;
  /** Must fuse batch norm (`fuse: true`): synchronised batch norm lives in netc's fused kernels. */
  readonly compile: CompileOptions;
  readonly hyperparameters: Hyperparameters;
  /** Members, the main thread included: 2 or more. */
  readonly threads: number;
}

/** A training step over several threads; `close` ends the workers. */
export interface ParallelTrainStep extends TrainStep {
  readonly threads: number;
  close(): Promise<void>;
}

/** Why data-parallel training cannot run on the current backend with or without the fast path, or null when it can. */
export function parallelUnavailableReason(fastPath: boolean): string | null {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return `--threads needs the wasm or cpu backend (this run uses ${backend})`;
  if (!fastPath) return '--threads needs netc\'s fast path (NETC_FAST_PATH=0 turns it off)';
  const simd = simdUnavailableReason();
  return simd === null ? null : `--threads needs netc's SIMD kernels: ${simd}`;
}

/**
 * A worker thread running worker.js next to this file; or, when netc runs from its TypeScript source (tests, the
 * bench), a small script that registers tsx's loader in the new thread first (loader flags do not reach workers).
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here));
  // tsx's ESM entry (its CommonJS one loads a path that does not exist in a worker's eval script).
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const script = new URL('./worker.ts', here).href;
  const code = `import(${JSON.stringify(tsx)}).then((api) => { (api.register ?? api.default.register)(); return import(${JSON.stringify(script)}); });`;
  return new Worker(code, { eval: true });
}

/** Starts `threads - 1` workers with replicas of the main model and returns the step that drives them all. */
export async function createParallelTrainStep(setup: ParallelSetup): Promise<ParallelTrainStep> {
  const why = parallelUnavailableReason(setup.compile.fuse === true);
  if (why !== null) throw new Error(why);
  if (!(setup.threads >= 2)) throw new Error(`internal: a parallel step needs 2 or more threads, got ${setup.threads}`);
  if (setup.compile.fuse !== true) throw new Error('internal: a parallel step needs a model compiled with fuse');
  const size = setup.threads;
  const params = setup.model.trainableWeights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);
  const widest = Math.max(1, ...setup.model.weights.map((w) => w.shape[w.shape.length - 1] ?? 1));
  const init = createSyncGroupInit(size, Math.max(params + 2, 2 * widest + 1));
  const group = new SyncGroup(init, 0);
  const member = createMemberStep(setup.model, setup.optimizer, group, { labelSmoothing: setup.hyperparameters.labelSmoothing });
  const weights = setup.model.getWeights().map((t) => ({ values: t.dataSync() as Float32Array, shape: [...t.shape] }));
  const optimizerWeights = (await setup.optimizer.getWeights()).map((w) => ({ name: w.name, values: w.tensor.dataSync() as Float32Array, shape: [...w.tensor.shape] }));
  const workers: Worker[] = [];
  const failures: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: size - 1 }, (_, i) => {
        const worker = startWorker();
        workers.push(worker);
        const message: WorkerInit = {
          group: init, rank: i + 1, backend: tf.getBackend() as 'wasm' | 'cpu', checked: setup.checked,
          compile: setup.compile, hyperparameters: setup.hyperparameters, weights, optimizerWeights,
          // Not `instanceof`: tfjs answers it for every optimizer class (Symbol.hasInstance).
          stepsPerEpoch: 'stepsPerEpoch' in setup.optimizer ? (setup.optimizer.stepsPerEpoch as number) : 1,
        };
        worker.postMessage(message);
        return new Promise<void>((resolve, reject) => {
          worker.once('message', (reply: WorkerReply) => (reply.type === 'ready' ? resolve() : reject(new Error(reply.message))));
          worker.once('error', reject);
        });
      }),
    );
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw new NetcError('NN4004', `a training thread did not start: ${(error as Error).message}; train with --threads 1.`);
  }
  for (const worker of workers) {
    // A worker that fails mid-step releases the others from their barriers; the step then throws.
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'error') failures.push(reply.message);
    });
    worker.on('error', (error) => {
      failures.push(error.message);
      group.abort(error.message);
    });
  }

  const step = (x: tf.Tensor, y: tf.Tensor): StepResult => {
    const batch = x.shape[0]!;
    const perExample = x.shape.slice(1);
    const per = tf.util.sizeFromShape(perExample);
    // A batch smaller than the group goes whole to every member (see createMemberStep's `copies`).
    const copies = batch < size ? size : 1;
    const bounds = (rank: number): [number, number] =>
      copies > 1 ? [0, batch] : [Math.floor((rank * batch) / size), Math.floor(((rank + 1) * batch) / size)];
    const xs = x.dataSync() as Float32Array;
    const ys = Int32Array.from(y.dataSync());
    workers.forEach((worker, i) => {
      const [start, end] = bounds(i + 1);
      const shard: WorkerStep = {
        x: xs.slice(start * per, end * per), shape: [end - start, ...perExample], y: ys.slice(start, end), batch, copies,
      };
      worker.postMessage(shard);
    });
    const [start, end] = bounds(0);
    const xShard = tf.tensor(xs.subarray(start * per, end * per), [end - start, ...perExample], 'float32');
    const yShard = tf.tensor1d(ys.subarray(start, end), 'int32');
    try {
      return member(xShard, yShard, batch, copies);
    } catch (error) {
      const why = failures.length > 0 ? failures[0]! : (error as Error).message;
      throw new NetcError('NN4004', `a training thread failed (${why}); the last checkpoint is kept, resume it with --threads 1.`);
    } finally {
      xShard.dispose();
      yShard.dispose();
    }
  };
  return Object.assign(step, {
    threads: size,
    close: async (): Promise<void> => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  });
}
