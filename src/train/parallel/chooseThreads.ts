import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { CheckedModel } from '../../ir/model.js';
import { compileModel, type CompileOptions } from '../../compile/compile.js';
import type { Hyperparameters } from '../hyperparameters.js';
import { createOptimizer } from '../optimizer.js';
import { createTrainStep, type TrainStep } from '../step.js';
import { createParallelTrainStep, parallelUnavailableReason, type ParallelTrainStep } from './parallelStep.js';

/** What `--threads` accepts: a count, or `auto` (measure one thread against all cores, take the faster). */
export type ThreadsRequest = number | 'auto';

/** The training step a run uses, on how many threads, and why. */
export interface ChosenStep {
  readonly step: TrainStep;
  readonly threads: number;
  /** One line for the user: "trains on 2 threads (1.4x one thread's speed, measured)". */
  readonly reason: string;
  /** Ends the worker threads (nothing for one thread). */
  close(): Promise<void>;
}

/** Everything a step needs: the run's model and optimizer, and how the model was built (for the replicas). */
export interface StepSetup {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly checked: CheckedModel;
  readonly compile: CompileOptions;
  readonly hyperparameters: Hyperparameters;
}

/** How much faster all cores must be than one thread for `auto` to take them. */
export const parallelSpeedupNeeded = 1.1;

/** Steps timed per variant while measuring, after one warm-up each. */
const measuredSteps = 4;

/**
 * The training step for `threads`: one thread is createTrainStep; N threads are data-parallel workers with
 * synchronised batch norm (src/train/parallel/parallelStep.ts). `auto` measures, on throwaway copies of the
 * model and a synthetic batch of the run's size, one thread against all cores (up to 4), and takes all cores
 * only when they are at least 10% faster: the machine may be busy, and a small model may lose more to the
 * exchanges than it gains. `measure` is for tests (default: time the real steps).
 */
export async function chooseTrainStep(
  setup: StepSetup, request: ThreadsRequest, measure: (one: TrainStep, many: TrainStep) => [number, number] = timeSteps(setup),
): Promise<ChosenStep> {
  const single = (reason: string): ChosenStep => ({
    step: createTrainStep(setup.model, setup.optimizer, { labelSmoothing: setup.hyperparameters.labelSmoothing }), threads: 1, reason, close: async () => undefined,
  });
  const parallel = async (threads: number, reason: string): Promise<ChosenStep> => {
    const step = await createParallelTrainStep({ ...setup, compile: { ...setup.compile, fuse: true }, threads });
    return { step, threads, reason, close: () => step.close() };
  };
  // The run's own compile options say whether it is on the fast path (a parallel step fuses batch norm).
  const why = parallelUnavailableReason(setup.compile.fuse === true);
  if (request !== 'auto') {
    if (!(Number.isInteger(request) && request >= 1)) throw new Error(`--threads must be a whole number of 1 or more, or auto (got ${request})`);
    if (request === 1) return single('trains on 1 thread');
    if (why !== null) throw new Error(why);
    return parallel(request, `trains on ${request} threads (data-parallel, synchronised batch norm)`);
  }
  const cores = Math.min(4, availableParallelism());
  if (cores < 2) return single('trains on 1 thread (one core)');
  if (why !== null) return single(`trains on 1 thread (${why.replace(/^--threads needs/, 'more would need')})`);

  // Throwaway copies: measuring trains them, and the run's own model must start from its own weights.
  const compile = { ...setup.compile, fuse: true };
  const oneModel = compileModel(setup.checked, compile);
  const manyModel = compileModel(setup.checked, compile);
  const one = createTrainStep(oneModel, createOptimizer(setup.hyperparameters));
  let many: ParallelTrainStep;
  try {
    many = await createParallelTrainStep({ ...setup, model: manyModel, optimizer: createOptimizer(setup.hyperparameters), compile, threads: cores });
  } catch (error) {
    oneModel.dispose();
    manyModel.dispose();
    return single(`trains on 1 thread (${(error as Error).message})`);
  }
  let times: [number, number] | null = null;
  let failure: unknown = null;
  try {
    times = measure(one, many);
  } catch (error) {
    failure = error;
  }
  // After a failed measurement (a wasm heap exhausted) the clean-up may fail too; its error must not hide the first.
  for (const cleanUp of [() => many.close(), () => oneModel.dispose(), () => manyModel.dispose()]) {
    try {
      await cleanUp();
    } catch {
      // Throwaway copies: nothing of the run depends on them.
    }
  }
  if (times === null) {
    const why = failure instanceof Error ? failure.message : String(failure);
    return single(`trains on 1 thread (measuring ${cores} threads failed: ${why})`);
  }
  const [oneMs, manyMs] = times;
  const speedup = oneMs / manyMs;
  if (speedup >= parallelSpeedupNeeded) return parallel(cores, `trains on ${cores} threads (${speedup.toFixed(2)}x one thread's speed, measured)`);
  return single(`trains on 1 thread (${cores} threads measured ${speedup.toFixed(2)}x its speed)`);
}

/** Median step times of one thread and many on a synthetic batch of the run's size, interleaved. */
function timeSteps(setup: StepSetup): (one: TrainStep, many: TrainStep) => [number, number] {
  return (one, many) => {
    const shape = setup.model.inputs[0]!.shape.slice(1) as number[];
    const classes = setup.model.outputs[0]!.shape[1] as number;
    const batch = setup.hyperparameters.batch;
    const x = tf.randomUniform([batch, ...shape], 0, 1, 'float32', 1);
    const y = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % classes), 'int32');
    try {
      one(x, y);
      many(x, y);
      const t1: number[] = [];
      const t2: number[] = [];
      for (let i = 0; i < measuredSteps; i++) {
        for (const [step, times] of [[one, t1], [many, t2]] as const) {
          const start = performance.now();
          step(x, y);
          times.push(performance.now() - start);
        }
      }
      const median = (t: number[]): number => [...t].sort((a, b) => a - b)[t.length >> 1]!;
      return [median(t1), median(t2)];
    } finally {
      tf.dispose([x, y]);
    }
  };
}
