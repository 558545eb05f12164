import type { Argv } from 'yargs';
import { bnImpls, type BnImpl } from '../../ir/catalogue.js';
import { checkFlag } from '../flags.js';
import type { Command } from '../Command.js';
import type { CompileOptions } from '../../compile/compile.js';
import { readModelFile, reportDiagnostics } from '../modelFile.js';
import { formatCount, printSummary } from '../printSummary.js';

interface CompileArgs {
  readonly file: string;
  readonly output: string;
  readonly bn?: BnImpl;
  readonly seed?: number;
}

/** `netc compile FILE -o DIR`: the checked model as a TensorFlow.js layers model (model.json + weights.bin). */
export const compileCommand: Command<CompileArgs> = {
  command: 'compile <file>',
  describe: 'Compile a .net file to a TensorFlow.js layers model (model.json + weights.bin) and print its summary',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'a .net file' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Directory to write the model to' })
      .option('bn', {
        type: 'string',
        describe: `Batch-norm implementation for every bn (${bnImpls.join(' or ')}), overriding the file's impl=`,
      })
      .option('seed', { type: 'number', describe: "Seed for the initial weights (default: the file's train seed=, else random)" })
      .example('netc compile models/lenet-bn.net -o out/lenet-bn', '')
      .example('netc compile models/lenet-bn.net -o out/scratch --bn scratch --seed 1', "netc's own batch norm, fixed weights")
      .epilogue(
        'The directory is written atomically (staged next to it, then renamed). It may be missing or empty; ' +
          'a directory holding a previous netc compile output is replaced; anything else is refused. ' +
          'Load it with tf.loadLayersModel after registerNetcLayers() (dist/compile/netcLayers.js) registers netc\'s layer classes.',
      ) as unknown as Argv<CompileArgs>,
  async run(args, io) {
    const seed = args.seed;
    checkFlag('seed', seed);
    checkFlag('bn', args.bn);
    const result = readModelFile(args.file);
    if (result.diagnostics.length > 0) reportDiagnostics(io, [result]);
    if (!result.model) return 1;

    // tfjs is loaded only here, never at import: every command module is imported by `netc check` too.
    const tf = await import('@tensorflow/tfjs');
    // The cpu backend's "install tfjs-node" hint is noise here: building the model costs milliseconds.
    tf.env().set('PROD', true);
    const { compileGraph } = await import('../../compile/compile.js');
    const { saveModel } = await import('../../compile/io.js');

    const options: CompileOptions = { bn: args.bn, seed: seed ?? result.model.train.seed };
    const { model } = compileGraph(result.model, options);
    try {
      const saved = await saveModel(model, args.output);
      io.out(printSummary(result.model, args.file));
      io.out(
        `${saved.replaced ? 'replaced' : 'wrote'} ${args.output}/model.json and ${args.output}/weights.bin ` +
          `(${formatCount(saved.weightBytes)} bytes of weights${options.bn ? `, bn=${options.bn}` : ''}` +
          `${options.seed !== undefined ? `, seed ${options.seed}` : ''}).\n`,
      );
    } finally {
      model.dispose();
    }
    return 0;
  },
};
