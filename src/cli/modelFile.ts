import { readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import { describeCounts, formatDiagnosticsText, toDiagnosticsJson } from '../diagnostics/format.js';
import { analyze, type Analysis } from '../frontend/analyze.js';
import { CliError, type CliIO } from './io.js';

/** A `.net` file read, parsed and checked: the front end's analysis of what was read. */
export type ModelFile = Analysis;

/** Reads, parses and checks one file; a missing or unreadable file is a usage error (exit 2). */
export function readModelFile(file: string, options: { readonly dataset?: string } = {}): ModelFile {
  return analyze(readModelSource(file), file, options);
}

/** The text of one `.net` file; a missing or unreadable file is a usage error (exit 2). */
export function readModelSource(file: string): string {
  let source: string;
  try {
    if (statSync(file).isDirectory()) throw new CliError(`${file} is a directory, not a .net file.`);
    source = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new CliError(`cannot read ${file}: ${why}.`);
  }
  return source;
}

/** Prints a file's diagnostics as text (stderr) with a closing count line. */
export function reportDiagnostics(io: CliIO, files: readonly ModelFile[]): void {
  let errors = 0;
  let warnings = 0;
  for (const f of files) {
    errors += f.errors;
    warnings += f.warnings;
    if (f.diagnostics.length > 0) io.err(`${formatDiagnosticsText(f.file, f.source, f.diagnostics)}\n`);
  }
  if (errors > 0 || warnings > 0) io.err(`${describeCounts(errors, warnings)}.\n`);
}

/** The JSON array of every file's diagnostics. */
export function diagnosticsJson(files: readonly ModelFile[]): string {
  return `${JSON.stringify(files.flatMap((f) => toDiagnosticsJson(f.file, f.diagnostics)), null, 2)}\n`;
}

/**
 * The file's diagnostics with the dataset fit's added. A class-count warning of the check (NN3101 in a file without a
 * `train` line) is the fit's NN3101 error at the same place: it is shown once, as the error.
 */
export function withFitDiagnostics(file: ModelFile, fit: readonly Diagnostic[]): ModelFile {
  const superseded = (d: Diagnostic): boolean => fit.some((f) => f.code === d.code && f.span.offset === d.span.offset);
  const diagnostics = [...file.diagnostics.filter((d) => !superseded(d)), ...fit];
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { ...file, diagnostics, errors, warnings: diagnostics.length - errors };
}
