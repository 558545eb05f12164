/**
 * Every limit in docs/LANGUAGE.md's table, at the limit and just past it, through `netc check`, `netc summary`,
 * `netc compile` and a training step (issue 15: "resource limits that are true"). At the limit a model checks clean,
 * summarises, compiles and trains; past it, every command refuses it with the documented code, never a crash.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { maxExpandedNodes, maxModelNodes, maxNesting as maxExpansionNesting } from '../../src/check/expand.js';
import { maxParameters, maxValuesPerExample } from '../../src/check/rules/ModelSizeRule.js';
import { maxWhole } from '../../src/check/values.js';
import { analyze } from '../../src/frontend/analyze.js';
import { maxDiagnosticsPerFile } from '../../src/frontend/capDiagnostics.js';
import { compileModel } from '../../src/compile/compile.js';
import { maxNesting } from '../../src/syntax/brackets.js';
import { maxSyntaxDiagnostics } from '../../src/syntax/parse.js';
import { createTrainStep } from '../../src/train/step.js';
import { epochLines, netc, workspace } from './trainHelpers.js';

const ws = workspace(undefined, { train: 16, test: 8 });
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

let files = 0;
function write(source: string): string {
  const path = join(ws.dir, `limit-${files++}.net`);
  writeFileSync(path, source);
  return path;
}

/** A chain of `n` layers and joins: flatten, alternating relu and tanh, dense 10. */
function chain(n: number): string {
  const middle = Array.from({ length: n - 2 }, (_, i) => (i % 2 === 0 ? 'relu' : 'tanh'));
  return `input 1x28x28\nflatten\n${middle.join('\n')}\ndense 10\n`;
}

/** check, summary and compile all refuse `source` with `code`, exit 1, and no stack. */
async function refusedEverywhere(source: string, code: string): Promise<void> {
  const path = write(source);
  for (const args of [['check', path], ['summary', path], ['compile', path, '-o', join(ws.dir, 'refused')]]) {
    const run = await netc(args);
    expect(run.code, args[0]).toBe(1);
    expect(run.out + run.err, args[0]).toContain(`error ${code}:`);
    expect(run.out + run.err, args[0]).not.toMatch(/\n\s+at |internal error/);
  }
}

/** check clean, a summary, a compiled model on disk: the model at the limit goes through every command. */
async function acceptedEverywhere(source: string): Promise<string> {
  const path = write(source);
  const check = await netc(['check', path]);
  expect(check.out).toMatch(/1 file checked: no problems\.\n$/);
  expect(check.code).toBe(0);
  const summary = await netc(['summary', path, '--format', 'json']);
  expect(summary.code).toBe(0);
  const out = join(ws.dir, `compiled-${files}`);
  const compiled = await netc(['compile', path, '-o', out]);
  expect(compiled.err).toBe('');
  expect(compiled.code).toBe(0);
  expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'))).toHaveProperty('modelTopology');
  rmSync(out, { recursive: true, force: true });
  return path;
}

/** One optimizer step on two examples, through netc's own training step; the loss it reports is finite. */
function oneStep(source: string): number {
  const model = analyze(source, 'limit.net').model!;
  const compiled = compileModel(model, { seed: 1 });
  const optimizer = tf.train.sgd(0.01);
  try {
    const step = createTrainStep(compiled, optimizer);
    const shape = compiled.inputs[0]!.shape.slice(1) as number[];
    const x = tf.randomUniform([2, ...shape], 0, 1, 'float32', 1);
    const y = tf.tensor1d([3, 7], 'int32');
    const { loss } = step(x, y);
    tf.dispose([x, y]);
    return loss;
  } finally {
    optimizer.dispose();
    compiled.dispose();
  }
}

describe(`layers and joins in one model: ${maxModelNodes.toLocaleString('en-US')} (NN2030)`, () => {
  test('at the limit: checks, summarises, compiles and trains an epoch through `netc train`', async () => {
    const path = await acceptedEverywhere(chain(maxModelNodes));
    const run = await netc(['train', path, '--data', ws.data, '--backend', 'cpu', '--batch', '8', '--epochs', '1', '--out', join(ws.dir, 'deep')]);
    expect(run.code).toBe(0);
    expect(epochLines(run.out)).toHaveLength(1);
  }, 240_000);

  test('one past: NN2030 at the layer past the limit, in every command', async () => {
    await refusedEverywhere(chain(maxModelNodes + 1), 'NN2030');
    const at = analyze(chain(maxModelNodes + 1), 'x.net').diagnostics;
    expect(at.map((d) => [d.code, d.span.line])).toEqual([['NN2030', maxModelNodes + 2]]);
  });
});

