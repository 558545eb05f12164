import { NetcError } from '../diagnostics/NetcError.js';
import { CliError, ExitCode } from './io.js';

/** What the CLI prints for a failure and the exit code it ends with. */
export interface Failure {
  readonly text: string;
  readonly exitCode: number;
}

/** Error codes of the file system that say the disk or the permissions are at fault, not netc. */
const writeFailures: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * The one place every failure is turned into words: a CliError or NetcError as its message, a file-system error
 * that is the machine's fault (disk full, read-only) as NN4002, anything else as an internal error on one line with
 * a report hint; the stack only with `debug` (NETC_DEBUG=1).
 */
export function describeFailure(error: unknown, debug: boolean): Failure {
  if (error instanceof CliError) {
    // A flag checked with the checker's specs carries the checker's code: `netc: error NN2011: ...`.
    return { text: `netc: ${error.code !== undefined ? `error ${error.code}: ` : ''}${error.message}\n`, exitCode: error.exitCode };
  }
  if (error instanceof NetcError) return { text: `netc: error ${error.code}: ${error.message}\n`, exitCode: ExitCode.failed };
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const why = typeof code === 'string' ? writeFailures[code] : undefined;
  if (why !== undefined) {
    const path = (error as NodeJS.ErrnoException).path;
    return {
      text: `netc: error NN4002: Cannot write ${path ?? 'an output file'}: ${why} (${code}).\n`,
      exitCode: ExitCode.failed,
    };
  }
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const stack = debug && error instanceof Error && error.stack ? `${error.stack}\n` : '';
  return {
    text:
      `netc: internal error: ${oneLine(summary)}. This is a bug in netc: please report it with the command you ran` +
      `${debug ? '' : ' (NETC_DEBUG=1 prints the stack)'}.\n${stack}`,
    exitCode: ExitCode.internal,
  };
}

function oneLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}...` : line.replace(/\.$/, '');
}
