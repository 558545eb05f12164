import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { printSummary, toSummaryJson } from '../printSummary.js';
import { diagnosticsJson, readModelFile, reportDiagnostics } from '../modelFile.js';

interface SummaryArgs {
  readonly file: string;
  readonly format: 'text' | 'json';
}

/** `netc summary FILE`: one row per layer with its resolved variant, output shape, parameter counts and MACs. */
export const summaryCommand: Command<SummaryArgs> = {
  command: 'summary <file>',
  describe: 'Print a table of layers, output shapes, parameter counts and MACs (like Keras summary())',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'a .net file' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
      .example('netc summary models/lenet-bn.net', '')
      .epilogue('Shapes are C x H x W (or F for flat tensors), without the batch dimension.') as unknown as Argv<SummaryArgs>,
  plainArgs: (operands) => (operands.length === 1 ? { file: operands[0]!, format: 'text' } : undefined),
  async run(args, io) {
    const result = readModelFile(args.file);
    if (!result.model) {
      if (args.format === 'json') io.out(diagnosticsJson([result]));
      else reportDiagnostics(io, [result]);
      return 1;
    }
    if (args.format === 'json') {
      io.out(`${JSON.stringify(toSummaryJson(result.model), null, 2)}\n`);
    } else {
      // Warnings do not stop a summary, but the user should still see them.
      if (result.diagnostics.length > 0) reportDiagnostics(io, [result]);
      io.out(printSummary(result.model, args.file));
    }
    return 0;
  },
};
