import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerNetcKernels } from '../../src/backend/kernels/index.js';
import { layerKinds } from '../../src/layers/registry.js';
import { CaseRunner } from './CaseRunner.js';
import { makeCase, modelsCorpus, runCase, type FuzzCase } from './cases.js';
import { minimize } from './minimize.js';
import { mutate } from './mutate.js';
import { checkProgram, compileAgrees, drawCompileCase, tooLargeToCompile, type Finding } from './properties.js';
import { Rng, caseSeed } from './random.js';

// The fuzz suite of every test run (issues 15 and 17): a few thousand cheap cases through parse and check, and a
// few dozen through compile and one training step. The seed is random unless NETC_FUZZ_SEED sets it; a failure
// names it, and `npm run fuzz -- --seed S --case I` replays the case (the long run is `npm run fuzz -- --count N`).

const seed = process.env['NETC_FUZZ_SEED'] !== undefined ? Number(process.env['NETC_FUZZ_SEED']) : Math.floor(Math.random() * 2 ** 31);
const corpus = modelsCorpus();

function report(fuzzCase: FuzzCase, findings: readonly Finding[]): string {
  const what = findings.map((f) => `${f.kind}: ${f.property}\n${f.detail.split('\n').slice(0, 4).join('\n')}`).join('\n');
  return `seed ${seed}, case ${fuzzCase.index} (${fuzzCase.kind} from ${fuzzCase.origin}; replay: npm run fuzz -- --seed ${seed} --case ${fuzzCase.index}):\n${fuzzCase.source}\n--- ${what}`;
}

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  // The kernels `netc train --backend cpu` runs with.
  registerNetcKernels('cpu', { fast: true });
});

describe(`fuzz, seed ${seed} (NETC_FUZZ_SEED=${seed} replays it)`, () => {
  const cases = Array.from({ length: 3000 }, (_, i) => makeCase(seed, i, corpus));

  test('3,000 inputs, each within 10 s: parse and check never throw or hang, every diagnostic is well formed, generated programs check to what was built', async () => {
    const failures: string[] = [];
    const runner = new CaseRunner();
    try {
      for (const fuzzCase of cases) {
        const result = await runner.run(fuzzCase, false, false, 10_000);
        const findings: Finding[] = result === 'hang' ? [{ kind: 'hang', property: 'parse and check over 10 s', detail: '' }] : result.findings;
        if (findings.length > 0 && failures.length < 5) failures.push(report(fuzzCase, findings));
      }
    } finally {
      await runner.close();
    }
    expect(failures).toEqual([]);
  });

  test('the generator covers every layer kind, alias and construct of the language', () => {
    const generated = cases.filter((c) => c.kind === 'generated');
    const kinds = new Set(generated.flatMap((c) => c.kinds ?? []));
    expect([...kinds].sort()).toEqual(layerKinds.map((k) => k.name).sort());
    const text = generated.map((c) => c.source).join('\n');
    for (const construct of ['residual proj {', 'residual {', 'def ', ') x ', ' x2', '=', 'linear ', 'input 784', 'input 1x28x28', 'train ', 'p=same', 'impl=scratch', ', ']) {
      expect(text, construct).toContain(construct);
    }
    // Most generated programs use more than plain layers, and most mutants of real models are wrong.
    expect(generated.filter((c) => /def |residual|\(/.test(c.source)).length).toBeGreaterThan(generated.length / 3);
  });

  test('check-clean mutants of every model in models/ compile, agree with the summary, export and train a step', async () => {
    const failures: string[] = [];
    let compiled = 0;
    for (const [m, file] of corpus.entries()) {
      let found = 0;
      // Six clean mutants of each model, 42 in all (most mutants have errors: those are the cheap test's); the first two
      // of each are exported too.
      for (let i = 0; i < 600 && found < 6; i++) {
        const caseSeedValue = caseSeed(seed, 10_000 + m * 1000 + i);
        const rng = new Rng(caseSeedValue);
        const source = mutate(file.source, rng);
        const outcome = checkProgram(source);
        if (outcome.model === null || outcome.findings.length > 0 || tooLargeToCompile(outcome.model) !== null) continue;
        found += 1;
        const findings = await compileAgrees(outcome.model, drawCompileCase(rng, true, found <= 2));
        compiled += 1;
        if (findings.length > 0 && failures.length < 3) {
          failures.push(report({ index: -1, seed: caseSeedValue, kind: 'mutant', origin: file.name, source }, findings));
        }
      }
    }
    expect(failures).toEqual([]);
    expect(compiled).toBeGreaterThanOrEqual(corpus.length * 5);
  });

  test('generated programs that check clean compile, agree with the summary per layer, export and train a step', async () => {
    const failures: string[] = [];
    const chosen = cases.filter((c) => c.kind === 'generated').slice(0, 12);
    for (const fuzzCase of chosen) {
      const result = await runCase(fuzzCase, true, true);
      expect(result.compiled).toBe(true);
      if (result.findings.length > 0 && failures.length < 3) failures.push(report(fuzzCase, result.findings));
    }
    expect(failures).toEqual([]);
  });
});

describe('the fuzz tools', () => {
  test('minimize keeps the smallest input that still fails', async () => {
    const source = 'input 1x28x28\nconv 6 k5 | bn\nrelu\nflatten | dense 10\n';
    const small = await minimize(source, async (s) => s.includes('bn') && s.includes('relu'));
    expect(small).toBe('bnrelu');
  });

  test('a case over its time limit is a hang; the worker is replaced and the next case runs', async () => {
    const runner = new CaseRunner();
    try {
      const slow = makeCase(1, 0, corpus);
      // No compile finishes in a millisecond: the runner gives up on it as it would on a parser that loops.
      expect(await runner.run({ ...slow, source: 'input 1x28x28\nconv 8 k3 | flatten | dense 10\n', expected: undefined }, true, true, 1)).toBe('hang');
      const next = await runner.run({ ...slow, source: 'input 784\ndense 10\n', expected: undefined }, false, false, 60_000);
      expect(next).toEqual({ findings: [], clean: true, compiled: false });
    } finally {
      await runner.close();
    }
  });

  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(fileURLToPath(new URL('../../', import.meta.url)), 'tmp-fuzz-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('`npm run fuzz` runs a seeded count in a worker and reports zero problems with a progress line', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/fuzz/run.ts', '--count', '30', '--seed', '3', '--compile-every', '3', '--out', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/fuzz seed 3: 30\/30 cases/);
    expect(run.stdout).toMatch(/fuzz report: seed 3, 30 cases in/);
    expect(run.stdout).toContain('crashes: 0, hangs: 0, disagreements: 0, other findings: 0');
    expect(readdirSync(out)).toEqual([]);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'test/fuzz/run.ts', '--count', 'many'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--count needs a whole number, not many');
  });
});
