import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundlePlayground } from '../../src/playground/bundle.js';
import { loadPlaygroundData } from '../../src/playground/data.js';
import { startPlaygroundServer, type PlaygroundServer } from '../../src/playground/server.js';
import { writeIdxFixture } from '../data/fixtures.js';
import { netc } from '../cli/trainHelpers.js';
import { launchBrowser } from './browser.js';

// The playground page and `netc diagram`'s output in a real headless chromium: what a user sees, read from the DOM.

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'netc-playground-page-'));
let server: PlaygroundServer;
let browser: Browser;

beforeAll(async () => {
  const site = join(dir, 'site');
  await bundlePlayground(site, { minify: true });
  const fixture = writeIdxFixture(join(dir, 'data'), { train: 300, test: 100 });
  const data = await loadPlaygroundData({ dataDir: fixture.dir, systemDir: null }, { trainSize: 300, testSize: 100 });
  server = await startPlaygroundServer({ staticDir: site, data, port: 0 });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the playground with `source` in the hash and waits for the first analysis to be drawn. */
async function open(source: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.setViewport({ width: 1400, height: 900 });
  await page.goto(`${server.url}#src=${encodeURIComponent(source)}`);
  await page.waitForSelector('body[data-analyzed] #diagram svg', { timeout: 60_000 });
  expect(errors).toEqual([]);
  return page;
}

const text = (page: Page, selector: string): Promise<string> => page.$eval(selector, (e) => e.textContent ?? '');

describe('playground page in chromium', () => {
  test('a valid model from #src=: the summary shows its shapes and variants, the diagram its shapes', async () => {
    const page = await open(readFileSync(join(root, 'models', 'lenet-bn.net'), 'utf8'));
    const summary = await text(page, '#summary');
    expect(summary).toContain('16x4x4');
    expect(summary).toContain('BatchNorm1d');
    expect(summary).toContain('BatchNorm2d');
    expect(await text(page, '#summary-total')).toContain('45,330 params');
    expect(await text(page, '#diagram svg')).toContain('16x4x4');
    expect(await text(page, '#status')).toBe('✓ no problems');
    expect(await page.$$eval('#diagnostics li', (items) => items.length)).toBe(0);
    // Highlighting comes from netc's lexer: layer names, keywords, short options.
    const classes = await page.$$eval('.cm-content span', (spans) => spans.map((s) => `${s.className}:${s.textContent}`));
    expect(classes).toContain('tok-entity-name tok-entity-name-function-layer:conv');
    expect(classes).toContain('tok-keyword-other tok-keyword-other-model:model');
    expect(classes).toContain('tok-variable-parameter tok-variable-parameter-short:k5');
    await page.close();
  });

  test('a broken model: NN2001 and NN3001 listed with their lines, the diagram marks the failing stage', async () => {
    const page = await open('model broken\ninput 1x28x28\nconv 6 k5 | dense 10\nsigmod\n');
    const codes = await page.$$eval('#diagnostics li', (items) => items.map((li) => `${li.getAttribute('data-code')}@${li.getAttribute('data-line')}`));
    expect(codes).toEqual(['NN3001@3', 'NN2001@4']);
    expect(await text(page, '#diagnostics')).toContain('dense expects a flat input but receives 6x24x24');
    expect(await text(page, '#status')).toBe('2 errors, 0 warnings');
    expect(await page.$eval('#diagram .node.failed', (g) => g.getAttribute('data-op'))).toBe('dense');
    expect(await text(page, '#summary')).toContain('Fix the errors');
    expect(await page.$eval('#train', (b) => (b as unknown as { disabled: boolean }).disabled)).toBe(true);
    await page.close();
  });

  test('typing an error shows it at once; the address follows the text', async () => {
    const page = await open('input 1x28x28\nflatten\ndense 10\n');
    await page.click('.cm-content');
    await page.keyboard.down('Control');
    await page.keyboard.press('End');
    await page.keyboard.up('Control');
    await page.keyboard.type('relux\n');
    await page.waitForSelector('#diagnostics li[data-code="NN2001"]', { timeout: 30_000 });
    expect(await text(page, '#diagnostics')).toContain('Unknown layer `relux`; did you mean `relu`?');
    // The editor underlines it too (CodeMirror's lint marks).
    expect(await page.$$eval('.cm-lintRange-error', (marks) => marks.length)).toBeGreaterThan(0);
    const hash = (await page.evaluate('location.hash')) as string;
    expect(decodeURIComponent(hash.replace(/^#src=/, ''))).toBe('input 1x28x28\nflatten\ndense 10\nrelux\n');
    await page.close();
  });

  test('Train on a tiny subset: an epoch completes with its loss, accuracies and examples/sec', async () => {
    const page = await open('model tiny\ninput 1x28x28\ntrain lr=0.1 optimizer=sgd\nconv 4 k5 | bn | relu | maxpool 2\nflatten\ndense 10\n');
    const set = (id: string, value: string) => page.$eval(id, (e, v) => ((e as unknown as { value: string }).value = v), value);
    await set('#train-count', '128');
    await set('#test-count', '64');
    await set('#epochs', '1');
    await set('#batch', '32');
    // wasm with netc's kernels: TensorFlow.js alone cannot train a convolution there (no Conv2DBackpropFilter).
    await page.select('#backend', 'wasm');
    await page.click('#train');
    await page.waitForSelector('#epochs-log li.epoch[data-epoch="1"]', { timeout: 120_000 });
    const line = await text(page, '#epochs-log li.epoch');
    expect(line).toMatch(/^epoch 1: loss \d+\.\d{4}, train acc [01]\.\d{3}, test acc [01]\.\d{3}, [\d,]+ examples\/sec, \d+\.\d s$/);
    expect(await text(page, '#speed')).toMatch(/^[\d,]+ examples\/sec$/);
    expect(await text(page, '#backend-used')).toBe('wasm');
    await page.waitForFunction("document.getElementById('train-status').textContent === 'Done.'", { timeout: 30_000 });
    expect(await page.$$eval('#curves svg polyline', (lines) => lines.length)).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  test('clicking a box of the diagram selects its line in the editor; the summary tab lists the rows', async () => {
    const page = await open(readFileSync(join(root, 'models', 'mlp-bn.net'), 'utf8'));
    await page.click('#diagram .node[data-op="bn"]');
    const selected = (await page.evaluate('(() => { const s = getSelection(); return s ? s.toString() : ""; })()')) as string;
    expect(selected).toBe('dense 256 | bn | relu');
    expect(await page.$eval('#summary-panel', (p) => (p as unknown as { hidden: boolean }).hidden)).toBe(true);
    await page.click('#tab-summary');
    expect(await page.$eval('#summary-panel', (p) => (p as unknown as { hidden: boolean }).hidden)).toBe(false);
    expect(await page.$$eval('#summary-body tr', (rows) => rows.length)).toBe(8);
    await page.close();
  });

  test('without the dataset the page still checks, and Train says why (NN5001)', async () => {
    const site = join(dir, 'site');
    const bare = await startPlaygroundServer({ staticDir: site, data: { error: 'NN5001: Fashion-MNIST was not found' }, port: 0 });
    const page = await browser.newPage();
    await page.goto(`${bare.url}#src=${encodeURIComponent('input 784\ndense 10\n')}`);
    await page.waitForSelector('body[data-analyzed] #diagram svg', { timeout: 60_000 });
    await page.click('#train');
    await page.waitForFunction("document.getElementById('train-status').textContent.startsWith('Training failed')", { timeout: 30_000 });
    expect(await text(page, '#train-status')).toBe('Training failed: NN5001: Fashion-MNIST was not found');
    await page.close();
    await bare.close();
  });

  test('the page keeps working offline once loaded (service worker)', async () => {
    const page = await open('input 1x28x28\nflatten\ndense 16 | bn\n');
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    // The worker controls the page from the next load; load once more online so that it has cached the page.
    await page.reload({ waitUntil: 'networkidle0' });
    await page.setOfflineMode(true);
    // A new document (another query string), so nothing can come from the page already loaded.
    const response = await page.goto(`${server.url}?offline#src=${encodeURIComponent('input 1x28x28\nflatten\ndense 12\n')}`);
    expect(response?.fromServiceWorker()).toBe(true);
    await page.waitForSelector('body[data-analyzed] #diagram svg', { timeout: 60_000 });
    expect(await text(page, '#summary')).not.toContain('BatchNorm');
    expect(await text(page, '#summary-total')).toContain('input 1x28x28 · 9,420 params');
    await page.setOfflineMode(false);
    await page.close();
  });
});

describe('netc diagram output in chromium', () => {
  const models = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.net')).sort();

  const deep = join(dir, 'deep-200.net');
  writeFileSync(deep, `model deep\ninput 1x28x28\nflatten\n${Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `dense ${32 + (i % 5)}` : 'relu')).join('\n')}\ndense 10\n`);

  test.each([...models.map((m) => [m, join(root, 'models', m)]), ['200 layers', deep]])(
    '%s: rendered, every node box separate, every summary shape visible',
    async (_name, path) => {
    const svg = (await netc(['diagram', path])).out;
    const shapes = (JSON.parse((await netc(['summary', path, '--format', 'json'])).out) as { layers: { output: number[] }[] }).layers.map((l) =>
      l.output.join('x'),
    );
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    const boxes = await page.$$eval('svg .node rect', (rects) =>
      rects.map((r) => {
        const b = r.getBoundingClientRect();
        return { x: b.x, y: b.y, w: b.width, h: b.height };
      }),
    );
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, `boxes ${i} and ${j}`).toBe(false);
      }
    }
    // The text of each box fits inside it as the browser draws the font.
    const overflowing = await page.$$eval('svg .node', (nodes) =>
      nodes.flatMap((node) => {
        const box = node.querySelector('rect')!.getBoundingClientRect();
        return [...node.querySelectorAll('text')]
          .filter((t) => {
            const b = t.getBoundingClientRect();
            return b.left < box.left - 1 || b.right > box.right + 1;
          })
          .map((t) => t.textContent);
      }),
    );
    expect(overflowing).toEqual([]);
    const visible = await page.$$eval('svg text', (texts) => texts.map((t) => t.textContent));
    for (const shape of new Set(shapes)) expect(visible).toContain(shape);
    await page.close();
    },
  );

  test('HTML form: clicking a layer shows its source line; clicking a block title folds the block', async () => {
    const out = join(dir, 'resnet.html');
    expect((await netc(['diagram', join(root, 'models', 'resnet-mini.net'), '-o', out])).code).toBe(0);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(out).href);
    await page.click('.node[data-id="n9"]');
    expect(await text(page, '.src.current')).toBe('8def basic(c) = residual { conv c k3 p1 bias=false | bn | relu | conv c k3 p1 bias=false | bn } | relu');
    expect(await text(page, '#detail')).toContain('line 8:');
    const visibleNodes = () => page.$$eval('.node', (nodes) => nodes.filter((n) => n.ownerDocument.defaultView!.getComputedStyle(n).display !== 'none').length);
    const before = await visibleNodes();
    await page.click('.group-title .group-label');
    expect(await page.$eval('.group', (g) => g.classList.contains('collapsed'))).toBe(true);
    expect(await visibleNodes()).toBe(before - 7);
    const summary = await page.$$eval('.group.collapsed .group-summary', (lines) =>
      lines.filter((t) => t.ownerDocument.defaultView!.getComputedStyle(t).display !== 'none').map((t) => t.textContent),
    );
    expect(summary).toEqual(['7 stages · 4,736 params', '16x14x14 → 16x14x14']);
    await page.close();
  });
});

// Keep the bundle's output for a look when a test fails.
afterAll(() => writeFileSync(join(dir, 'README'), 'netc playground page tests\n'));
