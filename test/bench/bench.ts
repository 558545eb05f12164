// `npm run bench`: every model in models/ against the same model in PyTorch on all cores (test/bench/vsTorch.ts),
// then the CLI's cold start as a ratio to `node -e 0` (test/bench/coldStart.ts):
//
//   npm run bench -- [--models resnet-mini,vgg-mini] [--rounds 8] [--steps 6] [--warmup 10] [--cold 10]
//   npm run bench -- --cold-only [N]
//
// `--variants`: training speed of every model on every backend this machine has, with netc's fast path off and
// on, against PyTorch's LeNet-BN in the same run:
//
//   npm run bench -- --variants [--batches N] [--warmup N] [--backends wasm,cpu,node,gpu] [--models lenet-bn,mlp-bn]
//                    [--fast off,on] [--threads N] [--kernels all|minimal] [--profile] [--no-torch]
//
// Each (backend, model, fast path) trains on synthetic batches of 256 (uniform images, random labels) with SGD
// lr 1.0: warm-up batches first, then timed ones, all variants of a backend interleaved in rounds so that a busy
// machine slows them alike. Reported: examples/second from the median batch time, the kernel calls per step, and
// the tensors left behind (must be 0). The fast path (an option the CLI reads from NETC_FAST_PATH) is netc's SIMD kernels and the
// compiler's fused batch norm; off is the path before it. With the fast path, wasm also runs on --threads
// (default: the cores, up to 4) data-parallel threads with synchronised batch norm (1 turns that off).
// PyTorch runs test/bench/torch_lenet_bn.py (LeNet-BN, built-in and from-scratch batch norm) before and after
// netc; the ratios use the mean of its two runs: models/lenet-bn.net against its built-in BN,
// models/lenet-bn-scratch.net against its from-scratch one.
// `--kernels minimal` keeps only the one kernel wasm lacks (Conv2DBackpropFilter), fast path off: tfjs as shipped.
// The machine may be shared: compare figures from the same run only.

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { registerNetcKernels } from '../../src/backend/kernels/index.js';
import { createParallelTrainStep, parallelUnavailableReason } from '../../src/train/parallel/parallelStep.js';
import type { CheckedModel } from '../../src/ir/model.js';
import { cpuDescription, selectBackend, type BackendName } from '../../src/backend/select.js';
import { createTrainStep } from '../../src/train/step.js';
import { printColdStart } from './coldStart.js';
import { benchAgainstTorch, serve } from './vsTorch.js';
import { recipeDefaults } from '../../src/train/hyperparameters.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const batchSize = 256;

interface Options {
  batches: number;
  warmup: number;
  backends: BackendName[];
  /** Model names (files in models/ without .net); empty means all of them. */
  models: string[];
  fast: boolean[];
  /** Also time the fast path on this many threads (data-parallel); 1 means not. */
  threads: number;
  kernels: 'all' | 'minimal';
  profile: boolean;
  torch: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    batches: 20, warmup: 3, backends: ['gpu', 'node', 'wasm', 'cpu'], models: [], fast: [false, true], threads: Math.min(4, availableParallelism()),
    kernels: 'all', profile: false, torch: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--batches') o.batches = Number(value());
    else if (a === '--warmup') o.warmup = Number(value());
    else if (a === '--backends') o.backends = value().split(',') as BackendName[];
    else if (a === '--models') o.models = value().split(',').map((m) => m.replace(/\.net$/, ''));
    else if (a === '--fast') o.fast = value().split(',').map((v) => v === 'on');
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--kernels') o.kernels = value() as 'all' | 'minimal';
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-torch') o.torch = false;
    else throw new Error(`unknown option ${a}`);
  }
  if (o.kernels === 'minimal') o.fast = [false];
  return o;
}

/** The models in models/ (or the named ones), by name. */
function modelNames(wanted: readonly string[]): string[] {
  const all = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.net')).map((f) => f.slice(0, -4)).sort();
  for (const w of wanted) if (!all.includes(w)) throw new Error(`no models/${w}.net`);
  return wanted.length > 0 ? all.filter((m) => wanted.includes(m)) : all;
}

