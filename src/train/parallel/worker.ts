import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { compileModel } from '../../compile/compile.js';
import { createOptimizer } from '../optimizer.js';
import { createMemberStep, type MemberStep } from '../step.js';
import { selectBackend } from '../../backend/select.js';
import type { WorkerInit, WorkerReply, WorkerStep } from './parallelStep.js';
import { SyncGroup } from '../../backend/SyncGroup.js';

/*
 * A data-parallel training thread (src/train/parallel/parallelStep.ts): builds its replica from the first
 * message, answers `ready`, then trains on every shard it is sent. On a failure it releases the other members from
 * their barriers, so the step throws everywhere instead of hanging.
 */

const port = parentPort;
if (port === null) throw new Error('internal: netc\'s training worker runs as a worker thread');

let group: SyncGroup | null = null;
let step: MemberStep | null = null;

function reply(message: WorkerReply): void {
  port!.postMessage(message);
}

async function start(init: WorkerInit): Promise<void> {
  // A replica is always on the fast path: synchronised batch norm lives in its fused kernels.
  await selectBackend(init.backend, { fastPath: true });
  const model = compileModel(init.checked, init.compile);
  model.setWeights(init.weights.map((w) => tf.tensor(w.values, w.shape, 'float32')));
  const optimizer = createOptimizer(init.hyperparameters, init.stepsPerEpoch);
  if (init.optimizerWeights.length > 0) {
    await optimizer.setWeights(init.optimizerWeights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape, 'float32') })));
  }
  group = new SyncGroup(init.group, init.rank);
  step = createMemberStep(model, optimizer, group, { labelSmoothing: init.hyperparameters.labelSmoothing });
}

port.on('message', (message: WorkerInit | WorkerStep) => {
  if ('rank' in message) {
    start(message).then(
      () => reply({ type: 'ready' }),
      (error: unknown) => reply({ type: 'error', message: (error as Error).message }),
    );
    return;
  }
  const x = tf.tensor(message.x, message.shape, 'float32');
  const y = tf.tensor1d(message.y, 'int32');
  try {
    step!(x, y, message.batch, message.copies);
  } catch (error) {
    group?.abort(`thread ${group.rank}: ${(error as Error).message}`);
    reply({ type: 'error', message: (error as Error).message });
  } finally {
    x.dispose();
    y.dispose();
  }
});
