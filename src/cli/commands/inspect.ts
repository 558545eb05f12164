import type { Argv } from 'yargs';
import type { BatchNormValues, RunInspection } from '../../train/inspect.js';
import type { Command } from '../Command.js';
import { readNumberFlag } from '../flags.js';
import { CliError } from '../io.js';

interface InspectArgs {
  readonly run: string;
  /** Text until checked: `--layer abc` is refused in words, not read as NaN. */
  readonly layer?: string;
  readonly format: 'text' | 'json';
}

/** Values printed per row of the text table. */
const perRow = 8;

/** `netc inspect RUN_DIR`: each batch-norm layer's learned gamma and beta and its moving mean and variance. */
export const inspectCommand: Command<InspectArgs> = {
  command: 'inspect <run>',
  describe: "Print each batch-norm layer's learned gamma and beta and its moving mean and variance",
  builder: (yargs: Argv) =>
    yargs
      .positional('run', { type: 'string', demandOption: true, describe: 'a run directory made by netc train' })
      .option('layer', {
        type: 'string',
        describe: 'Only layer N, numbered as the # column of `netc summary` (1 = first layer written, every layer counted)',
      })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
      .example('netc inspect runs/lenet_bn-20250101-120000', 'every bn layer')
      .example('netc inspect runs/lenet_bn-20250101-120000 --layer 2', "the first bn of LeNet-BN (the seed's net[1])")
      .epilogue('Values are read from the run\'s latest checkpoint.') as unknown as Argv<InspectArgs>,

  async run(args, io) {
    const wanted = readNumberFlag('layer', args.layer, { kind: 'int', min: 1 });
    // Loaded here, not at start-up: reading a run pulls in the compiler's tfjs layer registry.
    const { inspectRun } = await import('../../train/inspect.js');
    const run = inspectRun(args.run);
    let layers = run.layers;
    if (wanted !== undefined) {
      layers = run.layers.filter((layer) => layer.index === wanted);
      if (layers.length === 0) throw new CliError(layerMistake(run, wanted));
    }
    if (args.format === 'json') {
      io.out(`${JSON.stringify(toJson(run, layers), null, 2)}\n`);
      return 0;
    }
    io.out(`${run.model} (${run.file}), ${describeProgress(run)}, from ${run.checkpoint}\n`);
    if (layers.length === 0) io.out('The model has no batch-norm layer.\n');
    for (const layer of layers) io.out(`\n${formatLayer(layer)}`);
    return 0;
  },
};

/** `epoch 2 of 2`, or for a run stopped inside an epoch `stopped in epoch 1 of 2, after batch 5` (not "epoch 0"). */
function describeProgress(run: RunInspection): string {
  if (run.batchesIntoNextEpoch === null) return `epoch ${run.epochsDone} of ${run.epochs}`;
  return `stopped in epoch ${run.epochsDone + 1} of ${run.epochs}, after batch ${run.batchesIntoNextEpoch}`;
}

/** Why `--layer N` selects nothing, with the numbers that would. */
function layerMistake(run: RunInspection, n: number): string {
  const numbers = run.layers.map((layer) => layer.index).join(', ');
  const valid = numbers.length > 0 ? `its batch-norm layers are ${numbers}` : 'it has no batch-norm layer';
  const layer = run.allLayers.find((candidate) => candidate.index === n);
  const what =
    layer !== undefined
      ? `layer ${n} is \`${layer.op}\` (line ${layer.line}), not a batch norm`
      : `the model has ${run.allLayers.length} layers, so there is no layer ${n}`;
  return `--layer ${n}: ${what}; ${valid} (numbered as in \`netc summary\`).`;
}

/** One layer as a block: a heading naming its source line, then the four vectors in rows of `perRow`. */
function formatLayer(layer: BatchNormValues): string {
  const unit = layer.variant === 'BatchNorm2d' ? 'channels' : 'features';
  const heading = `layer ${layer.index}, line ${layer.line}:${layer.column}: bn ${layer.variant} (${layer.impl}), ${layer.features} ${unit}\n`;
  const rows = [
    ['gamma', layer.gamma],
    ['beta', layer.beta],
    ['moving mean', layer.movingMean],
    ['moving variance', layer.movingVariance],
  ] as const;
  return heading + rows.map(([label, values]) => formatVector(label, values)).join('');
}

function formatVector(label: string, values: readonly number[]): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += perRow) {
    // A space before every cell even when a value fills its width, so neighbours never run together.
    const cells = values.slice(i, i + perRow).map((v) => ` ${formatValue(v).padStart(10)}`);
    lines.push(`  ${(i === 0 ? label : '').padEnd(15)}${cells.join('')}`);
  }
  return `${lines.join('\n')}\n`;
}

// Four significant decimals as the seed's tensors print; exponents for the tiny or huge values a diverging run has.
function formatValue(v: number): string {
  const magnitude = Math.abs(v);
  return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

function toJson(run: RunInspection, layers: readonly BatchNormValues[]): object {
  return {
    model: run.model,
    file: run.file,
    checkpoint: run.checkpoint,
    epochsDone: run.epochsDone,
    epochs: run.epochs,
    batchesIntoNextEpoch: run.batchesIntoNextEpoch,
    layers: layers.map((layer) => ({
      index: layer.index,
      line: layer.line,
      column: layer.column,
      variant: layer.variant,
      impl: layer.impl,
      tfjsLayer: layer.layer,
      features: layer.features,
      gamma: layer.gamma,
      beta: layer.beta,
      movingMean: layer.movingMean,
      movingVariance: layer.movingVariance,
    })),
  };
}
