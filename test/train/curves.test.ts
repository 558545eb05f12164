import { describe, expect, test } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { curvesCsv, formatAxisNumber, parseCurvesCsv, renderCurvesSvg, writeCurves, type CurveRecord } from '../../src/train/curves.js';

// The PyTorch reference run from shared/notes/TFJS.md.
const reference: CurveRecord[] = [
  [0.733, 0.735, 0.743], [0.472, 0.828, 0.831], [0.404, 0.851, 0.806], [0.365, 0.868, 0.855], [0.337, 0.879, 0.842],
  [0.316, 0.885, 0.679], [0.304, 0.889, 0.871], [0.29, 0.894, 0.858], [0.277, 0.898, 0.848], [0.269, 0.901, 0.878],
].map(([loss, trainAcc, testAcc], i) => ({ epoch: i + 1, loss: loss!, trainAcc: trainAcc!, testAcc: testAcc! }));

/** Checks that every tag is closed in order, the way an XML parser would, and returns the element names seen. */
function checkWellFormed(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name!);
    if (!closing) names.push(name!);
  }
  expect(stack).toEqual([]);
  // Nothing outside tags but text: no stray '<' or unescaped '&'.
  const text = svg.replace(/<[^>]*>/g, '');
  expect(text).not.toMatch(/<|&(?!(lt|gt|amp|quot|apos);)/);
  return names;
}

function viewBox(svg: string): [number, number, number, number] {
  const box = /viewBox="([^"]+)"/.exec(svg)![1]!.split(' ').map(Number);
  return box as [number, number, number, number];
}

function polylines(svg: string): Map<string, [number, number][]> {
  const result = new Map<string, [number, number][]>();
  for (const group of svg.matchAll(/<g class="series" data-series="(\w+)">([\s\S]*?)<\/g>/g)) {
    const points = /<polyline points="([^"]*)"/.exec(group[2]!);
    result.set(group[1]!, points ? points[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]) : []);
  }
  return result;
}

/** Tick labels on the y axis (right-aligned texts). */
function yTicks(svg: string): number[] {
  return [...svg.matchAll(/<text [^>]*text-anchor="end">([^<]+)<\/text>/g)].map((m) => Number(m[1]));
}

