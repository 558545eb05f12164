import { readFileSync, statSync } from 'node:fs';
import type { CheckedModel } from '../check/model.js';
import { check } from '../check/check.js';
import type { Diagnostic } from '../diagnostics/Diagnostic.js';
import { describeCounts, formatDiagnosticsText, sortDiagnostics, toDiagnosticsJson } from '../diagnostics/format.js';
import { parse } from '../syntax/parse.js';
import { CliError, type CliIO } from './io.js';

/** A `.net` file read, parsed and checked. */
export interface ModelFile {
  readonly file: string;
  readonly source: string;
  readonly model: CheckedModel | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

/** Reads, parses and checks one file; a missing or unreadable file is a usage error (exit 2). */
export function readModelFile(file: string): ModelFile {
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
  return checkSource(file, source);
}

/** Parses and checks source text already in memory. */
export function checkSource(file: string, source: string): ModelFile {
  const parsed = parse(source);
  // Syntax errors make the AST partial; the checker still runs to report independent problems.
  const checked = check(parsed.ast, { fileName: file, parseDiagnostics: parsed.diagnostics });
  const all = [...parsed.diagnostics, ...checked.diagnostics];
  const errors = all.filter((d) => d.severity === 'error').length;
  return {
    file,
    source,
    model: errors === 0 ? checked.model : null,
    diagnostics: capDiagnostics(all, maxDiagnosticsPerFile),
    errors,
    warnings: all.length - errors,
  };
}

/** A file with more problems than this shows the first ones by position and says how many it left out. */
export const maxDiagnosticsPerFile = 200;

/**
 * At most `max` diagnostics, errors chosen before warnings (so that one error is never hidden behind thousands of
 * warnings), shown by position, and one NN1005 that counts the rest. NN1005 is a warning when every problem left
 * out is a warning: a valid file with many warnings is still valid.
 */
export function capDiagnostics(diagnostics: readonly Diagnostic[], max: number): Diagnostic[] {
  if (diagnostics.length <= max) return [...diagnostics];
  const sorted = sortDiagnostics(diagnostics);
  const chosen = [...sorted.filter((d) => d.severity === 'error'), ...sorted.filter((d) => d.severity !== 'error')].slice(0, max);
  const kept = sortDiagnostics(chosen);
  const keptSet = new Set(chosen);
  const hidden = sorted.filter((d) => !keptSet.has(d));
  const hiddenErrors = hidden.filter((d) => d.severity === 'error').length;
  const rest = hidden.length;
  const what = hiddenErrors > 0 ? `problem${rest === 1 ? '' : 's'}` : `warning${rest === 1 ? '' : 's'}`;
  const last = kept[kept.length - 1]!;
  return [
    ...kept,
    {
      code: 'NN1005',
      severity: hiddenErrors > 0 ? 'error' : 'warning',
      message: `${rest.toLocaleString('en-US')} more ${what} are not shown; fix these first.`,
      span: last.span,
    },
  ];
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
