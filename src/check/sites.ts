import type { RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
import type { ValueNode } from '../syntax/ast.js';
import { useFrames, type Bindings, type Frame } from './graph.js';

/** Where a diagnostic is shown: its span, the locations that explain it, and the message with its context. */
export interface Site {
  readonly span: Span;
  readonly related: readonly RelatedLocation[];
  readonly message: string;
}

/**
 * Places a diagnostic found at `span` while expanding `frames`.
 *
 * A problem that depends on the use (a parameter's value, the shape flowing in, a repetition count) is reported
 * at the outermost block use, where the user can change it: the message names the blocks and the values their
 * parameters took, and related locations lead from the use through each nested use to `span` in the definition.
 * A problem the definition alone decides (`dependent` false) stays at `span`, once however often the block is used.
 * `copies` names the repetition copy too (`repeat 3 of 3`), for problems that depend on it: a shape, not a value.
 */
export function siteOf(
  frames: readonly Frame[],
  span: Span,
  message: string,
  dependent: boolean,
  related: readonly RelatedLocation[] = [],
  copies = false,
): Site {
  if (!dependent) return { span, related, message };
  const uses = useFrames(frames);
  const context = describeFrames(copies ? frames : uses);
  const located = context === '' ? message : insertContext(message, context);
  const outer = uses[0];
  if (outer === undefined) return { span, related, message: located };
  const chain: RelatedLocation[] = [];
  for (let i = 1; i < uses.length; i++) {
    chain.push({ message: `\`${uses[i - 1]!.def.name.name}\` uses \`${uses[i]!.def.name.name}\` here.`, span: uses[i]!.use.span });
  }
  const inner = uses[uses.length - 1]!;
  chain.push({ message: `Here, in the definition of \`${inner.def.name.name}\`.`, span });
  return { span: outer.use.span, related: [...chain, ...related], message: located };
}

/** `in block `cbs` with c=16, k=5, repeat 2 of 3`: the frames innermost first, or '' at the top level. */
export function describeFrames(frames: readonly Frame[]): string {
  const parts: string[] = [];
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i]!;
    if (frame.kind === 'repeat') {
      parts.push(`repeat ${frame.copy} of ${frame.count}`);
      continue;
    }
    const values = showBindings(frame.bindings);
    parts.push(`in block \`${frame.def.name.name}\`${values === '' ? '' : ` with ${values}`}`);
  }
  return parts.join(', ');
}

/** `c=16, k=5`: every parameter with the value it took, as written; `?` where it is unknown. */
export function showBindings(bindings: Bindings): string {
  return [...bindings.values()].map((b) => `${b.param.name.name}=${b.value === null ? '?' : writtenValue(b.value)}`).join(', ');
}

/** A value as written, without quotes: `16`, `3x5`, `same`. */
export function writtenValue(node: ValueNode): string {
  switch (node.kind) {
    case 'Number':
      return node.text;
    case 'Dims':
      return node.values.map((value) => value.text).join('x');
    case 'Ident':
      return node.name;
  }
}

/**
 * Puts `(context)` into a message after its first clause: before the first `; ` outside backquotes, else before
 * the final full stop or question mark, so the fix that follows still reads as a fix.
 */
export function insertContext(message: string, context: string): string {
  let quoted = false;
  for (let i = 0; i < message.length; i++) {
    const c = message[i];
    if (c === '`') quoted = !quoted;
    else if (!quoted && c === ';' && message[i + 1] === ' ') return `${message.slice(0, i)} (${context})${message.slice(i)}`;
  }
  const last = message[message.length - 1];
  if (last === '.' || last === '?') return `${message.slice(0, -1)} (${context})${last}`;
  return `${message} (${context})`;
}
