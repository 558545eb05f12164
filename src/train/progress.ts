import { formatDuration, formatMetric, formatRate, type EpochSums } from './report.js';

/** Where progress goes and how: a terminal gets a bar redrawn in place, a log gets occasional plain lines. */
export interface ProgressOptions {
  readonly write: (text: string) => void;
  readonly isTTY: boolean;
  /** Milliseconds; injectable so tests control time. */
  readonly now?: () => number;
  /** Terminal width; the bar shrinks to fit. */
  readonly columns?: number;
  /** Least time between two redraws of the bar (ms): ten a second is smooth and costs nothing. */
  readonly redrawMs?: number;
  /** Least time between two plain progress lines (ms), so a log of a slow run still shows it is alive. */
  readonly plainLineMs?: number;
}

const barWidth = 24;

/**
 * The per-epoch progress display: batches done of total, examples/sec, running loss and accuracy and an ETA.
 * On a terminal it is one line redrawn with `\r` at most every `redrawMs`; elsewhere (a pipe, a log file) it writes
 * nothing for fast epochs and one plain line every `plainLineMs` for slow ones, so logs never hold `\r` junk.
 */
export class EpochProgress {
  private readonly now: () => number;
  private readonly redrawMs: number;
  private readonly plainLineMs: number;
  private epoch = 0;
  private epochs = 0;
  private totalBatches = 0;
  private startedAt = 0;
  private startBatch = 0;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => performance.now());
    this.redrawMs = options.redrawMs ?? 100;
    this.plainLineMs = options.plainLineMs ?? 30_000;
  }

  /** Begins an epoch; `startBatch` is nonzero when a resumed run continues an epoch part-way. */
  start(epoch: number, epochs: number, totalBatches: number, startBatch = 0): void {
    this.epoch = epoch;
    this.epochs = epochs;
    this.totalBatches = totalBatches;
    this.startBatch = startBatch;
    this.startedAt = this.now();
    // A plain log gets its first line only after a full interval: fast epochs stay one line each.
    this.lastDraw = this.options.isTTY ? -Infinity : this.startedAt;
    this.drawn = false;
  }

  /** Reports the sums after a batch; draws only when the interval has passed (or at the last batch, on a TTY). */
  update(sums: EpochSums): void {
    const t = this.now();
    const interval = this.options.isTTY ? this.redrawMs : this.plainLineMs;
    const last = sums.batchesDone === this.totalBatches;
    if (t - this.lastDraw < interval && !(last && this.options.isTTY)) return;
    this.lastDraw = t;
    if (this.options.isTTY) {
      this.options.write(`\r${this.fit(this.barLine(sums, t))}\x1b[K`);
      this.drawn = true;
    } else if (!last) {
      this.options.write(`${this.plainLine(sums, t)}\n`);
    }
  }

  /** Clears the bar so the epoch's summary line takes its place. */
  finish(): void {
    if (this.options.isTTY && this.drawn) this.options.write('\r\x1b[K');
    this.drawn = false;
  }

  private barLine(sums: EpochSums, t: number): string {
    const filled = this.totalBatches > 0 ? Math.round((barWidth * sums.batchesDone) / this.totalBatches) : barWidth;
    const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (filled === barWidth ? '=' : '>') : ''}`;
    return (
      `epoch ${this.epoch}/${this.epochs} [${bar.padEnd(barWidth)}] ${sums.batchesDone}/${this.totalBatches}` +
      `  ${this.rate(sums)} ex/s  loss ${this.loss(sums)}  acc ${this.accuracy(sums)}  ETA ${this.eta(sums, t)}`
    );
  }

  private plainLine(sums: EpochSums, t: number): string {
    return (
      `  epoch ${this.epoch}/${this.epochs}: batch ${sums.batchesDone}/${this.totalBatches}, loss ${this.loss(sums)}, ` +
      `train acc ${this.accuracy(sums)}, ${this.rate(sums)} examples/sec, about ${this.eta(sums, t)} left in this epoch`
    );
  }

  private rate(sums: EpochSums): string {
    return sums.trainSeconds > 0 ? formatRate(sums.examples / sums.trainSeconds) : '-';
  }

  private loss(sums: EpochSums): string {
    return sums.examples > 0 ? formatMetric(sums.lossSum / sums.examples) : '-';
  }

  private accuracy(sums: EpochSums): string {
    return sums.examples > 0 ? formatMetric(sums.correct / sums.examples) : '-';
  }

  // Wall time per batch since this process started the epoch: it includes the data slicing the step time leaves out.
  private eta(sums: EpochSums, t: number): string {
    const done = sums.batchesDone - this.startBatch;
    if (done <= 0) return '-';
    const perBatch = (t - this.startedAt) / 1000 / done;
    return formatDuration(perBatch * (this.totalBatches - sums.batchesDone));
  }

  private fit(line: string): string {
    const columns = this.options.columns;
    // One column short of the width: writing the last column makes some terminals wrap, breaking the `\r` redraw.
    return columns !== undefined && columns > 1 && line.length >= columns ? line.slice(0, columns - 1) : line;
  }
}
