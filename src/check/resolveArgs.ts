import type { ArgValue } from '../ir/model.js';
import { replaceFix, type Fix, type RelatedLocation, type Span } from '../diagnostics/Diagnostic.js';
import type { Code } from '../diagnostics/messages.js';
import type { ArgSpec, ArgType, LayerKind } from '../layers/LayerKind.js';
import type { ArgNode, LayerNode, ValueNode } from '../syntax/ast.js';
import { didYouMean, listNames } from './didYouMean.js';
import { resolveValue, showValue } from './values.js';

/** A layer's arguments read against its kind: values by long name and where each was written. */
export interface ResolvedArgs {
  /** Every argument of the kind, defaults filled in; pairs as `[height, width]`. */
  readonly args: Readonly<Record<string, ArgValue>>;
  /** Where each argument was written; defaulted ones are absent. */
  readonly spans: Readonly<Record<string, Span>>;
  /** False when an argument that decides the shape is missing or wrong, so the output shape is unknown. */
  readonly complete: boolean;
}

/** Where argument problems go: the checker's reporter, bound to nothing else. */
export type ReportFn = (code: Code, message: string, span: Span, related?: readonly RelatedLocation[], fix?: Fix) => void;

/**
 * Names other frameworks use for an argument, with the language's name for it; edit distance cannot see
 * that `padding` is `pad`, nor `units` `out`. Used only when the target is an argument of the layer.
 */
const argumentHints: Readonly<Record<string, string>> = {
  units: 'out',
  filters: 'out',
  features: 'out',
  out_features: 'out',
  out_channels: 'out',
  channels: 'out',
  kernel_size: 'kernel',
  size: 'kernel',
  pool_size: 'kernel',
  strides: 'stride',
  padding: 'pad',
  epsilon: 'eps',
  use_bias: 'bias',
  p: 'rate',
  implementation: 'impl',
  negative_slope: 'alpha',
  slope: 'alpha',
};

/** Types whose value never changes a shape (flags, rates, choices): a bad one falls back to its default. */
const shapeNeutral: ReadonlySet<ArgType['kind']> = new Set(['bool', 'number', 'enum']);

/**
 * Reads the arguments of `layer` against `kind`: positional, short (`k5`) and `key=value` forms, each given at
 * most once, with values of the right type; fills defaults; reports every problem through `report`.
 * `damaged` (a syntax error in the layer) keeps quiet about missing arguments, which the parser may have dropped.
 * Messages show each value as it reached the layer: a block parameter's value, not the parameter's name.
 */
