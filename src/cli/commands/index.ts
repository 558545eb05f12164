import type { Command } from '../Command.js';
import { checkCommand } from './check.js';
import { compileCommand } from './compile.js';
import { diagramCommand } from './diagram.js';
import { diffCommand } from './diff.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { fmtCommand } from './fmt.js';
import { inspectCommand } from './inspect.js';
import { lockCommand } from './lock.js';
import { predictCommand } from './predict.js';
import { lspCommand } from './lsp.js';
import { playgroundCommand } from './playground.js';
import { summaryCommand } from './summary.js';
import { trainCommand } from './train.js';

/** Commands with their own argument types, erased to one list for yargs (each checks its own args). */
const erase = <A>(command: Command<A>): Command<never> => command as unknown as Command<never>;

/** Every `netc` subcommand, in the order `netc --help` lists them. */
export const commands: readonly Command<never>[] = [
  erase(checkCommand),
  erase(summaryCommand),
  erase(lockCommand),
  erase(diffCommand),
  erase(diagramCommand),
  erase(compileCommand),
  erase(trainCommand),
  erase(inspectCommand),
  erase(predictCommand),
  erase(exportCommand),
  erase(evalCommand),
  erase(playgroundCommand),
  erase(fmtCommand),
  erase(lspCommand),
];
