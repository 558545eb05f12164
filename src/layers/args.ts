import type { ArgValue } from '../ir/model.js';

/** Resolved arguments of one layer, by long name, defaults filled in (see src/check/resolveArgs.ts). */
export type Args = Readonly<Record<string, ArgValue>>;

// The checker resolves every argument to its spec's type before a kind sees it, so a mismatch below is a
// bug in netc, not a user mistake: these getters throw.

/** A resolved number argument. */
export function numberArg(args: Args, name: string): number {
  const value = args[name];
  if (typeof value !== 'number') throw new Error(`internal: argument '${name}' is not a number`);
  return value;
}

/** A resolved `HxW` argument (kernel, stride, numeric padding), always as `[height, width]`. */
export function pairArg(args: Args, name: string): readonly [number, number] {
  const value = args[name];
  if (!Array.isArray(value) || value.length !== 2) throw new Error(`internal: argument '${name}' is not a pair`);
  return [value[0] as number, value[1] as number];
}

/** A resolved padding: `[height, width]` or the word `same`. */
export function padArg(args: Args, name: string): readonly [number, number] | 'same' {
  return args[name] === 'same' ? 'same' : pairArg(args, name);
}

/** A resolved `true`/`false` argument. */
export function boolArg(args: Args, name: string): boolean {
  const value = args[name];
  if (typeof value !== 'boolean') throw new Error(`internal: argument '${name}' is not a boolean`);
  return value;
}

/** A resolved word argument (an enum value). */
export function wordArg(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new Error(`internal: argument '${name}' is not a word`);
  return value;
}

/** A pair as the user would write it: `5` when both sides agree, `3x5` otherwise. */
export function formatPair(pair: readonly [number, number]): string {
  return pair[0] === pair[1] ? `${pair[0]}` : `${pair[0]}x${pair[1]}`;
}
