import type { TrainOptions } from '../ir/model.js';
import type { Span } from '../diagnostics/Diagnostic.js';
import type { ArgSpec } from '../layers/LayerKind.js';
import type { KeyValueArgNode, TrainNode } from '../syntax/ast.js';
import { didYouMean, listNames } from './didYouMean.js';
import type { ReportFn } from './resolveArgs.js';
import { resolveValue } from './values.js';
import { datasets, optimizerNames } from '../ir/catalogue.js';

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
];

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
  const options: Record<string, number | string> = {};
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
        report('NN2005', `\`train\` has no key \`${key}\`; ${tail}`, option.span);
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
        report(result.code, result.message, option.span);
        continue;
      }
      // Train keys are numbers or words only (no pairs or booleans), as trainKeys declares.
      options[key] = result.value as number | string;
      spans[key] = option.span;
    }
  }
  return { options: options as TrainOptions, spans };
}
