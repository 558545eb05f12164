import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import type { Command } from '../Command.js';
import { describeCounts, formatDiagnosticsText } from '../../diagnostics/format.js';
import { checkLocked } from '../../contracts/drift.js';
import type { LockFile } from '../../contracts/lock.js';
import type { Diagnostic } from '../../diagnostics/Diagnostic.js';
import { CliError } from '../io.js';
import { defaultLockfile, lockKey, lockName, readLockFile } from '../lockfile.js';
import { diagnosticsJson, readModelFile, type ModelFile } from '../modelFile.js';

interface CheckArgs {
  readonly files: string[];
  readonly format: 'text' | 'json';
  readonly locked: boolean;
  readonly lockfile?: string;
}

/** `netc check FILE...`: every syntax, name and shape problem, located; exit 1 on any error. */
export const checkCommand: Command<CheckArgs> = {
  command: 'check <files..>',
  describe: 'Parse and shape-check .net files; report every problem with its line and column',
  builder: (yargs: Argv) =>
    yargs
      .positional('files', { type: 'string', array: true, demandOption: true, describe: '.net files, or directories to check every .net file in' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
      .example('netc check models/*.net', 'check every model')
      .option('locked', {
        type: 'boolean',
        default: false,
        describe: 'Also compare each model with netc.lock: any change of a layer, shape, parameter count or MACs is an error',
      })
      .option('lockfile', { type: 'string', describe: `The lockfile for --locked (default ${defaultLockfile}); implies --locked` })
      .example('netc check model.net --format json', 'diagnostics as one JSON array (for editors and CI)')
      .example('netc check --locked models/*.net', 'in CI: fail when a model no longer matches netc.lock')
      .epilogue('Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O problem.') as unknown as Argv<CheckArgs>,
  plainArgs: (operands) => (operands.length > 0 ? { files: [...operands], format: 'text', locked: false } : undefined),
  async run(args, io) {
    const lockPath = args.lockfile ?? (args.locked ? defaultLockfile : undefined);
    // Read first: a missing or malformed lockfile is a usage problem, reported before any file is checked.
    const lock = lockPath === undefined ? undefined : readLockFile(lockPath);
    const results: ModelFile[] = [];
    const ioErrors: string[] = [];
    for (const file of expandDirectories(args.files, ioErrors)) {
      try {
        const result = readModelFile(file);
        results.push(lock === undefined || lockPath === undefined ? result : withLockDiagnostics(result, lock, lockPath));
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        ioErrors.push(error.message);
      }
    }
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const warnings = results.reduce((n, r) => n + r.warnings, 0);
    if (args.format === 'json') {
      io.out(diagnosticsJson(results));
    } else {
      for (const r of results) {
        if (r.diagnostics.length > 0) io.out(`${formatDiagnosticsText(r.file, r.source, r.diagnostics)}\n`);
      }
      const checked = `${results.length} file${results.length === 1 ? '' : 's'} checked`;
      const unread = ioErrors.length > 0 ? `; ${ioErrors.length} could not be read` : '';
      // "no problems" about no file at all would read as a pass: say only what happened.
      io.out(results.length === 0 ? `${checked}${unread}.\n` : `${checked}: ${describeCounts(errors, warnings)}${unread}.\n`);
    }
    for (const message of ioErrors) io.err(`netc: ${message}\n`);
    if (ioErrors.length > 0) return 2;
    return errors > 0 ? 1 : 0;
  },
};

/**
 * A checked file with its lock's verdict added: NN6002 when the lock has no entry for it, NN6001 at the first layer
 * that changed. A file with errors has no model to compare; its errors already fail the check.
 */
function withLockDiagnostics(result: ModelFile, lock: LockFile, lockPath: string): ModelFile {
  if (result.model === null) return result;
  const key = lockKey(lockPath, result.file);
  const entry = lock.files[key];
  const name = lockName(lockPath);
  const found: Diagnostic[] =
    entry === undefined
      ? [
          {
            code: 'NN6002',
            severity: 'error',
            message: `${key} is not in ${name}; run \`netc lock\` with this file among the others to add it.`,
            // The input line stands for the whole model: it is the one statement every checked file has.
            span: result.model.inputSpan,
          },
        ]
      : checkLocked(entry, result.model, name);
  if (found.length === 0) return result;
  return { ...result, diagnostics: [...result.diagnostics, ...found], errors: result.errors + found.length };
}

/** The files to check: a directory stands for the `.net` files under it (hidden folders and node_modules skipped). */
function expandDirectories(paths: readonly string[], ioErrors: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // readModelFile words the error (no such file, permission denied).
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path, { recursive: true, encoding: 'utf8' })
      .filter((entry) => entry.endsWith('.net') && !entry.split(/[\\/]/).some((part) => part.startsWith('.') || part === 'node_modules'))
      .map((entry) => join(path, entry))
      .filter((file) => statSync(file).isFile())
      .sort();
    if (found.length === 0) ioErrors.push(`${path} is a directory with no .net files in it.`);
    files.push(...found);
  }
  return files;
}