export function resolveArgs(
  kind: LayerKind,
  layer: LayerNode,
  report: ReportFn,
  options: {
    readonly damaged?: boolean;
    /** Arguments whose value is not known (a block parameter checked without a use): written, but not read. */
    readonly unknown?: ReadonlySet<ArgNode>;
  } = {},
): ResolvedArgs {
  const layerName = layer.name.name;
  const values: Record<string, ArgValue> = {};
  const spans: Record<string, Span> = {};
  /** Arguments written, well or badly, so a bad one is not also reported missing. */
  const written = new Map<string, ArgNode>();
  const positional = kind.args.filter((spec) => spec.positional === true);
  // Named arguments anywhere in the layer, so an extra bare number is not told to become one already written.
  const named = new Set(layer.args.map((arg) => namedSpec(kind, arg)?.name).filter((name) => name !== undefined));
  let positionalUsed = 0;
  let complete = true;

  for (const arg of layer.args) {
    const spec = findSpec(kind, layerName, arg, positional, positionalUsed, named, report);
    if (arg.kind === 'PositionalArg') positionalUsed++;
    if (spec === undefined) {
      // What the user meant is unknown (`padding=1` may have been meant as `pad`), so is the shape.
      complete = false;
      continue;
    }

    const first = written.get(spec.name);
    if (first !== undefined) {
      report(
        'NN2003',
        `\`${spec.name}\` of \`${layerName}\` is given twice (\`${writtenText(first)}\` and \`${writtenText(arg)}\`); keep one.`,
        arg.span,
        [{ message: `\`${spec.name}\` is first given here.`, span: first.span }],
      );
      // Which of two kernels was meant is unknown; two flags or rates leave the shape alone.
      if (!shapeNeutral.has(spec.type.kind)) complete = false;
      continue;
    }
    written.set(spec.name, arg);
    if (options.unknown?.has(arg) === true) {
      complete = false;
      continue;
    }

    const result = resolveValue(spec.type, arg.value, `\`${spec.name}\` of \`${layerName}\``);
    if (result.ok) {
      values[spec.name] = result.value;
      spans[spec.name] = arg.span;
    } else {
      report(result.code, result.message, arg.span, undefined, result.fix);
      if (!(shapeNeutral.has(spec.type.kind) && spec.default !== undefined)) complete = false;
    }
  }

  // Constant defaults first, then computed ones, which may read them (a pool's stride is its kernel).
  const ordered = [...kind.args].sort((a, b) => Number(typeof a.default === 'function') - Number(typeof b.default === 'function'));
  for (const spec of ordered) {
    if (spec.name in values) continue;
    if (spec.default === undefined) {
      // In a layer with a syntax error the argument may be there but unreadable; the parser has said so.
      if (!written.has(spec.name) && options.damaged !== true) report('NN2008', missingMessage(layerName, spec), layer.span);
      if (!written.has(spec.name)) complete = false;
      continue;
    }
    const value = typeof spec.default === 'function' ? spec.default(values) : spec.default;
    // A computed default reads an argument that may itself be missing; the layer is then already incomplete.
    if (value === undefined) continue;
    values[spec.name] = normalise(spec.type, value);
  }

  return { args: values, spans, complete };
}

/** The spec an argument fills, or undefined after reporting why it fills none. */
function findSpec(
  kind: LayerKind,
  layerName: string,
  arg: ArgNode,
  positional: readonly ArgSpec[],
  positionalUsed: number,
  named: ReadonlySet<string>,
  report: ReportFn,
): ArgSpec | undefined {
  switch (arg.kind) {
    case 'PositionalArg': {
      const spec = positional[positionalUsed];
      if (spec === undefined) report('NN2009', tooManyPositional(kind, layerName, arg.value, positional, named), arg.span);
      return spec;
    }
    case 'ShortArg': {
      const spec = namedSpec(kind, arg);
      if (spec === undefined) report('NN2002', unknownShort(kind, layerName, arg.letter, arg.value), arg.span);
      return spec;
    }
    case 'KeyValueArg': {
      const spec = namedSpec(kind, arg);
      if (spec === undefined) {
        const guess = keyGuess(kind, arg.key.name);
        const fix = guess === undefined ? undefined : replaceFix(arg.key.span, arg.key.name, guess);
        report('NN2002', unknownKey(kind, layerName, arg.key.name, arg.value), arg.span, undefined, fix);
      }
      return spec;
    }
  }
}

/** The spec a short (`k5`) or `key=value` argument names; a key may be the short letter too (`p=same`). */
function namedSpec(kind: LayerKind, arg: ArgNode): ArgSpec | undefined {
  switch (arg.kind) {
    case 'PositionalArg':
      return undefined;
    case 'ShortArg':
      return kind.args.find((spec) => spec.short === arg.letter);
    case 'KeyValueArg':
      return kind.args.find((spec) => spec.name === arg.key.name || spec.short === arg.key.name);
  }
}