describe(`layers and joins made by blocks and repetition: ${maxExpandedNodes.toLocaleString('en-US')} (NN2028)`, () => {
  const repeated = (n: number): string => `input 784\ndense 10 x${n}\n`;

  test('at the limit: accepted everywhere', async () => {
    await acceptedEverywhere(repeated(maxExpandedNodes));
  }, 120_000);

  test('past it: NN2028 before anything is expanded', async () => {
    await refusedEverywhere(repeated(maxExpandedNodes + 1), 'NN2028');
  });
});

describe(`nesting while expanding: ${maxExpansionNesting} levels (NN2028); brackets: ${maxNesting} levels (NN1006)`, () => {
  const nested = (depth: number): string => `input 784\n${'('.repeat(depth)}dense 10${')'.repeat(depth)}\n`;

  test(`${maxExpansionNesting} groups deep: accepted everywhere and trains a step`, async () => {
    await acceptedEverywhere(nested(maxExpansionNesting));
    expect(Number.isFinite(oneStep(nested(maxExpansionNesting)))).toBe(true);
  });

  test(`${maxExpansionNesting + 1} deep: NN2028; ${maxNesting} brackets still parse (NN2028), ${maxNesting + 1} do not (NN1006)`, async () => {
    await refusedEverywhere(nested(maxExpansionNesting + 1), 'NN2028');
    await refusedEverywhere(nested(maxNesting), 'NN2028');
    await refusedEverywhere(nested(maxNesting + 1), 'NN1006');
  });
});

describe(`diagnostics shown: ${maxSyntaxDiagnostics} syntax, ${maxDiagnosticsPerFile} in all, then NN1005`, () => {
  const junk = (n: number): string => `input 784\n${'dense 10 ]\n'.repeat(n)}`;

  test('at the limit no NN1005; one past, one NN1005 that counts the rest', () => {
    expect(analyze(junk(maxSyntaxDiagnostics), 'x.net').diagnostics.map((d) => d.code)).not.toContain('NN1005');
    const past = analyze(junk(maxSyntaxDiagnostics + 1), 'x.net').diagnostics;
    expect(past.filter((d) => d.code === 'NN1005')).toHaveLength(1);
  });
});

describe(`sizes and counts: at most ${maxWhole.toLocaleString('en-US')} (NN2011); model size (NN2031)`, () => {
  test(`a size of 2^31 - 1 is a valid number but too large a model: NN2031 everywhere, not a crash in compile`, async () => {
    await refusedEverywhere(`input 784\ndense ${maxWhole}\n`, 'NN2031');
    await refusedEverywhere(`input 784\ndense ${maxWhole + 1}\n`, 'NN2011');
    await refusedEverywhere(`input 1x${maxWhole}x1\nflatten | dense 10\n`, 'NN2031');
  });

  // flatten | dense U | dense 10 on 784 inputs has 795 U + 10 parameters.
  const units = Math.floor((maxParameters - 10) / 795);

  test(`${maxParameters.toLocaleString('en-US')} parameters: just under, accepted everywhere and trains a step`, async () => {
    const source = `input 1x28x28\nflatten | dense ${units} | dense 10\n`;
    expect(analyze(source, 'x.net').model!.totals.trainable).toBeLessThanOrEqual(maxParameters);
    await acceptedEverywhere(source);
    expect(Number.isFinite(oneStep(source))).toBe(true);
  }, 240_000);

  test('one unit more: NN2031 at the layer that passes the limit', async () => {
    await refusedEverywhere(`input 1x28x28\nflatten | dense ${units + 1} | dense 10\n`, 'NN2031');
  });

  // conv C k1 on 1x28x28 outputs C x 28 x 28 values per example.
  const channels = Math.floor(maxValuesPerExample / 784);

  test(`${maxValuesPerExample.toLocaleString('en-US')} values per layer output: just under, accepted and trains a step`, async () => {
    const source = `input 1x28x28\nconv ${channels} k1 | avgpool 28 | flatten | dense 10\n`;
    await acceptedEverywhere(source);
    expect(Number.isFinite(oneStep(source))).toBe(true);
  }, 240_000);

  test('one channel more: NN2031', async () => {
    await refusedEverywhere(`input 1x28x28\nconv ${channels + 1} k1 | avgpool 28 | flatten | dense 10\n`, 'NN2031');
  });
});
