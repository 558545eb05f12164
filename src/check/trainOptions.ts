import type { TrainOptions } from '../ir/model.js';
import { replaceFix, type Span } from '../diagnostics/Diagnostic.js';
import type { ArgSpec } from '../layers/LayerKind.js';
import type { KeyValueArgNode, TrainNode } from '../syntax/ast.js';
import { didYouMean, listNames } from './didYouMean.js';
import type { ReportFn } from './resolveArgs.js';
import { resolveValue } from './values.js';
import { datasets, keepPolicies, maxCrop, optimizerNames, optimizers, scheduleNames } from '../ir/catalogue.js';
import type { Code } from '../diagnostics/messages.js';

/** The keys of a `train` line and the values each takes; `netc train`'s flags are checked against them too. */
export const trainKeys: readonly ArgSpec[] = [
  { name: 'dataset', type: { kind: 'enum', values: Object.keys(datasets) } },
  { name: 'epochs', type: { kind: 'int', min: 1 } },
  { name: 'batch', type: { kind: 'int', min: 1 } },
  { name: 'lr', type: { kind: 'number', min: 0, minExclusive: true } },
  { name: 'optimizer', type: { kind: 'enum', values: optimizerNames } },
  { name: 'momentum', type: { kind: 'number', min: 0, max: 1, maxExclusive: true } },
  // Seeds feed unsigned PRNG states, so a negative one would be silently reinterpreted.
  { name: 'seed', type: { kind: 'int', min: 0 } },
  { name: 'nesterov', type: { kind: 'bool' } },
  { name: 'schedule', type: { kind: 'enum', values: scheduleNames } },
  { name: 'warmup', type: { kind: 'number', min: 0 } },
  { name: 'step', type: { kind: 'number', min: 0, minExclusive: true } },
  { name: 'gamma', type: { kind: 'number', min: 0, max: 1, minExclusive: true } },
  { name: 'wd', type: { kind: 'number', min: 0 } },
  { name: 'wd_all', type: { kind: 'bool' } },
  { name: 'clip', type: { kind: 'number', min: 0, minExclusive: true } },
  { name: 'label_smoothing', type: { kind: 'number', min: 0, max: 1, maxExclusive: true } },
  { name: 'flip', type: { kind: 'bool' } },
  { name: 'crop', type: { kind: 'int', min: 0 } },
  { name: 'val_split', type: { kind: 'number', min: 0, max: 1, minExclusive: true, maxExclusive: true } },
  { name: 'patience', type: { kind: 'int', min: 1 } },
  { name: 'keep', type: { kind: 'enum', values: keepPolicies } },
];

/** The recipe options that can contradict each other, as resolved (a file's `train` line, or flags over it). */
export interface RecipeOptions {
  readonly epochs?: number | undefined;
  readonly optimizer?: string | undefined;
  readonly nesterov?: boolean | undefined;
  readonly warmup?: number | undefined;
  readonly crop?: number | undefined;
}

/** One problem `recipeConflicts` finds: its code, the `train` key to point at, and the sentence. */
export interface RecipeConflict {
  readonly code: Code;
  readonly key: 'nesterov' | 'warmup' | 'crop';
  readonly message: string;
}

/** The epochs a run has when neither the file nor a flag says (the seed's recipe). */
const defaultEpochs = 10;

/**
 * What a set of train options asks that cannot be done: NN2040 for Nesterov momentum without the momentum optimizer
 * and a warmup as long as the run, NN2011 for a crop padding above `maxCrop`. The checker reports these at the
 * file's keys; `netc train` at its flags, with the same sentences.
 */
export function recipeConflicts(o: RecipeOptions): RecipeConflict[] {
  const found: RecipeConflict[] = [];
  const optimizer = o.optimizer ?? 'sgd';
  if (o.nesterov === true && !optimizers[optimizer as keyof typeof optimizers]?.options.includes('nesterov')) {
    found.push({
      code: 'NN2040',
      key: 'nesterov',
      message: `\`nesterov=true\` needs \`optimizer=momentum\`, but the optimizer is \`${optimizer}\`; use momentum, or leave nesterov out.`,
    });
  }
  const epochs = o.epochs ?? defaultEpochs;
  if (o.warmup !== undefined && o.warmup >= epochs) {
    found.push({
      code: 'NN2040',
      key: 'warmup',
      message: `\`warmup=${o.warmup}\` is as long as the run's ${epochs} epochs, so the schedule never starts; make warmup less than epochs.`,
    });
  }
  if (o.crop !== undefined && o.crop > maxCrop) {
    found.push({ code: 'NN2011', key: 'crop', message: `\`train\` key \`crop\` must be at most ${maxCrop} pixels of padding, not ${o.crop}.` });
  }
  return found;
}

/** Names from other tools for `train` keys, which edit distance would not find. */
const trainKeyHints: Readonly<Record<string, string>> = {
  learning_rate: 'lr',
  rate: 'lr',
  batch_size: 'batch',
  batchsize: 'batch',
  optim: 'optimizer',
  opt: 'optimizer',
  data: 'dataset',
  random_seed: 'seed',
};

/** The `train` options of a file, resolved, with where each key was written. */
export interface ResolvedTrain {
  readonly options: TrainOptions;
  readonly spans: Readonly<Record<string, Span>>;
}

/** Reads every `train` line of a file (keys may be split over several lines, each given once). */
export function resolveTrain(nodes: readonly TrainNode[], report: ReportFn): ResolvedTrain {
  const options: Record<string, number | string | boolean> = {};
  const spans: Record<string, Span> = {};
  const written = new Map<string, KeyValueArgNode>();
  for (const node of nodes) {
    for (const option of node.options) {
      const key = option.key.name;
      const spec = trainKeys.find((candidate) => candidate.name === key);
      if (spec === undefined) {
        const names = trainKeys.map((candidate) => candidate.name);
        const guess = trainKeyHints[key] ?? didYouMean(key, names);
        const tail = guess !== undefined ? `did you mean \`${guess}\`?` : `the keys are ${listNames(names, 'and')}.`;
        const fix = guess === undefined ? undefined : replaceFix(option.key.span, key, guess);
        report('NN2005', `\`train\` has no key \`${key}\`; ${tail}`, option.span, undefined, fix);
        continue;
      }
      const first = written.get(key);
      if (first !== undefined) {
        report('NN2003', `\`train\` key \`${key}\` is given twice; keep one.`, option.span, [
          { message: `\`${key}\` is first given here.`, span: first.span },
        ]);
        continue;
      }
      written.set(key, option);
      const result = resolveValue(spec.type, option.value, `\`train\` key \`${key}\``);
      if (!result.ok) {
        report(result.code, result.message, option.span, undefined, result.fix);
        continue;
      }
      // Train keys are numbers, words or booleans (no pairs), as trainKeys declares.
      options[key] = result.value as number | string | boolean;
      spans[key] = option.span;
    }
  }
  const resolved = options as TrainOptions;
  for (const conflict of recipeConflicts(resolved)) report(conflict.code, conflict.message, spans[conflict.key]!);
  return { options: resolved, spans };
}
