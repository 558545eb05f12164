import type { Hyperparameters } from './hyperparameters.js';

/*
 * What a resumed run may change. Only what cannot break an exact continuation: more epochs, another learning rate
 * (the way out of a divergence). The rest is tied to the saved optimizer state, shuffle and weights.
 */

/** The hyperparameters a resumed run keeps from its checkpoint. */
export const fixedOnResume = [
  'batch', 'optimizer', 'momentum', 'seed', 'bn', 'subset', 'dataset', 'schedule', 'warmup', 'step', 'gamma', 'wd',
  'wdAll', 'nesterov', 'clip', 'labelSmoothing', 'flip', 'crop', 'valSplit',
] as const;

/** What the user asked to change when resuming; undefined means "as saved". */
export type ResumeChanges = Partial<
  Record<(typeof fixedOnResume)[number] | 'epochs' | 'lr' | 'patience' | 'keep', string | number | boolean | undefined>
>;

/** `labelSmoothing` -> `label-smoothing`: the flag a hyperparameter is set with. */
function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The checkpoint's recipe with the allowed changes, or why a change is refused (one sentence naming the flag). */
export function resumedHyperparameters(
  saved: Hyperparameters,
  changes: ResumeChanges,
): { readonly ok: true; readonly hyperparameters: Hyperparameters } | { readonly ok: false; readonly message: string } {
  for (const key of fixedOnResume) {
    const value = changes[key];
    if (value !== undefined && value !== saved[key]) {
      return {
        ok: false,
        message:
          `--${flagName(key)} ${value} differs from the run's ${key} (${saved[key] ?? 'none'}); a resumed run keeps it. ` +
          'Only --epochs, --lr, --patience, --keep, --backend and --data may change with --resume.',
      };
    }
  }
  const epochs = typeof changes.epochs === 'number' ? changes.epochs : saved.epochs;
  const lr = typeof changes.lr === 'number' ? changes.lr : saved.lr;
  const patience = typeof changes.patience === 'number' ? changes.patience : saved.patience;
  const keep = changes.keep === 'best' || changes.keep === 'last' ? changes.keep : saved.keep;
  return { ok: true, hyperparameters: { ...saved, epochs, lr, patience, keep } };
}
