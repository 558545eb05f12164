import * as tf from '@tensorflow/tfjs';
import { analyze, type Analysis } from '../../src/frontend/analyze.js';
import { maxDiagnosticsPerFile } from '../../src/frontend/capDiagnostics.js';
import type { CheckedModel } from '../../src/ir/model.js';
import { compileGraph, type CompileOptions } from '../../src/compile/compile.js';
import { fromChannelsLast, toChannelsLast } from '../../src/ir/layout.js';
import type { Diagnostic } from '../../src/diagnostics/Diagnostic.js';
import { formatDiagnosticsText } from '../../src/diagnostics/format.js';
import { catalogue } from '../../src/diagnostics/messages.js';
import { printSummary, toSummaryJson } from '../../src/cli/printSummary.js';
import { createTrainStep } from '../../src/train/step.js';
import { exportsAgree } from './exports.js';
import type { Expected } from './generate.js';
import type { Rng } from './random.js';

// The properties every input must keep. Each returns findings (never throws for a property that fails), so a run
// counts them and a minimizer can ask whether a smaller input still shows the same one.

/** What kind of problem a finding is; `crash` is a JavaScript error escaping netc, `disagreement` two answers. */
export type FindingKind = 'crash' | 'disagreement' | 'invalid-diagnostic' | 'rejected-valid' | 'hang';

/** One property that failed on one input. */
export interface Finding {
  readonly kind: FindingKind;
  /** Which property, in a few words, stable across inputs (the minimizer keeps inputs with the same one). */
  readonly property: string;
  readonly detail: string;
}

/** The result of parsing and checking a source, with the findings of the front end's invariants. */
export interface CheckOutcome {
  readonly model: CheckedModel | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly findings: Finding[];
}

/** Parses and checks `source` as `netc check` does, and tests what any answer must satisfy. */
export function checkProgram(source: string): CheckOutcome {
  let analysis: Analysis;
  try {
    analysis = analyze(source, 'fuzz.net');
  } catch (error) {
    return { model: null, diagnostics: [], findings: [crash('parse or check threw', error)] };
  }
  const { diagnostics } = analysis;
  const findings: Finding[] = [];
  const shownErrors = diagnostics.filter((d) => d.severity === 'error').length;
  if ((analysis.errors === 0) !== (analysis.model !== null) || (shownErrors === 0) !== (analysis.errors === 0)) {
    findings.push({ kind: 'disagreement', property: 'model iff no error', detail: `${analysis.errors} errors (${shownErrors} shown), model ${analysis.model === null ? 'absent' : 'present'}` });
  }
  if (analysis.errors + analysis.warnings < diagnostics.length || diagnostics.length > maxDiagnosticsPerFile + 1) {
    findings.push({ kind: 'disagreement', property: 'diagnostic counts', detail: `${diagnostics.length} shown of ${analysis.errors} errors and ${analysis.warnings} warnings` });
  }
  // What `netc check` and `netc summary` print from the result must not throw either (code frames of odd text).
  try {
    formatDiagnosticsText('fuzz.net', source, diagnostics);
    if (analysis.model !== null) {
      printSummary(analysis.model, 'fuzz.net');
      JSON.stringify(toSummaryJson(analysis.model));
    }
  } catch (error) {
    findings.push(crash('printing diagnostics or the summary threw', error));
  }
  for (const d of diagnostics) {
    const why = diagnosticProblem(d, source);
    if (why !== null) findings.push({ kind: 'invalid-diagnostic', property: `diagnostic ${d.code}: ${why}`, detail: `${d.code} ${JSON.stringify(d.span)} ${d.message}` });
  }
  return { model: analysis.model, diagnostics, findings };
}

