import { totalsOf, type ArgValue, type CheckedModel, type Shape } from '../ir/model.js';

/** The version of the lockfile format; a lockfile of another version is refused, not misread. */
export const lockfileVersion = 1;

/** One layer as the lock records it: what it is and what it costs, not where it is written. */
export interface LockLayer {
  readonly op: string;
  readonly variant: string | null;
  /** Every argument, defaults filled in, keys in alphabetical order. */
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly output: Shape;
  readonly params: { readonly trainable: number; readonly nonTrainable: number };
  readonly macs: number;
}

/** A model's totals: parameters, MACs and FLOPs of one example, and its activation memory in floats. */
export interface LockTotals {
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly macs: number;
  readonly flops: number;
  readonly activations: number;
}

/** What the lock holds for one file. */
export interface LockEntry {
  readonly model: string;
  readonly input: Shape;
  readonly layers: readonly LockLayer[];
  readonly totals: LockTotals;
}

/** A whole `netc.lock`: one entry per file, keyed by its path relative to the lockfile, with `/` separators. */
export interface LockFile {
  readonly lockfileVersion: number;
  readonly files: Readonly<Record<string, LockEntry>>;
}

/** The lock entry of a checked model. */
export function lockEntry(model: CheckedModel): LockEntry {
  return {
    model: model.name,
    input: [...model.input],
    layers: model.layers.map((layer) => ({
      op: layer.op,
      variant: layer.variant,
      args: sortedArgs(layer.args),
      output: [...layer.outputShape],
      params: { trainable: layer.params.trainable, nonTrainable: layer.params.nonTrainable },
      macs: layer.macs,
    })),
    totals: totalsOf(model),
  };
}

function sortedArgs(args: Readonly<Record<string, ArgValue>>): Record<string, ArgValue> {
  const sorted: Record<string, ArgValue> = {};
  for (const name of Object.keys(args).sort()) {
    const value = args[name]!;
    sorted[name] = Array.isArray(value) ? [...value] : value;
  }
  return sorted;
}

/**
 * The lockfile's text: files in path order, keys in a fixed order, one layer a line, so that the same models always
 * give the same bytes and a review of a change to the lock reads like the change to the model.
 */
export function printLock(lock: LockFile): string {
  const paths = Object.keys(lock.files).sort();
  const files = paths.map((path) => {
    const entry = lock.files[path]!;
    const layers = entry.layers.map((layer) => `        ${JSON.stringify(orderedLayer(layer))}`);
    return [
      `    ${JSON.stringify(path)}: {`,
      `      "model": ${JSON.stringify(entry.model)},`,
      `      "input": ${JSON.stringify(entry.input)},`,
      layers.length === 0 ? '      "layers": [],' : `      "layers": [\n${layers.join(',\n')}\n      ],`,
      `      "totals": ${JSON.stringify(orderedTotals(entry.totals))}`,
      '    }',
    ].join('\n');
  });
  const body = files.length === 0 ? '  "files": {}' : `  "files": {\n${files.join(',\n')}\n  }`;
  return `{\n  "lockfileVersion": ${lockfileVersion},\n${body}\n}\n`;
}

function orderedLayer(layer: LockLayer): LockLayer {
  return {
    op: layer.op,
    variant: layer.variant,
    args: sortedArgs(layer.args),
    output: layer.output,
    params: { trainable: layer.params.trainable, nonTrainable: layer.params.nonTrainable },
    macs: layer.macs,
  };
}

function orderedTotals(totals: LockTotals): LockTotals {
  const { trainable, nonTrainable, macs, flops, activations } = totals;
  return { trainable, nonTrainable, macs, flops, activations };
}

/** A lockfile read back, or why it cannot be used. */
export type ParsedLock = { readonly lock: LockFile; readonly error?: undefined } | { readonly lock?: undefined; readonly error: string };

/** Reads a lockfile's text, checking every field, so a hand-edited or truncated lock is refused with a reason. */
export function parseLock(text: string): ParsedLock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { error: `it is not JSON (${(error as Error).message})` };
  }
  if (!isObject(data)) return { error: 'it is not a JSON object' };
  if (data['lockfileVersion'] !== lockfileVersion) {
    return { error: `its lockfileVersion is ${JSON.stringify(data['lockfileVersion'])}, and this netc reads version ${lockfileVersion}` };
  }
  const files = data['files'];
  if (!isObject(files)) return { error: '"files" is not an object' };
  const entries: Record<string, LockEntry> = {};
  for (const [path, entry] of Object.entries(files)) {
    const problem = entryProblem(entry);
    if (problem !== null) return { error: `the entry for ${JSON.stringify(path)} ${problem}` };
    entries[path] = entry as LockEntry;
  }
  return { lock: { lockfileVersion, files: entries } };
}

function entryProblem(entry: unknown): string | null {
  if (!isObject(entry)) return 'is not an object';
  if (typeof entry['model'] !== 'string') return 'has no "model" name';
  if (!isShape(entry['input'])) return 'has no "input" shape';
  const layers = entry['layers'];
  if (!Array.isArray(layers)) return 'has no "layers" list';
  for (const [i, layer] of layers.entries()) {
    const problem = layerProblem(layer);
    if (problem !== null) return `has a layer ${i + 1} that ${problem}`;
  }
  const totals = entry['totals'];
  if (!isObject(totals) || !['trainable', 'nonTrainable', 'macs', 'flops', 'activations'].every((k) => isCount(totals[k]))) {
    return 'has incomplete "totals"';
  }
  return null;
}

function layerProblem(layer: unknown): string | null {
  if (!isObject(layer)) return 'is not an object';
  if (typeof layer['op'] !== 'string') return 'has no "op"';
  if (layer['variant'] !== null && typeof layer['variant'] !== 'string') return 'has a bad "variant"';
  if (!isObject(layer['args'])) return 'has no "args"';
  if (!isShape(layer['output'])) return 'has no "output" shape';
  const params = layer['params'];
  if (!isObject(params) || !isCount(params['trainable']) || !isCount(params['nonTrainable'])) return 'has no "params"';
  if (!isCount(layer['macs'])) return 'has no "macs"';
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isShape(value: unknown): value is Shape {
  return Array.isArray(value) && value.every((size) => isCount(size) && size > 0);
}
