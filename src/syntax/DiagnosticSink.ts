import type { Diagnostic } from '../diagnostics/Diagnostic.js';

/**
 * Keeps the first `max` diagnostics by position, with one NN1005 for the rest. Memory stays bounded on junk
 * input: whenever many are held, only the first `max` by position are kept and the others are just counted.
 */
export class DiagnosticSink {
  private held: Diagnostic[] = [];
  private dropped = 0;

  constructor(private readonly max: number) {}

  push(diagnostic: Diagnostic): void {
    this.held.push(diagnostic);
    if (this.held.length > 4 * this.max) this.trim();
  }

  add(diagnostics: readonly Diagnostic[]): void {
    for (const diagnostic of diagnostics) this.push(diagnostic);
  }

  /** The kept diagnostics in source order, and NN1005 at the first one left out, if any were. */
  result(): Diagnostic[] {
    const firstDropped = this.held.length > this.max ? this.held.sort(byPosition)[this.max] : undefined;
    this.trim();
    if (this.dropped === 0) return this.held;
    const span = firstDropped?.span ?? this.held[this.held.length - 1]!.span;
    const n = this.dropped;
    return [
      ...this.held,
      {
        code: 'NN1005',
        severity: 'error',
        message: `${n} more syntax ${n === 1 ? 'error is' : 'errors are'} not shown; fix the ones above and check again.`,
        span,
      },
    ];
  }

  private trim(): void {
    this.held.sort(byPosition);
    if (this.held.length > this.max) {
      this.dropped += this.held.length - this.max;
      this.held.length = this.max;
    }
  }
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.span.offset - b.span.offset;
}
