/** Where a command writes: the real process streams, or buffers in tests. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is an interactive terminal (progress bars, colours). */
  readonly isTTY: boolean;
}

/** The process's own stdout and stderr. */
export const processIO: CliIO = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY),
};

const cliErrorBrand = Symbol.for('netc.CliError');

/**
 * A user-facing failure that ends a command with a message and an exit code, never a stack trace.
 * `instanceof` goes by a brand, not by the class: the CLI's front door is bundled (src/cli/bundleFrontDoor.ts) and
 * the commands it loads lazily from dist/ hold their own copy of this class.
 */
export class CliError extends Error {
  readonly [cliErrorBrand] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [cliErrorBrand]?: boolean })[cliErrorBrand] === true;
  }

  constructor(
    message: string,
    readonly exitCode: number = 2,
    /** The diagnostic code, when the mistake is one the checker also reports (a flag's value: NN2011, ...). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * Exit codes shared by every command, documented in the README and docs/LANGUAGE.md: 0 done (warnings allowed),
 * 1 a coded problem with the model, data, run directory or training, 2 a usage or file problem, 3 an internal
 * error (a bug in netc), 130 stopped by Ctrl-C.
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2, internal: 3, interrupted: 130 } as const;
