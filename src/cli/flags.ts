import { trainKeys } from '../check/trainOptions.js';
import { resolveValue } from '../check/values.js';
import type { Span } from '../diagnostics/Diagnostic.js';
import { bn } from '../layers/bn.js';
import type { ArgType } from '../layers/LayerKind.js';
import type { ValueNode } from '../syntax/ast.js';
import { CliError } from './io.js';
import { maxCrop, parseDatasetSpec } from '../ir/catalogue.js';

/*
 * Flags that set what a file's `train` line or a `bn` also sets are checked with the checker's own argument specs,
 * so one mistake has one wording and one code whether it is written in the file or on the command line.
 */

// A flag has no place in a file; the checker's value reader only passes the span through.
const noSpan: Span = { offset: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };

/** The type the checker gives `train` key `key`. */
function trainKeyType(key: string): ArgType {
  const spec = trainKeys.find((candidate) => candidate.name === key);
  if (spec === undefined) throw new Error(`internal: no train key '${key}'`);
  return spec.type;
}

/** The type of `bn`'s `impl=`: what `--bn` accepts. */
function bnImplType(): ArgType {
  const spec = bn.args.find((candidate) => candidate.name === 'impl');
  if (spec === undefined) throw new Error("internal: bn has no 'impl' argument");
  return spec.type;
}

/** The specs of the flags that mirror a `train` key or `bn impl=`, by flag name. */
export const flagTypes = {
  epochs: () => trainKeyType('epochs'),
  batch: () => trainKeyType('batch'),
  lr: () => trainKeyType('lr'),
  optimizer: () => trainKeyType('optimizer'),
  momentum: () => trainKeyType('momentum'),
  seed: () => trainKeyType('seed'),
  nesterov: () => trainKeyType('nesterov'),
  schedule: () => trainKeyType('schedule'),
  warmup: () => trainKeyType('warmup'),
  step: () => trainKeyType('step'),
  gamma: () => trainKeyType('gamma'),
  wd: () => trainKeyType('wd'),
  'wd-all': () => trainKeyType('wd_all'),
  clip: () => trainKeyType('clip'),
  'label-smoothing': () => trainKeyType('label_smoothing'),
  'val-split': () => trainKeyType('val_split'),
  patience: () => trainKeyType('patience'),
  keep: () => trainKeyType('keep'),
  // A catalogue name is checked as the `train` key is; `idx:`, `folder:` and `npz:` paths are read at train time.
  dataset: () => trainKeyType('dataset'),
  bn: bnImplType,
  // Not a train key, but a count of images: a size, read as the checker reads sizes.
  subset: (): ArgType => ({ kind: 'int', min: 1 }),
} as const;

/** A flag's value as the checker's value reader takes it: a number, or a word (`true` and `false` for booleans). */
function asValueNode(value: number | string | boolean): ValueNode {
  if (typeof value === 'number') return { kind: 'Number', span: noSpan, value, text: String(value) };
  return { kind: 'Ident', span: noSpan, name: String(value) };
}

/**
 * Checks `--flag value` against the checker's spec for it; a wrong value is a usage error (exit 2) with the
 * checker's code and wording: "`--lr` must be above 0, not -1."
 */
export function checkFlag(flag: keyof typeof flagTypes, value: number | string | boolean | undefined): void {
  if (value === undefined) return;
  if (flag === 'dataset' && typeof value === 'string' && parseDatasetSpec(value).kind !== 'catalogue') return;
  const result = resolveValue(flagTypes[flag](), asValueNode(value), `\`--${flag}\``);
  if (!result.ok) throw new CliError(result.message, 2, result.code);
}

/** A number as the language writes one: `10`, `0.5`, `1e-3`, `-2`. */
const numberPattern = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads a numeric flag given as text and checks it as `checkFlag` does. yargs keeps such flags strings, so that
 * `--lr abc` reaches the checker's words ("must be a number, not `abc`") instead of becoming NaN, and a bare
 * `--epochs` with no value is refused instead of ignored. `type` defaults to the flag's own spec.
 */
export function readNumberFlag(flag: string, raw: string | undefined, type?: ArgType): number | undefined {
  if (raw === undefined) return undefined;
  const spec = type ?? (flagTypes as Record<string, () => ArgType>)[flag]?.();
  if (spec === undefined) throw new Error(`internal: no spec for --${flag}`);
  const subject = `\`--${flag}\``;
  const text = raw.trim();
  if (text === '') {
    throw new CliError(`${subject} needs a value: it must be ${spec.kind === 'int' ? 'a whole number' : 'a number'}.`, 2, 'NN2004');
  }
  const node: ValueNode = numberPattern.test(text)
    ? { kind: 'Number', span: noSpan, value: Number(text), text }
    : { kind: 'Ident', span: noSpan, name: text };
  const result = resolveValue(spec, node, subject);
  if (!result.ok) throw new CliError(result.message, 2, result.code);
  return result.value as number;
}

/**
 * `--augment flip,crop4`: the `flip` and `crop` train keys in one flag, as torchvision users list their transforms.
 * A word it does not know is a usage error naming the words it does.
 */
export function parseAugment(text: string): { flip: boolean; crop: number } {
  let flip = false;
  let crop = 0;
  for (const word of text.split(',').map((w) => w.trim()).filter((w) => w !== '' && w !== 'none')) {
    const match = /^crop(\d+)$/.exec(word);
    if (word === 'flip') flip = true;
    else if (match !== null && Number(match[1]) >= 1 && Number(match[1]) <= maxCrop) crop = Number(match[1]);
    else {
      throw new CliError(`\`--augment\` takes flip and cropN (N pixels of padding, 1 to ${maxCrop}) separated by commas, not \`${word}\`.`, 2, 'NN2016');
    }
  }
  return { flip, crop };
}

/**
 * netc's fast path (SIMD kernels, fused batch norm, a leaner step) is on unless NETC_FAST_PATH=0, which brings back
 * the path before it for comparisons. Read here, once per command, and passed down as an option.
 */
export function fastPathFromEnvironment(env: Readonly<Record<string, string | undefined>>): boolean {
  return env['NETC_FAST_PATH'] !== '0';
}
