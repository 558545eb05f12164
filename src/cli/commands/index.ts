import type { Command } from '../Command.js';
import { compileCommand } from './compile.js';

/** Every `netc` subcommand, in the order `netc --help` lists them. */
export const commands: readonly Command<never>[] = [compileCommand];
