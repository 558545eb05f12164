import { Worker } from 'node:worker_threads';
import type { CaseResult, FuzzCase } from './cases.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

/** A worker thread running cases one at a time, replaced after a hang. */
export class CaseRunner {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 0;
  private pending: { id: number; resolve: (reply: CaseResult | 'hang') => void; timer: NodeJS.Timeout } | null = null;

  private start(): Promise<void> {
    // The main thread's stack (about 1 MB), not a worker's default 4 MB: a deep recursion must fail here as it fails
    // in `netc`, not pass only because the fuzzer runs it in a worker.
    const worker = new Worker(new URL('./workerEntry.mjs', import.meta.url), { resourceLimits: { stackSizeMb: 1 } });
    this.worker = worker;
    this.ready = new Promise((ready, fail) => {
      worker.once('message', (first) => (first === 'ready' ? ready() : fail(new Error(`worker said ${String(first)}`))));
      worker.once('error', fail);
    });
    worker.on('message', (reply: WorkerReply | 'ready') => {
      if (reply === 'ready' || this.pending === null || reply.id !== this.pending.id) return;
      const { resolve: done, timer } = this.pending;
      clearTimeout(timer);
      this.pending = null;
      done(reply.result);
    });
    worker.on('error', (error) => {
      // A worker that dies (out of memory, a native abort) is a crash of its case.
      if (this.pending === null) return;
      const { resolve: done, timer } = this.pending;
      clearTimeout(timer);
      this.pending = null;
      this.worker = null;
      done({ findings: [{ kind: 'crash', property: `worker died: ${error.name}`, detail: String(error.stack ?? error) }], clean: false, compiled: false });
    });
    return this.ready;
  }

  /** Runs a case within `timeoutMs`, or answers 'hang' and replaces the thread. */
  async run(fuzzCase: FuzzCase, compile: boolean, step: boolean, timeoutMs: number): Promise<CaseResult | 'hang'> {
    if (this.worker === null) await this.start();
    else await this.ready;
    const id = this.nextId++;
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.pending = null;
        void this.worker?.terminate();
        this.worker = null;
        done('hang');
      }, timeoutMs);
      this.pending = { id, resolve: done, timer };
      this.worker!.postMessage({ id, fuzzCase, compile, step } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}