function tooManyPositional(
  kind: LayerKind,
  layerName: string,
  value: ValueNode,
  positional: readonly ArgSpec[],
  named: ReadonlySet<string>,
): string {
  if (positional.length === 0) return `\`${layerName}\` takes no positional arguments; remove ${showValue(value)}.`;
  const names = listNames(positional.map((spec) => spec.name), 'and');
  const count = positional.length === 1 ? 'one positional argument' : `${positional.length} positional arguments`;
  // The likeliest meaning of an extra bare number is the next argument that has a short form and is still unset.
  const next = kind.args.find(
    (spec) => spec.positional !== true && spec.short !== undefined && !named.has(spec.name) && spec.type.kind !== 'bool',
  );
  const fix =
    next !== undefined && value.kind !== 'Ident'
      ? `write it with its name, such as \`${next.short}${showValue(value)}\``
      : `remove ${showValue(value)}`;
  return `\`${layerName}\` takes ${count} (${names}), so ${showValue(value)} is one too many; ${fix}.`;
}

function unknownShort(kind: LayerKind, layerName: string, letter: string, value: ValueNode): string {
  const shorts = kind.args.filter((spec) => spec.short !== undefined).map((spec) => spec.short!);
  // `m0.9` on `bn` most likely means `momentum=0.9`: a long name starting with the letter.
  const long = kind.args.find((spec) => spec.short === undefined && spec.name.startsWith(letter));
  const hint = long !== undefined ? `; did you mean \`${long.name}=${showValue(value).replaceAll('`', '')}\`?` : '';
  if (shorts.length === 0) {
    if (kind.args.length === 0) return `\`${layerName}\` takes no arguments; remove \`${letter}${showValue(value)}\`.`;
    return `\`${layerName}\` has no short options; write its arguments as \`key=value\` (${listNames(kind.args.map((s) => s.name))})${hint === '' ? '.' : hint}`;
  }
  return `\`${layerName}\` has no short option \`${letter}\`; its short options are ${listNames(shorts, 'and')}${hint === '' ? '.' : hint}`;
}

function unknownKey(kind: LayerKind, layerName: string, key: string, value: ValueNode): string {
  if (kind.args.length === 0) return `\`${layerName}\` takes no arguments; remove \`${key}=${showValue(value).replaceAll('`', '')}\`.`;
  const names = kind.args.map((spec) => spec.name);
  const guess = keyGuess(kind, key);
  const tail = guess !== undefined ? `did you mean \`${guess}\`?` : `its arguments are ${listNames(names, 'and')}.`;
  return `\`${layerName}\` has no argument \`${key}\`; ${tail}`;
}

/** The argument of `kind` that an unknown `key` most likely meant. */
function keyGuess(kind: LayerKind, key: string): string | undefined {
  const names = kind.args.map((spec) => spec.name);
  const hinted = argumentHints[key];
  return hinted !== undefined && names.includes(hinted) ? hinted : didYouMean(key, names);
}

function missingMessage(layerName: string, spec: ArgSpec): string {
  const example = spec.type.kind === 'pair' ? '3' : '16';
  if (spec.positional === true) {
    return `\`${layerName}\` needs \`${spec.name}\`; write it after the layer name, as in \`${layerName} ${example}\`.`;
  }
  const forms = spec.short !== undefined ? `\`${spec.short}${example}\` or \`${spec.name}=${example}\`` : `\`${spec.name}=${example}\``;
  return `\`${layerName}\` needs \`${spec.name}\`; add it, for example ${forms}.`;
}

/** Defaults are written the short way (`stride: 1`); consumers always get the resolved form. */
function normalise(type: ArgType, value: ArgValue): ArgValue {
  if ((type.kind === 'pair' || type.kind === 'pad') && typeof value === 'number') return [value, value];
  return value;
}

/** An argument as the user wrote it, for messages: `k5`, `kernel=5`, `6`. */
function writtenText(arg: ArgNode): string {
  const value = showValue(arg.value).replaceAll('`', '');
  switch (arg.kind) {
    case 'PositionalArg':
      return value;
    case 'ShortArg':
      return `${arg.letter}${value}`;
    case 'KeyValueArg':
      return `${arg.key.name}=${value}`;
  }
}
