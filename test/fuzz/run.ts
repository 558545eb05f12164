import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CaseRunner } from './CaseRunner.js';
import { makeCase, modelsCorpus, type FuzzCase } from './cases.js';
import { minimize } from './minimize.js';
import { defaultLimits, type MutateLimits } from './mutate.js';
import type { Finding } from './properties.js';

// `npm run fuzz -- --count N [--seed S] [--compile-every K] [--out DIR] [--case I] [--big]`: the long fuzz run. Each case
// runs in a worker thread with a time limit (a case over it is a hang: the thread is replaced and the run goes on).
// Prints a progress line, then a report of crashes, hangs and disagreements, each with the seed, the case and a
// minimized reproducer written under --out. Exit status 0 when nothing was found, 1 otherwise, 2 on a bad flag.

interface Options {
  count: number;
  seed: number;
  /** Every clean case is compiled with probability 1/compileEvery (1: all). */
  compileEvery: number;
  /** Of the compiled cases, one in `stepEvery` also runs a training step. */
  stepEvery: number;
  out: string;
  /** Replays one case and prints it. */
  only: number | null;
  checkTimeoutMs: number;
  compileTimeoutMs: number;
  /** Stress edits up to 10,000 layers, past the language's own limit (default: 1,500). */
  big: boolean;
}