describe('renderCurvesSvg', () => {
  const svg = renderCurvesSvg(reference, { title: 'lenet-bn' });

  test('is a well-formed, self-contained SVG with the title, axes, ticks, labels and legend', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const names = checkWellFormed(svg);
    expect(names.filter((n) => n === 'polyline')).toHaveLength(3);
    expect(svg).not.toMatch(/href=|<script|<image/);
    expect(svg).toContain('>lenet-bn</text>');
    expect(svg).toContain('>epoch</text>');
    for (const label of ['train loss', 'train acc', 'test acc']) expect(svg).toContain(`>${label}<`);
    expect(yTicks(svg)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    // The legend shows each line's last value.
    expect(svg).toContain('>0.269</tspan>');
    expect(svg).toContain('>0.878</tspan>');
  });

  test('each line has one point per epoch, inside the viewBox, ordered by epoch', () => {
    const [x0, y0, w, h] = viewBox(svg);
    const lines = polylines(svg);
    expect([...lines.keys()]).toEqual(['loss', 'trainAcc', 'testAcc']);
    for (const points of lines.values()) {
      expect(points).toHaveLength(reference.length);
      for (const [x, y] of points) {
        expect(x).toBeGreaterThanOrEqual(x0);
        expect(x).toBeLessThanOrEqual(x0 + w);
        expect(y).toBeGreaterThanOrEqual(y0);
        expect(y).toBeLessThanOrEqual(y0 + h);
      }
      for (let i = 1; i < points.length; i++) expect(points[i]![0]).toBeGreaterThan(points[i - 1]![0]);
    }
  });

  test('higher values are drawn higher: the falling loss rises on the page, test acc dips at epoch 6', () => {
    const loss = polylines(svg).get('loss')!;
    for (let i = 1; i < loss.length; i++) expect(loss[i]![1]).toBeGreaterThan(loss[i - 1]![1]);
    const test = polylines(svg).get('testAcc')!;
    expect(test[5]![1]).toBeGreaterThan(test[4]![1]);
    expect(test[5]![1]).toBeGreaterThan(test[6]![1]);
  });

  test('a loss above 1 stretches the y axis to a round number above it, keeping every point inside', () => {
    const high = renderCurvesSvg([
      { epoch: 1, loss: 2.31, trainAcc: 0.1, testAcc: 0.1 },
      { epoch: 2, loss: 1.2, trainAcc: 0.6, testAcc: 0.55 },
    ]);
    checkWellFormed(high);
    const ticks = yTicks(high);
    expect(ticks[0]).toBe(0);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(2.31);
    expect(ticks.at(-1)).toBeLessThan(3.5);
    const [, y0, , h] = viewBox(high);
    for (const points of polylines(high).values()) {
      for (const [, y] of points) {
        expect(y).toBeGreaterThanOrEqual(y0);
        expect(y).toBeLessThanOrEqual(y0 + h);
      }
    }
  });

  test('the planned epoch count fixes the x axis while a run is under way', () => {
    const partial = renderCurvesSvg(reference.slice(0, 3), { epochs: 10 });
    const xTicks = [...partial.matchAll(/<text [^>]*text-anchor="middle">(\d+)<\/text>/g)].map((m) => Number(m[1]));
    expect(xTicks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(polylines(partial).get('loss')).toHaveLength(3);
  });

  test('one epoch, no epochs, a non-finite value and markup in the title all render sensibly', () => {
    const one = renderCurvesSvg(reference.slice(0, 1));
    checkWellFormed(one);
    expect(polylines(one).get('loss')).toHaveLength(1);
    expect(one.match(/<circle /g)).toHaveLength(3);
    const none = renderCurvesSvg([], { title: 'a <b> & "c"' });
    checkWellFormed(none);
    expect(none).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect([...polylines(none).values()].every((p) => p.length === 0)).toBe(true);
    const nan = renderCurvesSvg([...reference.slice(0, 2), { epoch: 3, loss: NaN, trainAcc: 0.1, testAcc: 0.1 }]);
    expect(polylines(nan).get('loss')).toHaveLength(2);
    expect(polylines(nan).get('trainAcc')).toHaveLength(3);
    expect(nan).not.toContain('NaN');
  });
});

describe('curves CSV', () => {
  test('round-trips exactly, extra fields dropped', () => {
    const records = reference.map((r) => ({ ...r, loss: r.loss / 3, examplesPerSec: 2103.4 }));
    const text = curvesCsv(records);
    expect(text.split('\n')[0]).toBe('epoch,loss,train_acc,test_acc,val_acc,lr,lr_end,seconds');
    expect(text.split('\n')[1]).toBe(`1,${0.733 / 3},0.735,0.743,,,,`);
    expect(parseCurvesCsv(text)).toEqual(records.map(({ epoch, loss, trainAcc, testAcc }) => ({ epoch, loss, trainAcc, testAcc })));
  });

  test('the validation accuracy, the epoch\'s first and last rates and its wall time round-trip; old four-column files still read', () => {
    const records = [{ epoch: 1, loss: 0.5, trainAcc: 0.8, testAcc: 0.7, valAcc: 0.75, lr: 1e-5, lrEnd: 0.001, seconds: 12.5 }];
    const text = curvesCsv(records);
    expect(text.split('\n')[1]).toBe('1,0.5,0.8,0.7,0.75,0.00001,0.001,12.5');
    expect(parseCurvesCsv(text)).toEqual(records);
    expect(parseCurvesCsv('epoch,loss,train_acc,test_acc\n1,0.5,0.8,0.7\n')).toEqual([{ epoch: 1, loss: 0.5, trainAcc: 0.8, testAcc: 0.7 }]);
  });

  test('NaN survives the round trip; a malformed line is refused with its number', () => {
    const withNaN = [{ epoch: 1, loss: NaN, trainAcc: 0.5, testAcc: 0.4 }];
    expect(parseCurvesCsv(curvesCsv(withNaN))).toEqual(withNaN);
    expect(() => parseCurvesCsv('epoch,loss,train_acc,test_acc\n1,0.5,x,0.1\n')).toThrow(/line 2: expected four numbers/);
    expect(() => parseCurvesCsv('epoch,loss,train_acc,test_acc,val_acc,lr,lr_end,seconds\n1,0.5,0.1,0.1\n')).toThrow(/line 2: expected 8 numbers/);
    expect(() => parseCurvesCsv('nope\n')).toThrow(/first line/);
  });
});

test('writeCurves writes the three files into a new run directory, leaving no temporary files', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'netc-curves-')), 'runs', 'lenet-bn-1');
  const files = await writeCurves(dir, reference, { title: 'lenet-bn' });
  expect(files).toEqual({ svg: join(dir, 'curves.svg'), csv: join(dir, 'curves.csv'), json: join(dir, 'curves.json') });
  expect(readdirSync(dir).sort()).toEqual(['curves.csv', 'curves.json', 'curves.svg']);
  expect(readFileSync(files.svg, 'utf8')).toBe(renderCurvesSvg(reference, { title: 'lenet-bn' }));
  expect(parseCurvesCsv(readFileSync(files.csv, 'utf8'))).toEqual(reference);
  expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual({ title: 'lenet-bn', records: reference });
  // Rewriting after another epoch replaces the files in place.
  await writeCurves(dir, reference.slice(0, 4));
  expect(parseCurvesCsv(readFileSync(files.csv, 'utf8'))).toHaveLength(4);
  expect(readdirSync(dir)).toHaveLength(3);
});

