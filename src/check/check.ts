import type { CheckedLayer, CheckedModel, ParamCount, Shape } from './model.js';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import type { FileNode, InputNode, LayerNode, ModelNode, TrainNode } from '../syntax/ast.js';
// Only type imports from tfjs are reachable from here: `netc check` must answer without loading TensorFlow.js.
import { findLayerKind, layerNameHints, layerNames } from '../layers/registry.js';
import { Reporter } from './Reporter.js';
import { didYouMean, listNames } from './didYouMean.js';
import { inferShapes, type LayerShapes, type ResolvedLayer } from './infer.js';
import { resolveInputShape } from './inputShape.js';
import { resolveArgs, type ReportFn } from './resolveArgs.js';
import { SyntaxDamage } from './SyntaxDamage.js';
import { rules } from './rules/index.js';
import type { FileStatements } from './rules/Rule.js';
import { defaultDataset, resolveTrain } from './trainOptions.js';

/** Options of `check`. */
export interface CheckOptions {
  /** The file's path; its base name (without `.net`) names a model that has no `model` statement. */
  readonly fileName?: string;
  /**
   * The parser's diagnostics for this AST. With them the checker stays quiet about what a syntax error caused (an
   * argument lost with its layer, a shape that skipped a dropped layer) and reports only independent problems.
   */
  readonly parseDiagnostics?: readonly Diagnostic[];
}

/** What `check` returns: the checked model when there is no error (warnings allowed), and every diagnostic. */
export interface CheckResult {
  readonly model: CheckedModel | null;
  readonly diagnostics: Diagnostic[];
}

/**
 * Checks a parsed `.net` file: resolves names and arguments, infers every shape in one pass, runs the rules,
 * and builds the checked model. Reports every problem it can find; never throws on user input.
 */
export function check(ast: FileNode, options: CheckOptions = {}): CheckResult {
  const reporter = new Reporter();
  const report: ReportFn = (code, message, span, related) => reporter.report(code, message, span, related);

  const statements = groupStatements(ast);
  const damage = new SyntaxDamage(ast, options.parseDiagnostics ?? []);
  const firstInput = statements.inputs[0];
  // A damaged `input` may have lost dimensions (`1x28x` reads as `1`): its shape is unknown, not wrong.
  const input = firstInput === undefined || damage.damaged(firstInput) ? null : resolveInputShape(firstInput, report);
  const train = resolveTrain(statements.trains, report);
  const layers = statements.layers.map((node, index) => resolveLayer(node, index, damage, report));
  const shapes = inferShapes(input, layers, reporter);

  const context = { statements, layers, shapes, damage, dataset: train.options.dataset ?? defaultDataset, report };
  for (const rule of rules) rule(context);

  const diagnostics = reporter.sorted();
  if (reporter.hasErrors || damage.any || firstInput === undefined || input === null) return { model: null, diagnostics };
  const checkedLayers = layers.map((layer) => checkedLayer(layer, shapes[layer.index]!));
  const model: CheckedModel = {
    name: statements.models[0]?.name.name ?? modelNameFromFile(options.fileName),
    input,
    inputSpan: firstInput.span,
    train: train.options,
    trainSpans: train.spans,
    layers: checkedLayers,
    totals: sumParams(checkedLayers.map((layer) => layer.params)),
  };
  return { model, diagnostics };
}

/** The statements by kind; pipelines are joined into one stack, as consecutive statements chain. */
function groupStatements(file: FileNode): FileStatements {
  const models: ModelNode[] = [];
  const inputs: InputNode[] = [];
  const trains: TrainNode[] = [];
  const layers: LayerNode[] = [];
  for (const statement of file.statements) {
    switch (statement.kind) {
      case 'Model':
        models.push(statement);
        break;
      case 'Input':
        inputs.push(statement);
        break;
      case 'Train':
        trains.push(statement);
        break;
      case 'Pipeline':
        layers.push(...statement.layers);
        break;
    }
  }
  return { file, models, inputs, trains, layers };
}

function resolveLayer(node: LayerNode, index: number, damage: SyntaxDamage, report: ReportFn): ResolvedLayer {
  const name = node.name.name;
  const kind = findLayerKind(name);
  const afterSyntaxError = damage.reaches(node);
  if (kind === undefined) {
    report('NN2001', unknownLayerMessage(name), node.name.span);
    return { index, node, kind: null, args: {}, argSpans: {}, complete: false, afterSyntaxError };
  }
  const resolved = resolveArgs(kind, node, report, { damaged: damage.damaged(node) });
  return { index, node, kind, args: resolved.args, argSpans: resolved.spans, complete: resolved.complete, afterSyntaxError };
}

function unknownLayerMessage(name: string): string {
  const hinted = layerNameHints[name];
  if (hinted === 'bn') {
    return `Unknown layer \`${name}\`; did you mean \`bn\`? It picks BatchNorm1d or BatchNorm2d from its input.`;
  }
  const guess = hinted ?? didYouMean(name, layerNames());
  if (guess !== undefined) return `Unknown layer \`${name}\`; did you mean \`${guess}\`?`;
  // `inptu 784` parses as a layer; the likely slip is a statement keyword.
  const statement = didYouMean(name, ['input', 'model', 'train']);
  if (statement !== undefined) return `Unknown layer \`${name}\`; did you mean the \`${statement}\` statement?`;
  return `Unknown layer \`${name}\`; the layers are ${listNames(layerNames(), 'and')}.`;
}

// Only called when the check found no error, so every layer resolved and every shape is known.
function checkedLayer(layer: ResolvedLayer, shapes: LayerShapes): CheckedLayer {
  const { kind } = layer;
  if (kind === null || shapes.input === null || shapes.output === null) {
    throw new Error(`internal: layer ${layer.index} is unresolved in an error-free check`);
  }
  const input: Shape = shapes.input;
  return {
    index: layer.index,
    op: kind.name,
    variant: kind.variant?.(input) ?? null,
    args: layer.args,
    span: layer.node.span,
    // Language v1 is a straight stack: each layer reads the one before it, the first reads the input (-1).
    inputs: [layer.index - 1],
    inputShape: input,
    outputShape: shapes.output,
    params: kind.params(input, layer.args),
  };
}

function sumParams(counts: readonly ParamCount[]): ParamCount {
  return counts.reduce(
    (total, count) => ({
      trainable: total.trainable + count.trainable,
      nonTrainable: total.nonTrainable + count.nonTrainable,
    }),
    { trainable: 0, nonTrainable: 0 },
  );
}

/** `models/lenet-bn.net` names its model `lenet-bn`; without a file name the model is `model`. */
function modelNameFromFile(fileName: string | undefined): string {
  if (fileName === undefined) return 'model';
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const name = base.endsWith('.net') ? base.slice(0, -'.net'.length) : base;
  return name === '' ? 'model' : name;
}
