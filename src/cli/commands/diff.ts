import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { diffModels } from '../../contracts/diff.js';
import { diagnosticsJson, readModelFile, reportDiagnostics } from '../modelFile.js';
import { diffSide, printDiff, toDiffJson } from '../printDiff.js';

interface DiffArgs {
  readonly a: string;
  readonly b: string;
  readonly format: 'text' | 'json';
  readonly exitCode: boolean;
}

/** `netc diff A.net B.net`: the two models' layers aligned, with what changed in shapes, parameters and MACs. */
export const diffCommand: Command<DiffArgs> = {
  command: 'diff <a> <b>',
  describe: 'Compare two models layer by layer: changed shapes, parameters and MACs, and the totals\' differences',
  builder: (yargs: Argv) =>
    yargs
      .positional('a', { type: 'string', demandOption: true, describe: 'the old .net file' })
      .positional('b', { type: 'string', demandOption: true, describe: 'the new .net file' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
      .option('exit-code', { type: 'boolean', default: false, describe: 'Exit 1 when the models differ (like git diff --exit-code)' })
      .example('netc diff models/lenet.net models/lenet-bn.net', '')
      .epilogue(
        'Rows: " " same, "~" changed, "-" only in a, "+" only in b. Layers are aligned on their op and arguments,\n' +
          'so an inserted layer shows as one "+" row and the layers after it as changed only if their shapes changed.\n' +
          'Exit status: 0 compared (1 with --exit-code when they differ), 1 a file has errors, 2 usage or I/O problem.',
      ) as unknown as Argv<DiffArgs>,
  async run(args, io) {
    const a = readModelFile(args.a);
    const b = readModelFile(args.b);
    if (a.model === null || b.model === null) {
      if (args.format === 'json') io.out(diagnosticsJson([a, b]));
      else reportDiagnostics(io, [a, b]);
      return 1;
    }
    const sideA = diffSide(a.model);
    const sideB = diffSide(b.model);
    const diff = diffModels(sideA, sideB);
    if (args.format === 'json') {
      io.out(`${JSON.stringify(toDiffJson(args.a, sideA, args.b, sideB, diff), null, 2)}\n`);
    } else {
      io.out(printDiff(args.a, sideA, args.b, sideB, diff));
    }
    return args.exitCode && diff.changed ? 1 : 0;
  },
};
