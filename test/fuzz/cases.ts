import { readFileSync, readdirSync } from 'node:fs';
import { generateProgram, type Expected } from './generate.js';
import { defaultLimits, garbageSource, mutate, type MutateLimits } from './mutate.js';
import { agreesWithGenerator, checkProgram, compileAgrees, drawCompileCase, tooLargeToCompile, type Finding } from './properties.js';
import { Rng, caseSeed } from './random.js';

// One fuzz case from (run seed, case index) alone, so any case replays on its own: a generated valid program, a
// mutant of a file in models/ or of a generated program, or garbage.

/** A source file the mutator starts from. */
export interface CorpusFile {
  readonly name: string;
  readonly source: string;
}

/** One input of a run. */
export interface FuzzCase {
  readonly index: number;
  /** The seed that makes this case (`caseSeed(run seed, index)`). */
  readonly seed: number;
  readonly kind: 'generated' | 'mutant' | 'garbage';
  /** Where the source came from: `generated`, or the file a mutant was made from. */
  readonly origin: string;
  readonly source: string;
  /** For a generated program: what the checker must make of it. */
  readonly expected?: Expected;
  readonly kinds?: readonly string[];
}

/** The files in models/, the mutator's corpus. */
export function modelsCorpus(): CorpusFile[] {
  const dir = new URL('../../models/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.net'))
    .sort()
    .map((f) => ({ name: `models/${f}`, source: readFileSync(new URL(f, dir), 'utf8') }));
}

/** Case `index` of the run with seed `runSeed`. */
export function makeCase(runSeed: number, index: number, corpus: readonly CorpusFile[], limits: MutateLimits = defaultLimits): FuzzCase {
  const seed = caseSeed(runSeed, index);
  const rng = new Rng(seed);
  const roll = rng.next();
  if (roll < 0.5) {
    const program = generateProgram(rng);
    return { index, seed, kind: 'generated', origin: 'generated', source: program.source, expected: program.expected, kinds: [...program.kinds] };
  }
  if (roll < 0.85) {
    const file = rng.pick(corpus);
    return { index, seed, kind: 'mutant', origin: file.name, source: mutate(file.source, rng, limits) };
  }
  if (roll < 0.95) return { index, seed, kind: 'mutant', origin: 'generated', source: mutate(generateProgram(rng).source, rng, limits) };
  return { index, seed, kind: 'garbage', origin: 'garbage', source: garbageSource(rng) };
}

/** What running a case found. */
export interface CaseResult {
  readonly findings: Finding[];
  /** True when the source checked without errors. */
  readonly clean: boolean;
  /** True when it was also compiled (and compared with the summary). */
  readonly compiled: boolean;
  /** Set when a clean model was not compiled because it needs more memory than a fuzz case may take. */
  readonly tooLarge?: string;
}

/**
 * Runs the front-end properties on a case and, when `compile` and the source checks clean, the compiler's; a
 * sample of those (`step`) is also exported and runs one training step.
 */
export async function runCase(fuzzCase: FuzzCase, compile: boolean, step: boolean): Promise<CaseResult> {
  const outcome = checkProgram(fuzzCase.source);
  const findings = [...outcome.findings];
  if (fuzzCase.expected !== undefined) findings.push(...agreesWithGenerator(outcome, fuzzCase.expected));
  const clean = outcome.model !== null;
  if (!compile || outcome.model === null) return { findings, clean, compiled: false };
  const tooLarge = tooLargeToCompile(outcome.model);
  if (tooLarge !== null) return { findings, clean, compiled: false, tooLarge };
  findings.push(...(await compileAgrees(outcome.model, drawCompileCase(new Rng(fuzzCase.seed ^ 0x5bd1e995), step))));
  return { findings, clean, compiled: true };
}