/** A model file through netc's own front end and compiler, fused on the fast path. */
async function buildModel(name: string, fast: boolean): Promise<{ model: tf.LayersModel; checked: CheckedModel }> {
  const { analyze } = await import('../../src/frontend/index.js');
  const { compileModel } = await import('../../src/compile/compile.js');
  const file = join(root, 'models', `${name}.net`);
  const checked = analyze(readFileSync(file, 'utf8'), file);
  if (checked.model === null) throw new Error(`models/${name}.net does not check: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
  return { model: compileModel(checked.model, { seed: 1, fuse: fast }), checked: checked.model };
}

/** A deterministic synthetic batch: uniform [0, 1) pixels of the given example shape and labels 0-9. */
function syntheticBatch(seed: number, exampleShape: readonly number[]): { x: tf.Tensor; y: tf.Tensor } {
  let s = seed;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const size = exampleShape.reduce((p, d) => p * d, 1);
  const pixels = Float32Array.from({ length: batchSize * size }, next);
  const labels = Int32Array.from({ length: batchSize }, () => Math.floor(next() * 10));
  return { x: tf.tensor(pixels, [batchSize, ...exampleShape]), y: tf.tensor1d(labels, 'int32') };
}

interface Run {
  backend: string;
  model: string;
  fast: boolean;
  threads: number;
  /** From the median wall-clock batch time. */
  examplesPerSec: number;
  /** From the median CPU time of a batch (this process's, all threads): steadier when others share the machine. */
  examplesPerCpuSec: number;
  medianMs: number;
  kernelCalls: number;
  leaked: number;
  profile: [string, number, number][];
}

/** Per-kernel time and calls of one step, heaviest first; fused ops (`name__op`) count through their kernels. */
async function profileStep(step: () => void): Promise<{ calls: number; byKernel: [string, number, number][] }> {
  const prof = await tf.profile(step);
  const kernels = prof.kernels.filter((k) => !k.name.endsWith('__op'));
  const byName = new Map<string, [number, number]>();
  for (const k of kernels) {
    const ms = await k.kernelTimeMs;
    const entry = byName.get(k.name) ?? [0, 0];
    entry[0] += typeof ms === 'number' ? ms : 0;
    entry[1] += 1;
    byName.set(k.name, entry);
  }
  const byKernel = [...byName].map(([name, [ms, calls]]) => [name, ms, calls] as [string, number, number]);
  return { calls: kernels.length, byKernel: byKernel.sort((x, y) => y[1] - x[1]) };
}

const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/**
 * Times every (model, fast path) variant on the current backend, each model's variants interleaved in rounds so
 * that a busy machine slows them alike; examples/second come from the median batch time. netc's kernels are
 * registered for each variant's fast path before it runs.
 */
async function benchBackend(
  backend: string, tfBackend: string, models: readonly string[], fasts: readonly boolean[], threads: number, batches: number, warmup: number,
  profiles: number, kernels: 'all' | 'minimal',
): Promise<Run[]> {
  const runs: Run[] = [];
  for (const name of models) runs.push(...(await benchModel(backend, tfBackend, name, fasts, threads, batches, warmup, profiles, kernels)));
  return runs;
}

/** The variants of one model (fast path off, on, on several threads), interleaved in rounds. */
async function benchModel(
  backend: string, tfBackend: string, model: string, fasts: readonly boolean[], threads: number, batches: number, warmup: number,
  profiles: number, kernels: 'all' | 'minimal',
): Promise<Run[]> {
  const models = [model];
  const register = (fast: boolean): void => {
    registerNetcKernels(tfBackend, kernels === 'minimal' ? { kernels: ['Conv2DBackpropFilter'], gradients: false, fast: false } : { fast });
  };
  const variants = [];
  const data = new Map<string, { x: tf.Tensor; y: tf.Tensor }[]>();
  const closers: (() => Promise<void>)[] = [];
  // The fast path on several threads too, where it can run (wasm or cpu, SIMD module built).
  const plans = fasts.map((fast) => ({ fast, threads: 1 }));
  if (threads > 1 && fasts.includes(true) && kernels === 'all') {
    register(true);
    if (parallelUnavailableReason(true) === null) plans.push({ fast: true, threads });
  }
  for (const name of models) {
    for (const { fast, threads: n } of plans) {
      register(fast);
      const { model, checked } = await buildModel(name, fast);
      const exampleShape = model.inputs[0]!.shape.slice(1) as number[];
      const key = exampleShape.join('x');
      if (!data.has(key)) data.set(key, [syntheticBatch(1, exampleShape), syntheticBatch(2, exampleShape)]);
      const batchesOf = data.get(key)!;
      const hyperparameters = { epochs: 1, batch: batchSize, lr: 1.0, optimizer: 'sgd' as const, momentum: 0, seed: 1, bn: null, subset: null, ...recipeDefaults };
      const parallel = n > 1
        ? await createParallelTrainStep({ model, optimizer: tf.train.sgd(1.0), checked, compile: { seed: 1, fuse: true }, hyperparameters, threads: n })
        : null;
      if (parallel !== null) closers.push(() => parallel.close());
      const step = parallel ?? createTrainStep(model, tf.train.sgd(1.0));
      let i = 0;
      const run = (): [number, number] => {
        const d = batchesOf[i++ % 2]!;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const { loss } = step(d.x, d.y);
        const wall = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (!Number.isFinite(loss)) throw new Error(`${backend}/${name}: the loss became ${loss}`);
        return [wall, (c.user + c.system) / 1000];
      };
      for (let w = 0; w < warmup; w++) run();
      variants.push({ name, fast, threads: n, model, run, times: [] as number[], cpu: [] as number[], leaked: 0 });
    }
  }
  const rounds = Math.min(5, batches);
  for (let r = 0; r < rounds; r++) {
    // Every other round in reverse order, so that no variant always follows the same one.
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      register(v.fast);
      const n = Math.floor(batches / rounds) + (r < batches % rounds ? 1 : 0);
      // Tensors are counted between steps of the same model only: the models' own steps must leave nothing.
      const before = tf.memory().numTensors;
      for (let k = 0; k < n; k++) {
        const [wall, cpu] = v.run();
        v.times.push(wall);
        v.cpu.push(cpu);
      }
      v.leaked += tf.memory().numTensors - before;
    }
  }
  const runs: Run[] = [];
  for (const v of variants) {
    register(v.fast);
    // A kernel's time is its least over a few profiled steps: another process's burst inflates any one step.
    const measured: Awaited<ReturnType<typeof profileStep>>[] = [];
    for (let p = 0; p < profiles; p++) measured.push(await profileStep(() => void v.run()));
    const prof = measured[0]!;
    prof.byKernel = prof.byKernel
      .map(([kernel, , calls]) => [kernel, Math.min(...measured.map((q) => q.byKernel.find((e) => e[0] === kernel)?.[1] ?? Infinity)), calls] as [string, number, number])
      .sort((x, y) => y[1] - x[1]);
    v.model.dispose();
    runs.push({
      backend,
      model: v.name,
      fast: v.fast,
      threads: v.threads,
      examplesPerSec: batchSize / (median(v.times) / 1000),
      examplesPerCpuSec: batchSize / (median(v.cpu) / 1000),
      medianMs: median(v.times),
      kernelCalls: prof.calls,
      leaked: v.leaked,
      profile: prof.byKernel,
    });
  }
  for (const d of data.values()) tf.dispose(d.flatMap((b) => [b.x, b.y]));
  await Promise.all(closers.map((close) => close()));
  return runs;
}

interface TorchResult {
  torch: string;
  threads: number;
  builtin: number;
  scratch: number;
  builtin_cpu: number;
  scratch_cpu: number;
}

function runTorch(batches: number, warmup: number): TorchResult | string {
  const python = '/usr/bin/python3';
  const r = spawnSync(python, [join(root, 'test', 'bench', 'torch_lenet_bn.py'), '--batches', String(batches), '--warmup', String(warmup)], {
    encoding: 'utf8',
  });
  if (r.error !== undefined) return `${python} not runnable (${r.error.message})`;
  if (r.status !== 0) return /No module named 'torch'/.test(r.stderr) ? 'torch not installed for /usr/bin/python3' : `failed: ${r.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** "off", "on", "on, 2 threads". */
const label = (run: Run): string => `${run.fast ? 'on' : 'off'}${run.threads > 1 ? `, ${run.threads} threads` : ''}`;

/**
 * Every model's variants in a process of their own (`--child BACKEND MODEL`): in one long process the JavaScript
 * kernels of the path without the fast path ran up to 4x slower after another model's steps (V8 kept them
 * deoptimised), which would flatter the fast path.
 */
function benchInChildren(backend: BackendName, models: readonly string[], o: Options, batches: number, warmup: number): Run[] {
  const runs: Run[] = [];
  for (const model of models) {
    const args = [
      ...process.execArgv, fileURLToPath(import.meta.url), '--child', backend, model,
      '--batches', String(batches), '--warmup', String(warmup), '--threads', String(o.threads), '--kernels', o.kernels,
      '--fast', o.fast.map((f) => (f ? 'on' : 'off')).join(','),
    ];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.status !== 0 || !last.startsWith('[')) throw new Error(`bench of ${backend}/${model} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
    runs.push(...(JSON.parse(last) as Run[]));
  }
  return runs;
}

/** `--child BACKEND MODEL [options]`: one model's variants on one backend, printed as JSON for the parent. */
async function child(argv: readonly string[]): Promise<void> {
  const [backend, model, ...rest] = argv as [BackendName, string, ...string[]];
  const o = parseArgs(rest);
  const choice = await selectBackend(backend, { fastPath: o.fast.includes(true) });
  const slow = backend === 'cpu';
  // The cpu backend is too slow to be worth threads in a bench: one thread there.
  const runs = await benchBackend(backend, choice.tfBackend, [model], o.fast, slow ? 1 : o.threads, o.batches, o.warmup, slow ? 2 : 5, o.kernels);
  console.log(JSON.stringify(runs));
}

/** The default `npm run bench`: every model against PyTorch on all cores, then the CLI's cold start. */
async function mainAgainstTorch(argv: readonly string[]): Promise<void> {
  // Enough rounds and steps that a machine whose speed drifts (by a third, minute to minute, on the one this was
  // written on) still gives a steady median ratio.
  let rounds = 8;
  let steps = 6;
  // Both sides warm up alike; the data-parallel threads' JavaScript needs some steps before V8 has optimised it.
  let warmup = 10;
  let cold = 10;
  let wanted: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--rounds') rounds = Number(v);
    else if (a === '--steps') steps = Number(v);
    else if (a === '--warmup') warmup = Number(v);
    else if (a === '--cold') cold = Number(v);
    else if (a === '--models') wanted = v.split(',').map((m) => m.replace(/\.net$/, ''));
    else throw new Error(`unknown option ${a} (the fast path/backend table is \`npm run bench -- --variants ...\`)`);
  }
  console.log(`machine: ${cpuDescription()}; Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start`);
  await benchAgainstTorch(modelNames(wanted), rounds, steps, warmup);
  if (cold > 0) printColdStart(cold);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') {
    const warmupAt = process.argv.indexOf('--warmup');
    await serve(process.argv[3]!, warmupAt > 0 ? Number(process.argv[warmupAt + 1]) : 10);
    process.exit(0);
  }
  if (process.argv[2] === '--cold-only') {
    printColdStart(Number(process.argv[3] ?? 10));
    return;
  }
  if (process.argv[2] !== '--variants' && process.argv[2] !== '--child') {
    await mainAgainstTorch(process.argv.slice(2));
    return;
  }
  if (process.argv[2] === '--variants') process.argv.splice(2, 1);
  if (process.argv[2] === '--child') {
    await child(process.argv.slice(3));
    // Worker threads and tfjs's timers must not keep a finished child alive.
    process.exit(0);
  }
  const o = parseArgs(process.argv.slice(2));
  const models = modelNames(o.models);
  const load = loadavg()[0]!;
  console.log(`netc bench: ${models.map((m) => `models/${m}.net`).join(', ')}; batches of ${batchSize}, synthetic data, SGD lr 1.0`);
  console.log(`machine: ${cpuDescription()}; Node ${process.version}; tfjs ${tf.version_core}; load average ${load.toFixed(2)} at start`);
  console.log(`netc kernels: ${o.kernels === 'all' ? 'all of them' : 'minimal (Conv2DBackpropFilter only: tfjs as shipped)'}; fast path ${o.fast.map((f) => (f ? 'on' : 'off')).join(' and ')}`);

  const torchBefore = o.torch ? runTorch(Math.max(o.batches, 20), o.warmup) : 'skipped (--no-torch)';
  const runs: Run[] = [];
  for (const want of o.backends) {
    let choice;
    try {
      choice = await selectBackend(want, { fastPath: o.fast.includes(true) });
    } catch (error) {
      console.log(`${want}: not available (${(error as Error).message})`);
      continue;
    }
    if (choice.name !== want) {
      console.log(`${want}: not available (${choice.reason})`);
      continue;
    }
    console.log(`${want}: ${choice.device}`);
    // The cpu backend takes seconds per batch: a few batches measure it well enough.
    const slow = want === 'cpu';
    const batches = slow ? Math.min(o.batches, 3) : o.batches;
    const warmup = slow ? Math.min(o.warmup, 1) : o.warmup;
    // The cpu backend is too slow to be worth threads in a bench: one thread there.
    const backendRuns = benchInChildren(want, models, o, batches, warmup);
    console.log(`  ${'model'.padEnd(18)} ${'fast path'.padEnd(15)} ${'ex/s'.padStart(7)}  ${'per CPU s'.padStart(9)}  ${'ms/batch'.padStart(8)}  ${'kernel calls/step'.padStart(17)}  tensors leaked`);
    for (const run of backendRuns) {
      runs.push(run);
      console.log(
        `  ${run.model.padEnd(18)} ${label(run).padEnd(15)} ${fmt(run.examplesPerSec).padStart(7)}  ${fmt(run.examplesPerCpuSec).padStart(9)}  ` +
          `${run.medianMs.toFixed(1).padStart(8)}  ${String(run.kernelCalls).padStart(17)}  ${run.leaked === 0 ? 'none' : `LEAK: ${run.leaked} over ${batches} batches`}`,
      );
    }
    for (const model of models) {
      const off = backendRuns.find((r) => r.model === model && !r.fast);
      const on = backendRuns.find((r) => r.model === model && r.fast && r.threads === 1);
      const many = backendRuns.find((r) => r.model === model && r.threads > 1);
      if (off && on) {
        console.log(
          `  ${model}: fast path ${(on.examplesPerSec / off.examplesPerSec).toFixed(2)}x the speed without it, ${off.kernelCalls} -> ${on.kernelCalls} kernel calls/step` +
            (many ? `; on ${many.threads} threads ${(many.examplesPerSec / on.examplesPerSec).toFixed(2)}x one thread` : ''),
        );
      }
    }
    if (o.profile) {
      for (const run of backendRuns) {
        const total = run.profile.reduce((sum, p) => sum + p[1], 0);
        console.log(`  profile of one ${run.model} step, fast path ${label(run)}, each kernel's least of ${slow ? 2 : 5} steps (sum ${total.toFixed(1)} ms):`);
        for (const [name, ms, calls] of run.profile.slice(0, 16)) {
          console.log(`      ${name.padEnd(24)} ${ms.toFixed(2).padStart(8)} ms  ${String(calls).padStart(4)} calls`);
        }
      }
    }
  }
  const torchAfter = o.torch ? runTorch(Math.max(o.batches, 20), o.warmup) : torchBefore;

  if (typeof torchBefore === 'string' || typeof torchAfter === 'string') {
    console.log(`PyTorch: ${typeof torchBefore === 'string' ? torchBefore : torchAfter}`);
    return;
  }
  const mean = (k: 'builtin' | 'scratch' | 'builtin_cpu' | 'scratch_cpu'): number => (torchBefore[k] + torchAfter[k]) / 2;
  const torch = { builtin: mean('builtin'), scratch: mean('scratch'), builtinCpu: mean('builtin_cpu'), scratchCpu: mean('scratch_cpu') };
  console.log(
    `PyTorch ${torchBefore.torch} LeNet-BN (${torchBefore.threads} thread${torchBefore.threads === 1 ? '' : 's'}, CPU), mean of a run before and after netc's:`,
  );
  console.log(
    `  builtin  ${fmt(torch.builtin).padStart(7)} ex/s (${fmt(torch.builtinCpu)} per CPU second)   before ${fmt(torchBefore.builtin)}, after ${fmt(torchAfter.builtin)}`,
  );
  console.log(
    `  scratch  ${fmt(torch.scratch).padStart(7)} ex/s (${fmt(torch.scratchCpu)} per CPU second)   before ${fmt(torchBefore.scratch)}, after ${fmt(torchAfter.scratch)}`,
  );
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  for (const backend of new Set(runs.map((r) => r.backend))) {
    for (const variant of [...new Set(runs.filter((r) => r.backend === backend).map(label))]) {
      const builtin = runs.find((r) => r.backend === backend && r.model === 'lenet-bn' && label(r) === variant);
      const scratch = runs.find((r) => r.backend === backend && r.model === 'lenet-bn-scratch' && label(r) === variant);
      const parts: string[] = [];
      if (builtin) parts.push(`built-in/PyTorch built-in ${ratio(builtin.examplesPerSec, torch.builtin)} (CPU time ${ratio(builtin.examplesPerCpuSec, torch.builtinCpu)})`);
      if (scratch) parts.push(`scratch/PyTorch scratch ${ratio(scratch.examplesPerSec, torch.scratch)} (CPU time ${ratio(scratch.examplesPerCpuSec, torch.scratchCpu)})`);
      if (builtin && scratch) parts.push(`scratch/built-in ${ratio(scratch.examplesPerSec, builtin.examplesPerSec)} (CPU time ${ratio(scratch.examplesPerCpuSec, builtin.examplesPerCpuSec)})`);
      if (parts.length > 0) console.log(`ratios, ${backend}, fast path ${variant}: ${parts.join('; ')}`);
    }
  }
}

await main();
