import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { lockEntry, lockfileVersion, type LockEntry } from '../../contracts/lock.js';
import { formatCount } from '../printSummary.js';
import { CliError } from '../io.js';
import { defaultLockfile, lockKey, lockedPath, readLockFile, writeLockFile } from '../lockfile.js';
import { readModelFile, reportDiagnostics, type ModelFile } from '../modelFile.js';

interface LockArgs {
  readonly files: string[];
  readonly lockfile: string;
}

/** `netc lock [FILE...]`: records each model's layers, shapes, parameters and MACs in `netc.lock`, for `check --locked`. */
export const lockCommand: Command<LockArgs> = {
  command: 'lock [files..]',
  describe: 'Record each model\'s layers, output shapes, parameters and MACs in netc.lock (for check --locked)',
  builder: (yargs: Argv) =>
    yargs
      .positional('files', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: '.net files to lock (default: the files already in the lockfile)',
      })
      .option('lockfile', { type: 'string', default: defaultLockfile, describe: 'The lockfile to write' })
      .example('netc lock models/*.net', 'write netc.lock for every model')
      .example('netc lock', 'refresh the files netc.lock already holds')
      .epilogue(
        'The lock holds exactly the files named; it is written only when every one checks without errors.\n' +
          'Exit status: 0 written, 1 a file has errors (nothing written), 2 usage or I/O problem.',
      ) as unknown as Argv<LockArgs>,
  async run(args, io) {
    let files = args.files;
    if (files.length === 0) {
      if (!existsSync(args.lockfile)) {
        throw new CliError(`no files named and no ${args.lockfile} to refresh; name the .net files to lock.`);
      }
      files = Object.keys(readLockFile(args.lockfile).files).map((key) => lockedPath(args.lockfile, key));
      if (files.length === 0) throw new CliError(`${args.lockfile} holds no files; name the .net files to lock.`);
    }
    const results: ModelFile[] = files.map((file) => readModelFile(file));
    const failed = results.filter((result) => result.model === null);
    if (failed.length > 0) {
      reportDiagnostics(io, results);
      io.err(`netc: ${args.lockfile} not written: fix the errors first.\n`);
      return 1;
    }
    const entries: Record<string, LockEntry> = {};
    for (const result of results) entries[lockKey(args.lockfile, result.file)] = lockEntry(result.model!);
    writeLockFile(args.lockfile, { lockfileVersion, files: entries });
    // Warnings do not stop a lock, but the user should still see them.
    if (results.some((result) => result.diagnostics.length > 0)) reportDiagnostics(io, results);
    for (const [key, entry] of Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const params = entry.totals.trainable + entry.totals.nonTrainable;
      io.out(`${key}: ${entry.layers.length} layers, ${formatCount(params)} parameters, ${formatCount(entry.totals.macs)} MACs\n`);
    }
    const count = Object.keys(entries).length;
    io.out(`${args.lockfile}: ${count} file${count === 1 ? '' : 's'} locked.\n`);
    return 0;
  },
};
