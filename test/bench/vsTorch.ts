// `npm run bench` (the default): every model in models/ trained by netc and by PyTorch on all cores, alternating
// rounds, with the ratio of examples/second per model and its spread over the rounds.
//
// Each model gets two long-lived processes: a netc one (this file with `--serve MODEL`: the backend `netc train`
// picks, the fast path, one thread and the data-parallel threads) and a PyTorch one (test/bench/torch_models.py,
// which trains the model.py that `netc export --to pytorch` writes for the same file). Both train on a fixed synthetic batch of the file's
// batch size with the file's optimizer and learning rate, reading the loss back every step as `netc train` does.
// The parent asks each in turn for a round of steps (the order flips every round) so that a busy machine slows
// both alike. Each side's figure is its median step over all rounds, and the ratio theirs; each round's ratio (of
// its two median steps) gives the spread. netc's setting (one thread or the data-parallel threads) is
// chosen as `netc train` chooses it, by a trial of both after the warm-up, and the rounds time that one only.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/** A child process spoken to one line at a time. */
class LineChild {
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private ended = false;
  private stderr = '';

  constructor(private readonly proc: ChildProcessWithoutNullStreams, readonly name: string) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(line);
      } else this.lines.push(line);
    });
    proc.stderr.on('data', (d: Buffer) => void (this.stderr += d.toString()));
    proc.on('close', () => {
      this.ended = true;
      this.waiting?.(null);
    });
  }

  /** The next line that parses as JSON (tfjs may print notices first). */
  async next<T>(): Promise<T> {
    for (;;) {
      const line = this.lines.shift() ?? (this.ended ? null : await new Promise<string | null>((resolve) => (this.waiting = resolve)));
      if (line === null) throw new Error(`${this.name} ended: ${this.stderr.trim().split('\n').slice(-3).join(' ')}`);
      if (line.startsWith('{') || line.startsWith('[')) return JSON.parse(line) as T;
    }
  }

  async ask<T>(command: string): Promise<T> {
    this.proc.stdin.write(`${command}\n`);
    return this.next<T>();
  }

  close(): void {
    this.proc.stdin.end('quit\n');
  }
}

interface NetcReady {
  device: string;
  params: number;
  batch: number;
  threads: number;
  /** Why there is no data-parallel variant, when there is none. */
  parallel: string | null;
  /** The median step (ms) of each setting in the trial after the warm-up, and the one the rounds time. */
  trial: { one: number; many: number | null; chosen: 'one' | 'many' };
}
interface TorchReady {
  torch: string;
  threads: number;
  params: number;
  /** The BLAS library PyTorch loaded (null where none shows in its memory map). */
  blas: string | null;
}

/**
 * PyTorch's process environment: OpenBLAS on one thread unless the caller says otherwise. PyTorch parallelises
 * around its BLAS calls with its own threads (torch.set_num_threads); an OpenBLAS that starts a thread per core
 * as well oversubscribes the cores and loses more than half its speed to spinning (mlp-bn: 3 ms steps become 50).
 */
const torchEnv = { ...process.env, OPENBLAS_NUM_THREADS: process.env['OPENBLAS_NUM_THREADS'] ?? '1' };

/** What the bench says of PyTorch's BLAS: which one, and when it is the slow reference implementation. */
export function describeBlas(path: string | null): string {
  if (path === null) return 'BLAS: none seen in its memory map';
  if (/openblas|blis|mkl/i.test(path)) return `BLAS: ${path} (OPENBLAS_NUM_THREADS=${torchEnv.OPENBLAS_NUM_THREADS})`;
  return (
    `BLAS: ${path}, the reference implementation: PyTorch's small convolutions (im2col) and dense layers run slowly on ` +
    'it; `apt-get install libopenblas0-pthread` gives it an optimised one'
  );
}
/** A round's step times (ms) in the setting the trial chose. */
interface NetcRound {
  steps: number[];
}

/** One model's result. */
export interface ModelRatio {
  model: string;
  /** PyTorch's version and the BLAS it loaded. */
  torch: string;
  blas: string | null;
  batch: number;
  netcExPerSec: number;
  netcSetting: string;
  torchExPerSec: number;
  /** PyTorch on one thread, for reference (not in the ratio). */
  torchOneExPerSec: number;
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  load: [number, number];
}

