import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { registerNetcKernels } from '../../src/backend/kernels/index.js';
import { runCase, type CaseResult, type FuzzCase } from './cases.js';
import { crash } from './properties.js';

// The fuzz runner's worker thread: runs one case per message, so that the runner can time each out (a hang) and
// replace the thread, which a loop in the same thread could not.

/** A request to the worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly fuzzCase: FuzzCase;
  readonly compile: boolean;
  readonly step: boolean;
}

/** The worker's answer. */
export interface WorkerReply {
  readonly id: number;
  readonly result: CaseResult;
}

tf.env().set('PROD', true);
await tf.setBackend('cpu');
// The kernels `netc train --backend cpu` runs with (the fast path's too, unless NETC_FAST_PATH=0).
registerNetcKernels('cpu', { fast: process.env['NETC_FAST_PATH'] !== '0' });
parentPort!.on('message', async (request: WorkerRequest) => {
  let result: CaseResult;
  try {
    result = await runCase(request.fuzzCase, request.compile, request.step);
  } catch (error) {
    // runCase catches netc's own errors; this is the harness failing, which is still reported, never lost.
    result = { findings: [crash('fuzz harness threw', error)], clean: false, compiled: false };
  }
  parentPort!.postMessage({ id: request.id, result } satisfies WorkerReply);
});
parentPort!.postMessage('ready');
