import { statSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { CheckedModel } from '../../ir/model.js';
import type { ExportInput, ExportTarget } from '../../export/exportModel.js';
import { torchRecipe, torchRecipeProblem, type TrainRecipe } from '../../export/pytorchTrain.js';
import { resolveHyperparameters, type Hyperparameters } from '../../train/hyperparameters.js';
import type { Command } from '../Command.js';
import { CliError, type CliIO } from '../io.js';
import { analyze } from '../../frontend/analyze.js';
import { readModelFile, reportDiagnostics } from '../modelFile.js';
import { netcVersion } from '../version.js';

interface ExportArgs {
  readonly source: string;
  readonly to: ExportTarget;
  readonly output: string;
  readonly seed?: number;
  readonly python?: string;
}

/** `netc export SOURCE --to pytorch|onnx|tfjs -o DIR`: a model and its weights for another framework. */
export const exportCommand: Command<ExportArgs> = {
  command: 'export <source>',
  describe: 'Export a .net file or a trained run to PyTorch (model.py, weights.pt, train.py), ONNX or plain TensorFlow.js',
  builder: (yargs: Argv) =>
    yargs
      .positional('source', { type: 'string', demandOption: true, describe: 'a .net file, or a run directory (its latest checkpoint)' })
      .option('to', { choices: ['pytorch', 'onnx', 'tfjs'] as const, demandOption: true, describe: 'Format to write' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Directory to write into (created if missing)' })
      .option('seed', { type: 'number', describe: "With a .net file: seed of the initial weights (default: the file's train seed=, else random)" })
      .option('python', { type: 'string', describe: 'python3 with PyTorch (default: $NETC_PYTHON, python3 on PATH, /usr/bin/python3)' })
      .example('netc export runs/lenet_bn-20250101-120000 --to pytorch -o out/torch', 'trained weights as model.py + weights.pt + train.py')
      .example('netc export runs/lenet_bn-20250101-120000 --to onnx -o out/onnx', 'model.onnx: input [N,1,28,28], output logits')
      .example('netc export models/lenet-bn.net --seed 1 --to tfjs -o out/tfjs', 'a plain tfjs model (NHWC input), no netc layers')
      .epilogue(
        'PyTorch and ONNX take NCHW input as the .net file writes it; the plain TensorFlow.js model takes NHWC. ' +
          'Flatten keeps netc\'s (channels-last) order, so weights carry over unpermuted. Files appear only when ' +
          'all of them are written. Exit status: 0 exported, 1 model or export error, 2 usage.',
      ) as unknown as Argv<ExportArgs>,

  async run(args, io) {
    if (args.seed !== undefined && !(Number.isSafeInteger(args.seed) && args.seed >= 0)) {
      throw new CliError(`--seed must be a whole number of 0 or more, got ${String(args.seed)}.`);
    }
    const tf = await import('@tensorflow/tfjs');
    tf.env().set('PROD', true);
    const { exportModel } = await import('../../export/exportModel.js');
    const { findTorchPython } = await import('../../export/python.js');
    const input = await exportInput(args, io);
    if (input === null) return 1;
    const python = () => findTorchPython({ explicit: args.python ?? process.env['NETC_PYTHON'], path: process.env['PATH'] });
    const files = await exportModel(input, args.to, args.output, { python });
    const count = input.weights.reduce((n, w) => n + w.values.length, 0);
    io.out(`exported ${input.model.name} (${describeSource(input, args)}) to ${args.to}, ${count.toLocaleString('en-US')} values:\n`);
    for (const file of files) io.out(`  ${file}\n`);
    io.out(nextStep(args.to, args.output));
    return 0;
  },
};

/** The model, weights and recipe of SOURCE, or null after reporting the model file's errors. */
async function exportInput(args: ExportArgs, io: CliIO): Promise<ExportInput | null> {
  const { initialWeights, checkpointOf, checkpointWeights } = await import('../../export/netcWeights.js');
  if (isDirectory(args.source)) {
    if (args.seed !== undefined) throw new CliError('--seed applies to a .net file; a run directory exports its trained weights.');
    const checkpoint = checkpointOf(args.source, 'export');
    const file = analyze(checkpoint.source, checkpoint.state.file);
    if (!file.model) {
      reportDiagnostics(io, [file]);
      return null;
    }
    const h = checkpoint.state.hyperparameters;
    const problem = args.to === 'pytorch' ? torchRecipeProblem(h) : null;
    if (problem !== null) throw new CliError(`${args.source}: ${problem}; export --to onnx or tfjs for its weights.`, 1);
    return {
      model: file.model,
      weights: checkpointWeights(checkpoint),
      bn: h.bn,
      recipe: recipeFor(h, datasetOf(file.model)),
      source: args.source,
      netcVersion,
    };
  }
  const file = readModelFile(args.source);
  if (file.diagnostics.length > 0) reportDiagnostics(io, [file]);
  if (!file.model) return null;
  const h = resolveHyperparameters(file.model.train, { seed: args.seed });
  const problem = args.to === 'pytorch' ? torchRecipeProblem(h) : null;
  if (problem !== null) throw new CliError(`${args.source}: ${problem}; export --to onnx or tfjs, or drop those train keys.`, 1);
  return {
    model: file.model,
    weights: initialWeights(file.model, h.seed, null),
    bn: null,
    recipe: recipeFor(h, datasetOf(file.model)),
    source: args.source,
    netcVersion,
  };
}

/**
 * The recipe train.py is written with. Only the PyTorch export writes it, and only after torchRecipeProblem passed;
 * for the ONNX and TensorFlow.js exports it is unused, so an optimizer train.py lacks stands in as adam there.
 */
function recipeFor(h: Hyperparameters, dataset: string): TrainRecipe {
  return torchRecipe(h.optimizer === 'adamw' || h.optimizer === 'rmsprop' ? { ...h, optimizer: 'adam' } : h, dataset);
}

function datasetOf(model: CheckedModel): string {
  return model.train.dataset ?? 'fashion-mnist';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function describeSource(input: ExportInput, args: ExportArgs): string {
  if (isDirectory(args.source)) return `trained weights from ${args.source}`;
  return input.recipe.seed === null ? `${args.source}, random initial weights` : `${args.source}, initial weights of seed ${input.recipe.seed}`;
}

function nextStep(target: ExportTarget, dir: string): string {
  switch (target) {
    case 'pytorch':
      return `train it: python3 ${dir}/train.py --data DIR  (or torchrun --nproc_per_node=N ${dir}/train.py --data DIR)\n`;
    case 'onnx':
      return `input 'input' float32 [N, C, H, W], output 'logits'; check it: netc eval ${dir}\n`;
    case 'tfjs':
      return `load it with tf.loadLayersModel('file://${dir}/model.json'); input is NHWC\n`;
  }
}
