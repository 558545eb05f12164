// Live training curves as a small SVG: the running loss (left axis) and train/test accuracy (right axis, 0-1).

/** One point of the curves: x in epochs; accuracies only at the end of an epoch. */
export interface CurvePoint {
  readonly x: number;
  readonly loss: number;
  readonly trainAcc?: number;
  readonly testAcc?: number;
}

const width = 360;
const height = 170;
const pad = { left: 40, right: 36, top: 10, bottom: 24 };

/** Redraws the curves of `points` into `host`. */
export function drawCurves(host: HTMLElement, points: readonly CurvePoint[]): void {
  if (points.length === 0) {
    host.replaceChildren();
    return;
  }
  const maxX = Math.max(1, ...points.map((p) => p.x));
  const maxLoss = Math.max(1e-6, ...points.map((p) => p.loss));
  const sx = (x: number): number => pad.left + (x / maxX) * (width - pad.left - pad.right);
  const sl = (l: number): number => pad.top + (1 - l / maxLoss) * (height - pad.top - pad.bottom);
  const sa = (a: number): number => pad.top + (1 - a) * (height - pad.top - pad.bottom);
  const line = (values: { x: number; y: number }[], colour: string, dash = ''): string =>
    values.length === 0
      ? ''
      : `<polyline fill="none" stroke="${colour}" stroke-width="1.6"${dash} points="${values.map((v) => `${v.x.toFixed(1)},${v.y.toFixed(1)}`).join(' ')}"/>` +
        values.map((v) => `<circle cx="${v.x.toFixed(1)}" cy="${v.y.toFixed(1)}" r="2" fill="${colour}"/>`).join('');
  const loss = points.map((p) => ({ x: sx(p.x), y: sl(p.loss) }));
  const train = points.filter((p) => p.trainAcc !== undefined).map((p) => ({ x: sx(p.x), y: sa(p.trainAcc!) }));
  const test = points.filter((p) => p.testAcc !== undefined && !Number.isNaN(p.testAcc)).map((p) => ({ x: sx(p.x), y: sa(p.testAcc!) }));
  const axis =
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#94a3b8"/>` +
    `<text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end">${maxLoss.toFixed(2)}</text>` +
    `<text x="${pad.left - 4}" y="${height - pad.bottom}" text-anchor="end">0</text>` +
    `<text x="${width - pad.right + 4}" y="${pad.top + 8}">1.0</text>` +
    `<text x="${width - pad.right + 4}" y="${height - pad.bottom}">0</text>` +
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 6}" text-anchor="middle">epoch (0–${maxX.toFixed(0)})</text>`;
  const legend =
    `<text x="${pad.left + 6}" y="${pad.top + 12}" fill="#2563eb">loss</text>` +
    `<text x="${pad.left + 46}" y="${pad.top + 12}" fill="#16a34a">train acc</text>` +
    `<text x="${pad.left + 116}" y="${pad.top + 12}" fill="#db2777">test acc</text>`;
  host.innerHTML =
    `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-size="10" font-family="system-ui, sans-serif" fill="#475569">` +
    axis +
    line(loss, '#2563eb') +
    line(train, '#16a34a') +
    line(test, '#db2777', ' stroke-dasharray="4 2"') +
    legend +
    '</svg>';
}
