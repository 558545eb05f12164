import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { datasets } from '../../ir/catalogue.js';
import { CliError } from '../io.js';

interface PredictArgs {
  readonly run: string;
  readonly files: readonly string[];
  readonly format: 'text' | 'json';
  readonly best: boolean;
  readonly top: number;
  readonly backend: 'auto' | 'gpu' | 'node' | 'wasm' | 'cpu';
}

/** `0.912`: probabilities as the closing lines print accuracies. */
function p(value: number): string {
  return value.toFixed(3);
}

/** `netc predict RUN FILES..`: the class of each image (or each image of an IDX/npz batch) with its probability. */
export const predictCommand: Command<PredictArgs> = {
  command: 'predict <run> <files..>',
  describe: "Classify images with a trained run's model: class, label and probabilities (PNG, JPEG, IDX, .npy, .npz)",
  builder: (yargs: Argv) =>
    yargs
      .positional('run', { type: 'string', demandOption: true, describe: 'a run directory (from netc train)' })
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'PNG/JPEG images, IDX image files, .npy or .npz arrays' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
      .option('best', { type: 'boolean', default: false, describe: 'Use the run\'s best epoch (saved by keep=best) instead of its last' })
      .option('top', { type: 'number', default: 3, describe: 'Classes listed per example in text output' })
      .option('backend', { choices: ['auto', 'gpu', 'node', 'wasm', 'cpu'] as const, default: 'auto' as const, describe: 'TensorFlow.js backend' })
      .example('netc predict runs/lenet_bn-20250101-120000 shoe.png', 'the class of one image')
      .example('netc predict runs/x t10k-images-idx3-ubyte.gz --format json', 'every image of an IDX file, as JSON')
      .epilogue(
        'Images must have the size the model takes (no resizing); grey images feed RGB models and the other way round. ' +
          "Label names come from the run's dataset. Exit status: 0 predicted, 1 run or input error, 2 usage.",
      ) as unknown as Argv<PredictArgs>,

  async run(args, io) {
    if (!(Number.isInteger(args.top) && args.top >= 1)) throw new CliError(`--top must be a whole number above 0, got ${args.top}.`);
    const [{ selectBackend }, { loadPredictor }, { readPredictInput }, { bestRunDir }] = await Promise.all([
      import('../../backend/select.js'),
      import('../../train/predict.js'),
      import('../../data/predictInputs.js'),
      import('../../train/train.js'),
    ]);
    const catalogueLabels = (dataset: string): readonly string[] | undefined => datasets[dataset]?.labels;
    // Inference runs the model as compiled, without netc's training kernels.
    await selectBackend(args.backend, { fastPath: false });
    const predictor = loadPredictor(args.best ? bestRunDir(args.run) : args.run, catalogueLabels);
    try {
      const input = predictor.model.input;
      const size = input.length === 3 ? { channels: input[0]!, rows: input[1]!, cols: input[2]! } : null;
      if (size === null) throw new CliError(`the model's input is flat (${input.join('x')}); netc predict reads images, for models with a C x H x W input.`, 1);
      const results: { input: string; class: number; label: string; probability: number; probabilities: number[] }[] = [];
      for (const file of args.files) {
        const batch = await readPredictInput(file, size);
        const rows = predictor.predict(batch.images, batch.count);
        rows.forEach((row, i) => {
          let best = 0;
          for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
          results.push({ input: batch.names[i]!, class: best, label: predictor.classNames[best]!, probability: row[best]!, probabilities: Array.from(row) });
        });
      }
      if (args.format === 'json') {
        const body = { run: args.run, checkpoint: predictor.checkpoint.dir, epoch: predictor.checkpoint.state.epochsDone, classes: predictor.classNames, predictions: results };
        io.out(`${JSON.stringify(body, null, 2)}\n`);
        return 0;
      }
      for (const r of results) {
        const others = r.probabilities
          .map((value, c) => ({ value, c }))
          .filter(({ c }) => c !== r.class)
          .sort((a, b) => b.value - a.value)
          .slice(0, args.top - 1)
          .map(({ value, c }) => `${predictor.classNames[c]} ${p(value)}`);
        io.out(`${r.input}: ${r.label} (class ${r.class}) ${p(r.probability)}${others.length > 0 ? `; then ${others.join(', ')}` : ''}\n`);
      }
      return 0;
    } finally {
      predictor.dispose();
    }
  },
};
