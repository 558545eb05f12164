import type { Argv } from 'yargs';
import type { CliIO } from './io.js';

/** One `netc` subcommand: its yargs definition and a handler that returns the exit code. */
export interface Command<A = Record<string, unknown>> {
  /** yargs command string, e.g. `check <files..>`. */
  readonly command: string;
  readonly describe: string;
  builder(yargs: Argv): Argv<A>;
  run(args: A, io: CliIO): Promise<number>;
}
