import type { Diagnostic, Fix, RelatedLocation, Severity, Span } from '../diagnostics/Diagnostic.js';
import { catalogue, type Code } from '../diagnostics/messages.js';

/**
 * Collects the diagnostics of one check, each with the severity its code has in the catalogue. The same problem
 * found twice at the same place (a block's definition checked for each of its uses, a repeated layer) is kept once.
 */
export class Reporter {
  private readonly list: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private errorCount = 0;

  /** Records a problem; the severity comes from the catalogue unless the reporter overrides it. */
  report(code: Code, message: string, span: Span, related?: readonly RelatedLocation[], severity?: Severity, fix?: Fix): void {
    const key = `${code} ${span.offset} ${span.end} ${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    severity ??= catalogue[code].severity;
    if (severity === 'error') this.errorCount++;
    this.list.push({
      code,
      severity,
      message,
      span,
      ...(related === undefined ? {} : { related }),
      ...(fix === undefined ? {} : { fix }),
    });
  }

  /** True once any error (not a warning) was reported. */
  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  /** The diagnostics in source order; problems at the same place keep the order they were found in. */
  sorted(): Diagnostic[] {
    return [...this.list].sort((a, b) => a.span.offset - b.span.offset);
  }
}

/** True when `code` is in the catalogue; layer kinds report codes as plain strings. */
export function isCode(code: string): code is Code {
  return Object.hasOwn(catalogue, code);
}