/** Benchmarks one model against PyTorch in `rounds` alternating rounds of `steps` steps each. */
async function benchOne(model: string, rounds: number, steps: number, warmup: number, scratch: string): Promise<ModelRatio | string> {
  const netc = new LineChild(
    spawn(process.execPath, [...process.execArgv, join(root, 'test', 'bench', 'bench.ts'), '--serve', model, '--warmup', String(warmup)], { cwd: root }),
    `netc (${model})`,
  );
  const ready = await netc.next<NetcReady & { spec: unknown }>();
  const specFile = join(scratch, `${model}.json`);
  writeFileSync(specFile, JSON.stringify(ready.spec));
  const torch = new LineChild(
    spawn('/usr/bin/python3', [join(root, 'test', 'bench', 'torch_models.py'), specFile, '--warmup', String(warmup)], { cwd: root, env: torchEnv }),
    `PyTorch (${model})`,
  );
  let torchReady: TorchReady;
  try {
    torchReady = await torch.next<TorchReady>();
  } catch (error) {
    netc.close();
    return `PyTorch unavailable: ${(error as Error).message}`;
  }
  if (torchReady.params !== ready.params) console.log(`  warning: ${model} has ${ready.params} trainable parameters in netc, ${torchReady.params} in PyTorch`);
  const load0 = loadavg()[0]!;
  const netcRounds: NetcRound[] = [];
  const torchRounds: { all: number[]; one: number[] }[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      netcRounds.push(await netc.ask<NetcRound>(`round ${steps}`));
      torchRounds.push(await torch.ask<{ all: number[]; one: number[] }>(`round ${steps}`));
    } else {
      torchRounds.push(await torch.ask<{ all: number[]; one: number[] }>(`round ${steps}`));
      netcRounds.push(await netc.ask<NetcRound>(`round ${steps}`));
    }
  }
  netc.close();
  torch.close();
  const { trial } = ready;
  const useMany = trial.chosen === 'many';
  const ratios = netcRounds.map((r, i) => median(torchRounds[i]!.all) / median(r.steps));
  const netcStep = median(netcRounds.flatMap((r) => r.steps));
  const torchStep = median(torchRounds.flatMap((t) => t.all));
  return {
    model,
    torch: torchReady.torch,
    blas: torchReady.blas,
    batch: ready.batch,
    netcExPerSec: ready.batch / (netcStep / 1000),
    netcSetting:
      `${useMany ? ready.threads : 1} thread${useMany ? 's' : ''}` +
      (trial.many !== null
        ? ` (trial 1: ${fmt(ready.batch / (trial.one / 1000))}, ${ready.threads}: ${fmt(ready.batch / (trial.many / 1000))})`
        : `; ${ready.parallel ?? ''}`),
    torchExPerSec: ready.batch / (torchStep / 1000),
    torchOneExPerSec: ready.batch / (median(torchRounds.flatMap((t) => t.one)) / 1000),
    // The median steps over all rounds, the figures printed beside it; the rounds' own ratios give the spread.
    ratio: torchStep / netcStep,
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    load: [load0, loadavg()[0]!],
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Every model against PyTorch, printed as a table. */
export async function benchAgainstTorch(models: readonly string[], rounds: number, steps: number, warmup: number): Promise<ModelRatio[]> {
  console.log(`netc vs PyTorch on all ${availableParallelism()} cores: ${rounds} alternating rounds of ${steps} steps per model, synthetic data, each file's batch and optimizer`);
  const scratch = mkdtempSync(join(tmpdir(), 'netc-bench-'));
  const results: ModelRatio[] = [];
  try {
    for (const model of models) {
      const r = await benchOne(model, rounds, steps, warmup, scratch);
      if (typeof r === 'string') {
        console.log(`  ${model}: ${r}`);
        continue;
      }
      if (results.length === 0) console.log(`  PyTorch ${r.torch}; ${describeBlas(r.blas)}`);
      results.push(r);
      console.log(
        `  ${r.model.padEnd(18)} batch ${String(r.batch).padStart(3)}  netc ${fmt(r.netcExPerSec).padStart(6)} ex/s on ${r.netcSetting}  ` +
          `PyTorch ${fmt(r.torchExPerSec).padStart(6)} ex/s (1 thread: ${fmt(r.torchOneExPerSec)})  ratio ${r.ratio.toFixed(2)}x (rounds ${r.ratioMin.toFixed(2)}-${r.ratioMax.toFixed(2)})  ` +
          `load ${r.load[0].toFixed(1)}-${r.load[1].toFixed(1)}`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}

/**
 * `--serve MODEL`: the netc side of one model. Warms up, times one thread against the data-parallel threads
 * (twice each, interleaved) and keeps the faster, as `netc train` does; prints one JSON line (the device, model.py
 * for the PyTorch side, the parameter count, the trial); then answers each `round N` with N steps' times in the
 * chosen setting.
 */
export async function serve(model: string, warmup: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { analyze } = await import('../../src/frontend/index.js');
  const { compileModel } = await import('../../src/compile/compile.js');
  const { selectBackend } = await import('../../src/backend/select.js');
  const { createTrainStep } = await import('../../src/train/step.js');
  const { createOptimizer } = await import('../../src/train/optimizer.js');
  const { resolveHyperparameters } = await import('../../src/train/hyperparameters.js');
  const { createParallelTrainStep, parallelUnavailableReason } = await import('../../src/train/parallel/parallelStep.js');
  const { parallelSpeedupNeeded } = await import('../../src/train/parallel/chooseThreads.js');
  const file = join(root, 'models', `${model}.net`);
  const checked = analyze(readFileSync(file, 'utf8'), file).model;
  if (checked === null) throw new Error(`models/${model}.net does not check`);
  const choice = await selectBackend('auto', { fastPath: true });
  const h = resolveHyperparameters(checked.train, { seed: 1 });
  const compile = { seed: 1, fuse: true };
  const threads = Math.min(4, availableParallelism());
  const why = threads > 1 ? parallelUnavailableReason(true) : 'one core';
  const oneModel = compileModel(checked, compile);
  const one = createTrainStep(oneModel, createOptimizer(h));
  const many = why === null
    ? await createParallelTrainStep({ model: compileModel(checked, compile), optimizer: createOptimizer(h), checked, compile, hyperparameters: h, threads })
    : null;
  let s = 1;
  const next = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  const size = checked.input.reduce((p, d) => p * d, 1);
  const exampleShape = oneModel.inputs[0]!.shape.slice(1) as number[];
  const x = tf.tensor(Float32Array.from({ length: h.batch * size }, next), [h.batch, ...exampleShape]);
  const y = tf.tensor1d(Int32Array.from({ length: h.batch }, () => Math.floor(next() * 10)), 'int32');
  const time = (step: typeof one, n: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const { loss } = step(x, y);
      out.push(performance.now() - t0);
      if (!Number.isFinite(loss)) throw new Error(`${model}: the loss became ${loss}`);
    }
    return out;
  };
  time(one, warmup);
  if (many) time(many, warmup);
  // As `netc train` does: both settings timed (twice each, interleaved), the threads kept only when they are
  // parallelSpeedupNeeded times faster, the choice kept for the whole run.
  // Switching between them costs (the other setting's threads and heaps push this one's data out of the caches),
  // which no training run pays, so the rounds time the chosen one only.
  const trialSteps = Math.max(4, warmup);
  const oneTimes = [...time(one, trialSteps)];
  const manyTimes = many ? [...time(many, trialSteps)] : [];
  oneTimes.push(...time(one, trialSteps));
  if (many) manyTimes.push(...time(many, trialSteps));
  const trial = { one: median(oneTimes), many: many ? median(manyTimes) : null, chosen: 'one' as 'one' | 'many' };
  if (many && trial.many !== null && trial.one / trial.many >= parallelSpeedupNeeded) trial.chosen = 'many';
  const chosen = trial.chosen === 'many' && many ? many : one;
  if (chosen === one) await many?.close();
  time(chosen, warmup);
  const { pytorchModelSource } = await import('../../src/export/pytorchModel.js');
  const modelPy = pytorchModelSource(checked, { source: `models/${model}.net`, netcVersion: 'bench' });
  const spec = { model: { input: checked.input, modelPy }, batch: h.batch, train: { lr: h.lr, optimizer: h.optimizer, momentum: h.momentum } };
  const ready: NetcReady & { spec: unknown } = {
    device: choice.device, params: checked.totals.trainable, batch: h.batch, threads: many ? threads : 1, parallel: why, trial, spec,
  };
  console.log(JSON.stringify(ready));
  for await (const line of createInterface({ input: process.stdin })) {
    const [word, count] = line.split(' ');
    if (word !== 'round') break;
    const result: NetcRound = { steps: time(chosen, Number(count)) };
    console.log(JSON.stringify(result));
  }
  if (chosen !== one) await many?.close();
}