describe('a diverged run (issue 15: clipped ticks, overlapping legend, accuracy flat on the axis)', () => {
  const diverged = [
    { epoch: 1, loss: 2_345_678.9, trainAcc: 0.101, testAcc: 0.1 },
    { epoch: 2, loss: 11_134_997, trainAcc: 0.099, testAcc: 0.1 },
  ];
  const svg = renderCurvesSvg(diverged, { title: 'lenet-bn', epochs: 2 });

  test('the loss has its own axis on the left, in short numbers; accuracy its own, 0 to 1, on the right', () => {
    checkWellFormed(svg);
    const left = [...svg.matchAll(/<text [^>]*text-anchor="end">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(left).toEqual(['0', '2.5M', '5M', '7.5M', '10M', '12.5M']);
    const right = [...svg.matchAll(/<text [^>]*text-anchor="start">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(right).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('>accuracy</text>');
  });

  test('accuracy 0.1 is drawn a tenth of the way up, not on the axis', () => {
    const [, y0, , h] = viewBox(svg);
    const { top, bottom } = { top: 76, bottom: h + y0 - 56 };
    for (const [, y] of polylines(svg).get('testAcc')!) expect(y).toBeCloseTo(bottom - 0.1 * (bottom - top), 1);
    const loss = polylines(svg).get('loss')!;
    expect(loss[1]![1]).toBeGreaterThan(top - 0.01);
  });

  test('legend values are short: 11.1M, not 11134997.000', () => {
    expect(svg).toContain('>11.1M</tspan>');
    expect(svg).not.toContain('11134997');
  });
});

test('formatAxisNumber', () => {
  expect([0.25, 2.5, 12_500, 2_500_000, 1.2e12].map((v) => formatAxisNumber(v, 2))).toEqual(['0.25', '2.50', '12.5k', '2.5M', '1.2e+12']);
});
