/**
 * The training-curves picture and its numbers: d2l's animated plot (train loss, train acc, test acc against epoch)
 * as a self-contained SVG, plus the same figures as CSV and JSON, all written atomically into the run directory.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../compile/atomicWrite.js';

/** One epoch's figures; extra fields (examples/sec) are allowed and ignored. */
export interface CurveRecord {
  readonly epoch: number;
  readonly loss: number;
  readonly trainAcc: number;
  readonly testAcc: number;
  /** Accuracy on the held-out validation set (`--val-split`), when there is one. */
  readonly valAcc?: number;
  /** The learning rate of the epoch's first and last steps (they differ under a schedule). */
  readonly lr?: number;
  readonly lrEnd?: number;
  /** The epoch's wall time in seconds: training, evaluation and the checkpoint. */
  readonly seconds?: number;
}

/** How to draw. */
export interface CurvesOptions {
  /** A heading over the plot, such as the model's name. */
  readonly title?: string;
  /** The run's planned epochs: the x axis spans them all, so a picture redrawn every epoch keeps its scale. */
  readonly epochs?: number;
}

/** The three files written. */
export interface CurvesFiles {
  readonly svg: string;
  readonly csv: string;
  readonly json: string;
}

interface Series {
  readonly key: 'loss' | 'trainAcc' | 'testAcc';
  /** The y axis it is drawn against: loss on the left, accuracies (0 to 1) on the right. */
  readonly axis: 'loss' | 'accuracy';
  readonly label: string;
  readonly colour: string;
  readonly dash: string | null;
}

// d2l's styles: '-' in matplotlib blue, 'm--' magenta dashed, 'g-.' green dash-dot.
const series: readonly Series[] = [
  { key: 'loss', axis: 'loss', label: 'train loss', colour: '#1f77b4', dash: null },
  { key: 'trainAcc', axis: 'accuracy', label: 'train acc', colour: '#bf00bf', dash: '7 4' },
  { key: 'testAcc', axis: 'accuracy', label: 'test acc', colour: '#2ca02c', dash: '9 3 2 3' },
];

const width = 640;
const height = 420;
// Room on both sides: loss ticks on the left axis, accuracy ticks (0 to 1) on the right one.
const plot = { left: 72, right: width - 64, top: 76, bottom: height - 56 };
const font = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

