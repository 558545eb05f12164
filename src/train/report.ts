/** One epoch's figures, measured as d2l's train_ch6 measures them. */
export interface EpochRecord {
  readonly epoch: number;
  /** Mean cross-entropy over the epoch's examples, each taken in training mode right after its step's forward pass. */
  readonly loss: number;
  /** Fraction of the epoch's examples classified correctly in that same forward pass. */
  readonly trainAcc: number;
  /** Accuracy on the whole test set after the epoch, in inference mode (moving statistics). */
  readonly testAcc: number;
  /** Training examples per second of time spent in training steps (evaluation excluded). */
  readonly examplesPerSec: number;
  /** Accuracy on the validation set held out by `--val-split`, in inference mode; absent without one. */
  readonly valAcc?: number;
  /** The learning rate of the epoch's first and last steps (absent in checkpoints older than schedules). */
  readonly lr?: number;
  readonly lrEnd?: number;
  /** The epoch's wall time in seconds: training, evaluation and checkpoint. */
  readonly seconds?: number;
}

/** The running sums inside an epoch, from which the progress bar and the epoch record are computed. */
export interface EpochSums {
  readonly batchesDone: number;
  readonly examples: number;
  readonly lossSum: number;
  readonly correct: number;
  /** Seconds spent in training steps so far this epoch. */
  readonly trainSeconds: number;
}

/** `0.404`: losses and accuracies as d2l prints them. */
export function formatMetric(value: number): string {
  return value.toFixed(3);
}

/** `2,103`: a rate rounded to whole examples, with thousands separators. */
export function formatRate(examplesPerSec: number): string {
  return Math.round(examplesPerSec).toLocaleString('en-US');
}

/** `0.001`, `2.5e-5`: a learning rate in at most three significant digits. */
export function formatLr(lr: number): string {
  return lr >= 1e-3 || lr === 0 ? String(Number(lr.toPrecision(3))) : lr.toExponential(2).replace(/\.?0+e/, 'e');
}

/**
 * `epoch 3/10: loss 0.404, train acc 0.851, test acc 0.806, lr 0.1, 2,103 examples/sec on wasm, 31.2 s`; a validation
 * accuracy comes before the test's, and a rate that changed within the epoch is shown as its first and last values.
 */
export function formatEpochLine(record: EpochRecord, epochs: number, backend: string): string {
  const val = record.valAcc !== undefined ? `val acc ${formatMetric(record.valAcc)}, ` : '';
  const lr =
    record.lr === undefined ? '' : record.lrEnd !== undefined && record.lrEnd !== record.lr ? `lr ${formatLr(record.lr)}->${formatLr(record.lrEnd)}, ` : `lr ${formatLr(record.lr)}, `;
  const time = record.seconds !== undefined ? `, ${record.seconds.toFixed(1)} s` : '';
  return (
    `epoch ${record.epoch}/${epochs}: loss ${formatMetric(record.loss)}, train acc ${formatMetric(record.trainAcc)}, ` +
    `${val}test acc ${formatMetric(record.testAcc)}, ${lr}${formatRate(record.examplesPerSec)} examples/sec on ${backend}${time}`
  );
}

/** The seed's two closing lines: `loss 0.273, train acc 0.899, test acc 0.807` and `2103.4 examples/sec on cpu`. */
export function formatFinalLines(last: EpochRecord, examplesPerSec: number, device: string): string {
  return (
    `loss ${formatMetric(last.loss)}, train acc ${formatMetric(last.trainAcc)}, test acc ${formatMetric(last.testAcc)}\n` +
    `${examplesPerSec.toFixed(1)} examples/sec on ${device}\n`
  );
}

/** `1:05`, `1:02:03`: a duration for an ETA. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
