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

/** `epoch 3/10: loss 0.404, train acc 0.851, test acc 0.806, 2,103 examples/sec on wasm`. */
export function formatEpochLine(record: EpochRecord, epochs: number, backend: string): string {
  return (
    `epoch ${record.epoch}/${epochs}: loss ${formatMetric(record.loss)}, train acc ${formatMetric(record.trainAcc)}, ` +
    `test acc ${formatMetric(record.testAcc)}, ${formatRate(record.examplesPerSec)} examples/sec on ${backend}`
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