/** A step of 1, 2, 2.5 or 5 times a power of ten giving about `target` intervals over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw * 0.999);
  return step ?? 10 * power;
}

/** Decimals enough to print every multiple of `step` exactly (0.25 -> 2, 0.2 -> 1, 5 -> 0). */
function decimalsOf(step: number): number {
  for (let d = 0; d < 6; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  return 6;
}

function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Intervals on both y axes: the accuracy axis has ticks every 0.2, and the loss axis's share its grid lines. */
const yIntervals = 5;

/**
 * The loss axis (left): 0 to 1 for ordinary losses; above that, five intervals of a round step, so that a
 * diverged run's loss of millions gets its own scale without flattening the accuracies (which have theirs).
 */
function lossScale(records: readonly CurveRecord[]): { max: number; step: number } {
  let top = 1;
  for (const r of records) if (Number.isFinite(r.loss) && r.loss > top) top = r.loss;
  if (top <= 1) return { max: 1, step: 1 / yIntervals };
  const step = niceStep(top, yIntervals);
  return { max: step * yIntervals, step };
}

/** A tick or legend number: `0.25`, `2.5`, `12,500`, `2.5M`, `1.2e+12`: short enough never to clip or overlap. */
export function formatAxisNumber(value: number, decimals: number): string {
  const magnitude = Math.abs(value);
  const trim = (v: number): string => String(Number(v.toPrecision(3)));
  if (magnitude >= 1e9) return value.toExponential(1);
  if (magnitude >= 1e6) return `${trim(value / 1e6)}M`;
  if (magnitude >= 1e4) return `${trim(value / 1e3)}k`;
  return value.toFixed(decimals);
}

/** The x axis: epoch 1 to the last (or planned) epoch, with whole-number ticks. */
function xScale(records: readonly CurveRecord[], planned: number | undefined): { min: number; max: number; step: number } {
  const last = Math.max(1, planned ?? 0, ...records.map((r) => (Number.isFinite(r.epoch) ? r.epoch : 1)));
  // One epoch alone would make an empty range; centre it instead.
  if (last <= 1) return { min: 0.5, max: 1.5, step: 1 };
  return { min: 1, max: last, step: Math.max(1, Math.ceil(niceStep(last - 1, 10))) };
}

/** The curves as SVG text: pure, so tests and the CLI can render without touching the disk. */
export function renderCurvesSvg(records: readonly CurveRecord[], options: CurvesOptions = {}): string {
  const x = xScale(records, options.epochs);
  const y = lossScale(records);
  const px = (epoch: number): number => plot.left + ((epoch - x.min) / (x.max - x.min)) * (plot.right - plot.left);
  const py = (value: number): number => plot.bottom - (value / y.max) * (plot.bottom - plot.top);
  const pyAcc = (value: number): number => plot.bottom - value * (plot.bottom - plot.top);
  const yOf = (s: Series, value: number): number => (s.axis === 'loss' ? py(value) : pyAcc(value));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(font)}" font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  );
  const title = options.title ?? 'training curves';
  out.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#222">${escapeXml(title)}</text>`);

  // Grid and y ticks: both axes have five intervals, so one set of grid lines serves both.
  const yDecimals = decimalsOf(y.step);
  out.push('<g class="grid" stroke="#e6e6e6" stroke-width="1">');
  for (let i = 0; i <= yIntervals; i++) {
    const v = py(i * y.step);
    out.push(`<line x1="${plot.left}" y1="${fmt(v)}" x2="${plot.right}" y2="${fmt(v)}"/>`);
  }
  for (let e = Math.ceil(x.min); e <= x.max + 1e-9; e += x.step) {
    out.push(`<line x1="${fmt(px(e))}" y1="${plot.top}" x2="${fmt(px(e))}" y2="${plot.bottom}"/>`);
  }
  out.push('</g>');
  out.push('<g class="ticks" fill="#444">');
  for (let i = 0; i <= yIntervals; i++) {
    const v = py(i * y.step);
    out.push(`<text x="${plot.left - 8}" y="${fmt(v + 4)}" text-anchor="end">${formatAxisNumber(i * y.step, yDecimals)}</text>`);
    out.push(`<text x="${plot.right + 8}" y="${fmt(v + 4)}" text-anchor="start">${(i / yIntervals).toFixed(1)}</text>`);
  }
  for (let e = Math.ceil(x.min); e <= x.max + 1e-9; e += x.step) {
    out.push(`<text x="${fmt(px(e))}" y="${plot.bottom + 18}" text-anchor="middle">${e}</text>`);
  }
  out.push('</g>');

  // Axes and their labels.
  out.push(
    `<g class="axes" stroke="#333" stroke-width="1.2" fill="none"><line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}"/><line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}"/><line x1="${plot.right}" y1="${plot.top}" x2="${plot.right}" y2="${plot.bottom}"/></g>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${height - 16}" text-anchor="middle" fill="#222" font-size="13">epoch</text>`,
    `<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#222" font-size="13">loss</text>`,
    `<text transform="translate(${width - 14} ${(plot.top + plot.bottom) / 2}) rotate(90)" text-anchor="middle" fill="#222" font-size="13">accuracy</text>`,
  );

  // The three lines, with a dot per epoch so a single epoch still shows.
  for (const s of series) {
    const points = records.filter((r) => Number.isFinite(r.epoch) && Number.isFinite(r[s.key]));
    const coords = points.map((r) => `${fmt(px(r.epoch))},${fmt(yOf(s, r[s.key]))}`);
    out.push(`<g class="series" data-series="${s.key}">`);
    if (coords.length > 0) {
      out.push(
        `<polyline points="${coords.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      );
    }
    for (const c of coords) {
      const [cx, cy] = c.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="2.6" fill="${s.colour}"/>`);
    }
    out.push('</g>');
  }

  // Legend in a row under the title, never over the lines; each entry ends with its latest value.
  const last = records.at(-1);
  const entryWidth = 168;
  const legendLeft = (width - entryWidth * series.length) / 2;
  out.push('<g class="legend">');
  series.forEach((s, i) => {
    const lx = legendLeft + i * entryWidth;
    const ly = 50;
    // dx rather than a leading space: renderers differ on keeping whitespace at a tspan's start.
    const value = last && Number.isFinite(last[s.key]) ? `<tspan dx="6" fill="#777">${formatAxisNumber(last[s.key], 3)}</tspan>` : '';
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 30}" y2="${ly}" stroke="${s.colour}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      `<text x="${lx + 38}" y="${ly + 4}" fill="#222">${s.label}${value}</text>`,
    );
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const csvColumns = ['epoch', 'loss', 'train_acc', 'test_acc', 'val_acc', 'lr', 'lr_end', 'seconds'] as const;
const csvHeader = csvColumns.join(',');
/** The header of curves written before the validation, rate and time columns. */
const oldCsvHeader = 'epoch,loss,train_acc,test_acc';

/** A record's optional figures, by CSV column; absent ones are written as empty cells. */
const optionalColumns = { val_acc: 'valAcc', lr: 'lr', lr_end: 'lrEnd', seconds: 'seconds' } as const;

/** The figures as CSV, one row per epoch, numbers at full precision (so they read back exactly). */
export function curvesCsv(records: readonly CurveRecord[]): string {
  const row = (r: CurveRecord): string =>
    [r.epoch, r.loss, r.trainAcc, r.testAcc, r.valAcc, r.lr, r.lrEnd, r.seconds].map((v) => (v === undefined ? '' : String(v))).join(',');
  return [csvHeader, ...records.map(row)].join('\n') + '\n';
}

/** Reads `curves.csv` text back into records; a malformed line is a thrown Error naming its line number. */
export function parseCurvesCsv(text: string): CurveRecord[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const columns = lines[0] === csvHeader ? csvColumns.length : lines[0] === oldCsvHeader ? 4 : -1;
  if (columns < 0) throw new Error(`curves.csv: the first line must be '${csvHeader}'`);
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    const numbers = cells.map((c) => (c === '' ? undefined : Number(c)));
    const bad = (n: number | undefined, j: number): boolean => (n === undefined ? j < 4 : Number.isNaN(n) && cells[j] !== 'NaN');
    if (cells.length !== columns || numbers.some(bad)) {
      throw new Error(`curves.csv line ${i + 2}: expected ${columns === 4 ? 'four' : columns} numbers, got '${line}'`);
    }
    const [epoch, loss, trainAcc, testAcc] = numbers as [number, number, number, number];
    const record: Record<string, number> = { epoch, loss, trainAcc, testAcc };
    Object.entries(optionalColumns).forEach(([, key], k) => {
      const value = numbers[4 + k];
      if (value !== undefined) record[key] = value;
    });
    return record as unknown as CurveRecord;
  });
}

function curvesJson(records: readonly CurveRecord[], options: CurvesOptions): string {
  const body = {
    title: options.title ?? null,
    records: records.map(({ epoch, loss, trainAcc, testAcc, valAcc, lr, lrEnd, seconds }) => ({ epoch, loss, trainAcc, testAcc, valAcc, lr, lrEnd, seconds })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Writes `curves.svg`, `curves.csv` and `curves.json` into `dir` (created when absent); returns their paths. */
export async function writeCurves(dir: string, records: readonly CurveRecord[], options: CurvesOptions = {}): Promise<CurvesFiles> {
  await mkdir(dir, { recursive: true });
  const files: CurvesFiles = { svg: join(dir, 'curves.svg'), csv: join(dir, 'curves.csv'), json: join(dir, 'curves.json') };
  writeFileAtomic(files.svg, renderCurvesSvg(records, options));
  writeFileAtomic(files.csv, curvesCsv(records));
  writeFileAtomic(files.json, curvesJson(records, options));
  return files;
}
