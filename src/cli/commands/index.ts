import type { Command } from '../Command.js';

/** Every `netc` subcommand, in the order `netc --help` lists them. */
export const commands: readonly Command<never>[] = [];
