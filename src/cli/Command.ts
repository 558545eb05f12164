import type { Argv } from 'yargs';
import type { CliIO } from './io.js';

/** One `netc` subcommand: its yargs definition and a handler that returns the exit code. */
export interface Command<A = Record<string, unknown>> {
  /** yargs command string, e.g. `check <files..>`. */
  readonly command: string;
  readonly describe: string;
  builder(yargs: Argv): Argv<A>;
  run(args: A, io: CliIO): Promise<number>;
  /**
   * The arguments of the command's plainest use, read without yargs: given its operands (none of them an option or
   * `-`), every option at its default; undefined where yargs must read the command line (a usage error, say). A
   * cold `netc check FILE...` skips yargs' parse this way.
   */
  plainArgs?(operands: readonly string[]): A | undefined;
}
