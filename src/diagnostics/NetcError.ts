import type { Code } from './messages.js';

/**
 * A user-facing failure outside a source file (a missing dataset, a corrupt checkpoint, an unavailable backend).
 * Library code throws it; the CLI prints `netc: error CODE: message` and exits 1, without a stack trace.
 */
export class NetcError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = 'NetcError';
  }
}
