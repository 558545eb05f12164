import { trainKeys } from '../check/trainOptions.js';
import { resolveValue } from '../check/values.js';
import { startSpan } from '../diagnostics/Diagnostic.js';
import type { ArgType } from '../layers/LayerKind.js';
import type { ValueNode } from '../syntax/ast.js';
import { CliError } from './io.js';

/** A number as the language writes one: `10`, `0.5`, `1e-3`, `-2`. */
const numberPattern = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads a numeric flag given as text (yargs keeps it a string, so that `--lr abc` and a bare `--epochs` reach here
 * instead of turning into NaN or vanishing) against the spec the checker uses for the `train` key of the same name,
 * and words a mistake as the checker does: `--lr must be a number, not `abc`.` Usage errors exit 2.
 */
export function readNumberFlag(name: string, raw: string | undefined, type: ArgType = specOf(name)): number | undefined {
  if (raw === undefined) return undefined;
  const subject = `--${name}`;
  const text = raw.trim();
  if (text === '') throw new CliError(`${subject} needs a value: it ${describeType(type)}.`);
  const node: ValueNode = numberPattern.test(text)
    ? { kind: 'Number', span: startSpan, value: Number(text), text }
    : { kind: 'Ident', span: startSpan, name: text };
  const result = resolveValue(type, node, subject);
  if (!result.ok) throw new CliError(result.message);
  return result.value as number;
}

/** The type of a `train` key (the flag of the same name checks what the key checks). */
function specOf(name: string): ArgType {
  const spec = trainKeys.find((key) => key.name === name);
  if (spec === undefined) throw new Error(`internal: no train key ${name}`);
  return spec.type;
}

function describeType(type: ArgType): string {
  return type.kind === 'int' ? 'must be a whole number' : 'must be a number';
}
