import yargs from 'yargs';
import { readFileSync } from 'node:fs';
import { CliError, processIO, type CliIO } from './io.js';
import type { Command } from './Command.js';
import { describeFailure } from './failure.js';
import { commands } from './commands/index.js';

const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** How `main` runs; the entry point reads these from the environment once. */
export interface MainOptions {
  /** NETC_DEBUG=1: an internal error prints its stack. */
  readonly debug?: boolean;
}

/**
 * Runs `netc` with `argv` (without `node` and the script) and resolves to the exit code. This is the CLI's error
 * boundary: nothing escapes it, every failure becomes one coded message (src/cli/failure.ts).
 */
export async function main(argv: readonly string[], io: CliIO = processIO, options: MainOptions = {}): Promise<number> {
  try {
    return await runMain(argv, io, options);
  } catch (error) {
    const failure = describeFailure(error, options.debug ?? false);
    io.err(failure.text);
    return failure.exitCode;
  }
}

async function runMain(argv: readonly string[], io: CliIO, options: MainOptions): Promise<number> {
  const plain = plainInvocation(argv);
  if (plain !== undefined) return runSafely(plain.command, plain.args, io, options);
  let exitCode = 0;
  let handled = false;
  const parser = yargs([...argv])
    .scriptName('netc')
    .usage('netc <command> [options]\n\nShape-check, compile and train .net neural-network files.')
    .version(version)
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'Name a command: check, summary, diagram, lock, diff, fmt, compile, train, inspect, export, eval, predict, playground or lsp.')
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error && !(error instanceof CliError)) throw error;
      if (handled) return;
      io.err(`netc: ${oneLine(message ?? error?.message ?? '')}\nRun \`netc --help\` for usage.\n`);
      exitCode = 2;
      handled = true;
    });
  for (const command of commands as readonly Command<never>[]) {
    parser.command({
      command: command.command,
      describe: command.describe,
      builder: (y: never) => command.builder(y),
      handler: async (args: never) => {
        // With exitProcess(false) yargs still calls the handler after a failed validation (a missing option).
        if (handled) return;
        handled = true;
        exitCode = await runSafely(command, args, io, options);
      },
    } as never);
  }
  let helpText = '';
  try {
    await parser.parseAsync([...argv], {}, (err, _args, output) => {
      if (err && !handled) {
        io.err(`netc: ${oneLine(err.message)}\nRun \`netc --help\` for usage.\n`);
        exitCode = 2;
        handled = true;
      } else if (output && !err) helpText = output;
    });
  } catch (error) {
    const failure = describeFailure(error, options.debug ?? false);
    io.err(failure.text);
    return failure.exitCode;
  }
  if (helpText) io.out(helpText.endsWith('\n') ? helpText : `${helpText}\n`);
  return handled ? exitCode : 0;
}

/** A command line that is a command and its operands alone, with the arguments its command reads from them. */
function plainInvocation(argv: readonly string[]): { command: Command<never>; args: never } | undefined {
  const [name, ...operands] = argv;
  if (name === undefined || operands.some((a) => a.startsWith('-'))) return undefined;
  const command = (commands as readonly Command<never>[]).find((c) => c.command.split(' ')[0] === name);
  const args = command?.plainArgs?.(operands);
  return command === undefined || args === undefined ? undefined : { command, args };
}

async function runSafely(command: Command<never>, args: never, io: CliIO, options: MainOptions): Promise<number> {
  try {
    return await command.run(args, io);
  } catch (error) {
    const failure = describeFailure(error, options.debug ?? false);
    io.err(failure.text);
    return failure.exitCode;
  }
}

/** yargs spreads some messages over several indented lines; a usage error is one line. */
function oneLine(message: string): string {
  return message.replace(/:?\n\s*/g, (m) => (m.startsWith(':') ? ': ' : '; ')).trim();
}