/** Why a diagnostic is malformed, or null: a catalogued code, a sentence, a span inside the source. */
function diagnosticProblem(d: Diagnostic, source: string): string | null {
  if (!Object.hasOwn(catalogue, d.code)) return 'code not in the catalogue';
  if (d.severity !== 'error' && d.severity !== 'warning') return 'bad severity';
  // A sentence: it may open with a layer's name (`dense expects a flat input ...`), as the style guide's example does.
  if (!/^[A-Za-z0-9`'"].*[.?]$/s.test(d.message)) return 'message is not a sentence';
  // Outside quoted source text, a JavaScript value printed raw is a bug in the message.
  if (/\b(undefined|NaN|null)\b|\[object Object\]/.test(d.message.replace(/`[^`]*`/g, ''))) return 'message shows a raw value';
  const s = d.span;
  if (!(s.offset >= 0 && s.end >= s.offset && s.end <= source.length)) return 'span outside the source';
  if (!(s.line >= 1 && s.column >= 1 && s.endLine >= s.line)) return 'bad line or column';
  return null;
}

/** The checker's model must be what the generator built: node count, parameter totals, output shape, no error. */
export function agreesWithGenerator(outcome: CheckOutcome, expected: Expected): Finding[] {
  const errors = outcome.diagnostics.filter((d) => d.severity === 'error');
  if (outcome.model === null) {
    const shown = errors.slice(0, 3).map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`);
    return [{ kind: 'rejected-valid', property: `valid program rejected: ${errors[0]?.code ?? 'no model'}`, detail: shown.join('\n') }];
  }
  const m = outcome.model;
  const got: Expected = { nodes: m.layers.length, trainable: m.totals.trainable, nonTrainable: m.totals.nonTrainable, output: m.layers[m.layers.length - 1]!.outputShape };
  if (JSON.stringify({ ...got, output: [...got.output] }) === JSON.stringify({ ...expected, output: [...expected.output] })) return [];
  return [{ kind: 'disagreement', property: 'checker differs from the generator', detail: `checker ${JSON.stringify(got)}, generator ${JSON.stringify(expected)}` }];
}

/**
 * Why a clean model is too large to compile in a fuzz case, or null: the checker's own limits (NN2028, NN2030,
 * NN2031) keep what a machine can hold; a fuzz case keeps to less, to stay quick. The fuzzer counts such models and
 * does not compile them (before issue 15's limits, `dense 2147483647` checked clean and crashed tfjs).
 */
export function tooLargeToCompile(model: CheckedModel): string | null {
  const parameters = model.totals.trainable + model.totals.nonTrainable;
  if (parameters > 5_000_000) return `${parameters} parameters`;
  const largest = Math.max(...model.layers.map((l) => l.outputShape.reduce((p, d) => p * d, 1)));
  if (largest > 2_000_000) return `a layer output of ${largest} values`;
  return null;
}

/** Options of `compileAgrees`, drawn at random per case. */
export interface CompileCase {
  readonly options: CompileOptions;
  /** Also run one training step on random data (only for a model with flat logits). */
  readonly step: boolean;
  /** Also export it to tfjs and ONNX and run the ONNX model (exports.ts). */
  readonly exports: boolean;
}

/** Random compile options: a seed, at times every `bn` from scratch, at times the fast path. */
export function drawCompileCase(rng: Rng, step: boolean, exports = step): CompileCase {
  const options: { seed: number; bn?: 'builtin' | 'scratch'; fuse?: boolean } = { seed: rng.int(1000) };
  if (rng.chance(0.25)) options.bn = rng.pick(['builtin', 'scratch'] as const);
  if (rng.chance(0.3)) options.fuse = true;
  return { options, step, exports };
}

/**
 * Compiles a checked model and compares it with the checker's summary: one compiled node per row, each node's
 * tfjs output shape (back in the language's C x H x W order) and weight counts equal to the row's; a forward pass
 * on a random batch gives finite values of the final shape; and, when asked, one training step runs and gives a
 * finite loss, and its exports agree (exports.ts). Any JavaScript error on the way is a crash: a clean check promises
 * a compile.
 */
export async function compileAgrees(model: CheckedModel, which: CompileCase): Promise<Finding[]> {
  const findings: Finding[] = [];
  let graph: ReturnType<typeof compileGraph>;
  try {
    graph = compileGraph(model, which.options);
  } catch (error) {
    return [crash('compile threw', error)];
  }
  try {
    if (graph.nodes.length !== model.layers.length) {
      findings.push(disagree('compiled node count', `${graph.nodes.length} compiled nodes for ${model.layers.length} summary rows`));
    }
    for (const layer of model.layers) {
      const node = graph.nodes.find((n) => n.index === layer.index);
      if (node === undefined) {
        findings.push(disagree('node missing from the compiled model', `row ${layer.index + 1} (${layer.op})`));
        continue;
      }
      const tfShape = graph.model.getLayer(node.output).outputShape as (number | null)[];
      const shape = fromChannelsLast(tfShape.slice(1) as number[]);
      if (JSON.stringify(shape) !== JSON.stringify([...layer.outputShape])) {
        findings.push(disagree(`compiled ${layer.op} shape`, `row ${layer.index + 1} (${layer.op}): summary ${layer.outputShape.join('x')}, tfjs ${shape.join('x')}`));
      }
      const counts = { trainable: 0, nonTrainable: 0 };
      for (const name of node.layers) {
        const tfLayer = graph.model.getLayer(name);
        counts.trainable += weightCount(tfLayer.trainableWeights);
        counts.nonTrainable += weightCount(tfLayer.nonTrainableWeights);
      }
      if (counts.trainable !== layer.params.trainable || counts.nonTrainable !== layer.params.nonTrainable) {
        findings.push(
          disagree(
            `compiled ${layer.op} parameters`,
            `row ${layer.index + 1} (${layer.op}${layer.variant ? ` ${layer.variant}` : ''}): summary ${layer.params.trainable}/${layer.params.nonTrainable}, tfjs ${counts.trainable}/${counts.nonTrainable}`,
          ),
        );
      }
    }
    const output = model.layers[model.layers.length - 1]!.outputShape;
    const batch = 3;
    const x = tf.randomUniform([batch, ...toChannelsLast(model.input)], 0, 1, 'float32', 7);
    let logits: Float32Array | null = null;
    try {
      const y = graph.model.predict(x) as tf.Tensor;
      const expectedShape = [batch, ...toChannelsLast(output)];
      if (JSON.stringify(y.shape) !== JSON.stringify(expectedShape)) {
        findings.push(disagree('predicted shape', `predict gives ${y.shape.join('x')}, the summary says ${expectedShape.join('x')}`));
      }
      const values = y.dataSync() as Float32Array;
      if (!values.every(Number.isFinite)) findings.push(disagree('predict gives non-finite values', 'NaN or infinity in a forward pass'));
      logits = y.rank === 2 ? Float32Array.from(values) : null;
      y.dispose();
    } catch (error) {
      findings.push(crash('predict threw', error));
    }
    // Exported before the step, with the weights the forward pass above used.
    if (which.exports) findings.push(...(await exportsAgree(model, graph, x, logits, which.options)));
    // Only what `netc train` accepts, whatever the dataset: flat logits of two classes or more, something to train.
    if (which.step && output.length === 1 && output[0]! >= 2 && model.totals.trainable > 0) {
      try {
        const step = createTrainStep(graph.model, tf.train.sgd(0.01));
        const labels = tf.tensor1d(
          Array.from({ length: batch }, (_, i) => i % output[0]!),
          'int32',
        );
        const result = step(x, labels);
        labels.dispose();
        if (!Number.isFinite(result.loss)) findings.push(disagree('training step loss is not finite', `loss ${result.loss}`));
      } catch (error) {
        findings.push(crash('training step threw', error));
      }
    }
    x.dispose();
  } finally {
    graph.model.dispose();
  }
  return findings;
}

function weightCount(weights: readonly tf.LayerVariable[]): number {
  return weights.reduce((sum, w) => sum + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
}

function disagree(property: string, detail: string): Finding {
  return { kind: 'disagreement', property, detail };
}

/** A JavaScript error where netc should have answered: its class and first message line name the property. */
export function crash(where: string, error: unknown): Finding {
  const e = error instanceof Error ? error : new Error(String(error));
  const first = e.message.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 120);
  return { kind: 'crash', property: `${where}: ${e.name}: ${first}`, detail: e.stack ?? e.message };
}
