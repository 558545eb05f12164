import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { formatDiagnosticsText } from '../../diagnostics/format.js';
import { writeFileAtomic } from '../../compile/atomicWrite.js';
import { formatSource } from '../../syntax/format.js';
import { CliError } from '../io.js';
import { readModelSource } from '../modelFile.js';

interface FmtArgs {
  readonly files?: string[];
  readonly check: boolean;
}

/** `netc fmt FILE...`: rewrites files in the one layout; `--check` lists those that would change; `-` is stdin. */
export const fmtCommand: Command<FmtArgs> = {
  command: 'fmt [files..]',
  describe: 'Format .net files in place in the one canonical layout (comments kept); `-` formats stdin to stdout',
  builder: (yargs: Argv) =>
    yargs
      .positional('files', { type: 'string', array: true, describe: '.net files; `-` (or none) formats stdin to stdout' })
      .option('check', { type: 'boolean', default: false, describe: 'Write nothing; list the files that would change and exit 1 if any' })
      .example('netc fmt models/*.net', 'format every model in place')
      .example('netc fmt --check models/*.net', 'in CI: fail when a file is not formatted')
      .example('cat model.net | netc fmt -', 'print the formatted text')
      .epilogue(
        'A file with syntax errors is left as it is (its errors are printed). ' +
          'Exit status: 0 done (or, with --check, nothing to change), 1 a file would change or has syntax errors, 2 usage or I/O problem.',
      ) as unknown as Argv<FmtArgs>,
  async run(args, io) {
    let failed = false;
    let ioError = false;
    // yargs drops a lone `-` from the positionals, so `netc fmt -` arrives as no file at all: both mean stdin.
    const files = args.files === undefined || args.files.length === 0 ? ['-'] : args.files;
    for (const file of files) {
      let source: string;
      try {
        source = file === '-' ? readFileSync(0, 'utf8') : readModelSource(file);
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        io.err(`netc: ${error.message}\n`);
        ioError = true;
        continue;
      }
      const result = formatSource(source);
      const name = file === '-' ? '<stdin>' : file;
      if (!result.ok) {
        io.err(`${formatDiagnosticsText(name, source, result.diagnostics)}\n`);
        io.err(`netc: ${name} has syntax errors, so it was not formatted; fix them first.\n`);
        failed = true;
        continue;
      }
      const changed = result.text !== source;
      if (args.check) {
        if (changed) {
          io.out(`${name}\n`);
          failed = true;
        }
      } else if (file === '-') {
        io.out(result.text);
      } else if (changed) {
        writeAtomic(file, result.text);
        io.err(`formatted ${file}\n`);
      }
    }
    if (ioError) return 2;
    return failed ? 1 : 0;
  },
};

/** Replaces `path` atomically (netc's one atomic write), so an interrupted run never leaves half a model. */
function writeAtomic(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}.`);
  }
}
