import type { ArgValue } from '../ir/model.js';
import type { ArgSpec } from '../layers/LayerKind.js';
import { findLayerKind } from '../layers/registry.js';

/**
 * A layer as one would write it, from its resolved arguments: `conv 16 k3 p1 bias=false`, `avgpool 2`. Arguments
 * at their defaults are left out, a positional one is bare, one with a short letter uses it. A residual join is
 * `add`; the projection `residual proj` adds is a 1x1 convolution or a dense layer written out in full.
 */
export function describeLayer(op: string, args: Readonly<Record<string, ArgValue>>): string {
  const kind = findLayerKind(op);
  if (kind === undefined) return op;
  const parts = [op];
  for (const spec of kind.args) {
    const value = args[spec.name];
    if (value === undefined || isDefault(spec, value, args)) continue;
    parts.push(describeArg(spec, value));
  }
  return parts.join(' ');
}

function isDefault(spec: ArgSpec, value: ArgValue, args: Readonly<Record<string, ArgValue>>): boolean {
  if (spec.default === undefined) return false;
  const fallback = typeof spec.default === 'function' ? spec.default(args) : spec.default;
  return sameValue(normalise(spec, fallback), value);
}

/** Defaults are written as the user would (`stride` 1); resolved values are pairs (`[1, 1]`). */
function normalise(spec: ArgSpec, value: ArgValue): ArgValue {
  const pairs = spec.type.kind === 'pair' || spec.type.kind === 'pad';
  return pairs && typeof value === 'number' ? [value, value] : value;
}

function sameValue(a: ArgValue, b: ArgValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

function describeArg(spec: ArgSpec, value: ArgValue): string {
  const shown = Array.isArray(value) ? (value[0] === value[1] ? `${value[0]}` : value.join('x')) : String(value);
  if (spec.positional) return shown;
  if (spec.short !== undefined && typeof value !== 'string') return `${spec.short}${shown}`;
  return `${spec.name}=${shown}`;
}