const usage =
  'usage: npm run fuzz -- [--count N] [--seed S] [--compile-every K] [--step-every K] [--out DIR] [--case I] [--timeout-ms T] [--big]';

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    count: 10_000,
    seed: Date.now() % 2 ** 31,
    compileEvery: 20,
    stepEvery: 4,
    out: 'tmp/fuzz',
    only: null,
    checkTimeoutMs: 10_000,
    compileTimeoutMs: 120_000,
    big: false,
  };
  const whole = (flag: string, text: string | undefined): number => {
    const value = Number(text);
    if (text === undefined || !Number.isInteger(value) || value < 0) throw new UsageError(`${flag} needs a whole number, not ${text ?? 'nothing'}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    switch (flag) {
      case '--count':
        options.count = whole(flag, value);
        break;
      case '--seed':
        options.seed = whole(flag, value);
        break;
      case '--compile-every':
        options.compileEvery = Math.max(1, whole(flag, value));
        break;
      case '--step-every':
        options.stepEvery = Math.max(1, whole(flag, value));
        break;
      case '--case':
        options.only = whole(flag, value);
        break;
      case '--timeout-ms':
        options.checkTimeoutMs = Math.max(1, whole(flag, value));
        break;
      case '--big':
        options.big = true;
        continue;
      case '--out':
        if (value === undefined) throw new UsageError('--out needs a directory');
        options.out = value;
        break;
      case '--help':
      case '-h':
        throw new HelpRequest(usage);
      default:
        throw new UsageError(`unknown flag ${flag}; ${usage}`);
    }
    i += 1;
  }
  return options;
}

class UsageError extends Error {}
class HelpRequest extends Error {}

/** A distinct problem: the first case that showed it and how often it was seen. */
interface Problem {
  readonly finding: Finding;
  readonly fuzzCase: FuzzCase;
  readonly compiled: boolean;
  seen: number;
  reproducer?: string;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof HelpRequest) {
      process.stdout.write(`${error.message}\n`);
      return 0;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`fuzz: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const corpus = modelsCorpus();
  const limits: MutateLimits = options.big ? { layers: 10_000, depth: 300 } : defaultLimits;
  const runner = new CaseRunner();
  const out = resolve(options.out);

  if (options.only !== null) {
    const fuzzCase = makeCase(options.seed, options.only, corpus, limits);
    process.stdout.write(`case ${fuzzCase.index} of seed ${options.seed} (${fuzzCase.kind}, from ${fuzzCase.origin}):\n${fuzzCase.source}\n---\n`);
    const result = await runner.run(fuzzCase, true, true, options.compileTimeoutMs);
    await runner.close();
    if (result === 'hang') process.stdout.write('hang\n');
    else {
      process.stdout.write(`${result.clean ? 'checks clean' : 'has errors'}${result.compiled ? ', compiled' : ''}\n`);
      for (const f of result.findings) process.stdout.write(`${f.kind}: ${f.property}\n${f.detail}\n`);
    }
    return result === 'hang' || result.findings.length > 0 ? 1 : 0;
  }

  const problems = new Map<string, Problem>();
  const totals = { cases: 0, clean: 0, compiled: 0, stepped: 0, tooLarge: 0, crash: 0, hang: 0, disagreement: 0, other: 0 };
  const byKind = new Map<string, number>();
  let firstTooLarge: string | null = null;
  const started = Date.now();
  let lastProgress = 0;
  const progress = (final: boolean): void => {
    const seconds = (Date.now() - started) / 1000;
    const rate = totals.cases / Math.max(seconds, 0.001);
    const line =
      `fuzz seed ${options.seed}: ${totals.cases.toLocaleString('en-US')}/${options.count.toLocaleString('en-US')} cases, ` +
      `${rate.toFixed(0)}/s, ${totals.clean.toLocaleString('en-US')} clean, ${totals.compiled.toLocaleString('en-US')} compiled; ` +
      `crashes ${totals.crash}, hangs ${totals.hang}, disagreements ${totals.disagreement}, other ${totals.other}`;
    // A terminal gets one line rewritten every second; a log gets a line every 30 seconds.
    const every = process.stderr.isTTY ? 1000 : 30_000;
    if (!final && Date.now() - lastProgress < every) return;
    lastProgress = Date.now();
    process.stderr.write(process.stderr.isTTY ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };

  for (let index = 0; index < options.count; index++) {
    const fuzzCase = makeCase(options.seed, index, corpus, limits);
    byKind.set(fuzzCase.kind, (byKind.get(fuzzCase.kind) ?? 0) + 1);
    // Compilation is the expensive part: a sample of the clean cases, chosen from the case's own seed.
    const compile = fuzzCase.seed % options.compileEvery === 0;
    const step = compile && (fuzzCase.seed >>> 8) % options.stepEvery === 0;
    const result = await runner.run(fuzzCase, compile, step, compile ? options.compileTimeoutMs : options.checkTimeoutMs);
    totals.cases += 1;
    const findings: Finding[] =
      result === 'hang'
        ? [{ kind: 'hang', property: compile ? 'check or compile over the time limit' : 'parse and check over the time limit', detail: `over ${compile ? options.compileTimeoutMs : options.checkTimeoutMs} ms` }]
        : result.findings;
    if (result !== 'hang') {
      if (result.clean) totals.clean += 1;
      if (result.compiled) totals.compiled += 1;
      if (result.compiled && step) totals.stepped += 1;
      if (result.tooLarge !== undefined) {
        totals.tooLarge += 1;
        if (firstTooLarge === null) firstTooLarge = `case ${index}: ${result.tooLarge}`;
      }
    }
    for (const finding of findings) {
      if (finding.kind === 'crash' || finding.kind === 'hang' || finding.kind === 'disagreement') totals[finding.kind] += 1;
      else totals.other += 1;
      const key = `${finding.kind}: ${finding.property}`;
      const known = problems.get(key);
      if (known !== undefined) known.seen += 1;
      else problems.set(key, { finding, fuzzCase, compiled: result !== 'hang' && result.compiled, seen: 1 });
    }
    progress(false);
  }
  progress(true);

  // Minimize each distinct problem (hangs are kept as found: each try could take the whole limit).
  if (problems.size > 0) mkdirSync(out, { recursive: true });
  let n = 0;
  for (const [key, problem] of problems) {
    n += 1;
    const base = join(out, `${problem.finding.kind}-${options.seed}-${problem.fuzzCase.index}`);
    writeFileSync(`${base}.original.net`, problem.fuzzCase.source);
    let small = problem.fuzzCase.source;
    // Hangs are kept as found (each try could take the whole limit), and so are findings about the generator's
    // expectation, which a smaller program no longer has.
    const expectation = problem.finding.kind === 'rejected-valid' || key.includes('generator');
    if (problem.finding.kind !== 'hang' && !expectation) {
      const { expected: _, ...probe } = problem.fuzzCase;
      small = await minimize(problem.fuzzCase.source, async (candidate) => {
        const result = await runner.run({ ...probe, source: candidate }, problem.compiled, problem.compiled, options.compileTimeoutMs);
        return result !== 'hang' && result.findings.some((f) => `${f.kind}: ${f.property}` === key);
      });
    }
    writeFileSync(`${base}.net`, small);
    problem.reproducer = `${base}.net`;
    process.stderr.write(`minimized ${n}/${problems.size}\r`);
  }
  await runner.close();

  const seconds = (Date.now() - started) / 1000;
  const lines = [
    '',
    `fuzz report: seed ${options.seed}, ${totals.cases.toLocaleString('en-US')} cases in ${seconds.toFixed(1)} s ` +
      `(${(totals.cases / Math.max(seconds, 0.001)).toFixed(0)} cases/s)`,
    `  inputs: ${[...byKind].map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(', ')}`,
    `  checked clean: ${totals.clean.toLocaleString('en-US')}; compiled and compared with the summary: ${totals.compiled.toLocaleString('en-US')}; ` +
      `with a training step: ${totals.stepped.toLocaleString('en-US')}; too large for a fuzz case: ${totals.tooLarge}` +
      (firstTooLarge === null ? '' : ` (first: ${firstTooLarge})`),
    `  crashes: ${totals.crash}, hangs: ${totals.hang}, disagreements: ${totals.disagreement}, other findings: ${totals.other}`,
  ];
  for (const [key, problem] of problems) {
    lines.push(
      `  - ${key} (${problem.seen}x): first in case ${problem.fuzzCase.index} (${problem.fuzzCase.kind} from ${problem.fuzzCase.origin}); ` +
        `replay: npm run fuzz -- --seed ${options.seed} --case ${problem.fuzzCase.index}; reproducer: ${problem.reproducer}`,
      ...problem.finding.detail.split('\n').slice(0, 3).map((l) => `      ${l}`),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return problems.size === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
