import type { Code } from './messages.js';

const netcErrorBrand = Symbol.for('netc.NetcError');

/**
 * A user-facing failure outside a source file (a missing dataset, a corrupt checkpoint, an unavailable backend).
 * Library code throws it; the CLI prints `netc: error CODE: message` and exits 1, without a stack trace.
 */
export class NetcError extends Error {
  /** `instanceof` goes by this brand, not by the class: the bundled CLI and the dist/ modules it loads lazily hold a copy each. */
  readonly [netcErrorBrand] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [netcErrorBrand]?: boolean })[netcErrorBrand] === true;
  }

  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = 'NetcError';
  }
}
