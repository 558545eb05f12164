import { defaultKeymap, history as editorHistory, historyKeymap } from '@codemirror/commands';
import { EditorState } from '@codemirror/state';
import { lintGutter, setDiagnostics, type Diagnostic as EditorDiagnostic } from '@codemirror/lint';
import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import type { CheckedModel } from '../../ir/model.js';
import type { Diagnostic } from '../../diagnostics/Diagnostic.js';
import { sortDiagnostics } from '../../diagnostics/format.js';
import { diagramOfAnalysis } from '../../diagram/fromAnalysis.js';
import { layoutDiagram } from '../../diagram/layout.js';
import { renderSvg } from '../../diagram/svg.js';
import { analyze } from '../../frontend/analyze.js';
import { netcHighlighting } from './highlight.js';
import { drawCurves, type CurvePoint } from './curves.js';
import { cannotTrain, chooseBackend, trainInPage, type PageBackend, type Split } from './train.js';

// The playground page: edit a .net file, see its diagnostics, summary and diagram as you type, train it here.
// The model text is only ever parsed and checked; nothing in it is run as code.

declare const NETC_EXAMPLES: Readonly<Record<string, string>>;
declare global {
  interface Window {
    netcDiagram: { setup(root: Element, showLine: (line: number, column: number, node: Element) => void): void };
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const defaultSource = NETC_EXAMPLES['lenet-bn'] ?? 'input 1x28x28\nflatten\ndense 10\n';

/** The source in `#src=...`, or null. */
function sourceFromHash(): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const src = params.get('src');
  return src === null ? null : src;
}

/** The shareable address of `source`: this page with `#src=<encodeURIComponent(source)>`. */
function shareUrl(source: string): string {
  return `${location.origin}${location.pathname}#src=${encodeURIComponent(source)}`;
}

let current: { model: CheckedModel | null; diagnostics: Diagnostic[]; source: string } = { model: null, diagnostics: [], source: '' };
let analysisRun = 0;

const view = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: sourceFromHash() ?? defaultSource,
    extensions: [
      lineNumbers(),
      highlightActiveLine(),
      editorHistory(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      lintGutter(),
      netcHighlighting(),
      EditorView.lineWrapping,
      EditorView.updateListener.of((update) => {
        if (update.docChanged) scheduleAnalysis();
      }),
    ],
  }),
});

let timer: ReturnType<typeof setTimeout> | undefined;
function scheduleAnalysis(): void {
  clearTimeout(timer);
  timer = setTimeout(() => void refresh(), 150);
}

/** Parses and checks the editor's text; updates diagnostics, summary, diagram and the address. */
async function refresh(): Promise<void> {
  const run = ++analysisRun;
  const source = view.state.doc.toString();
  const analysis = analyze(source, 'playground.net');
  const diagnostics = sortDiagnostics(analysis.diagnostics);
  const model = analysis.model;
  current = { model, diagnostics, source };
  history.replaceState(null, '', `#src=${encodeURIComponent(source)}`);
  showDiagnostics(diagnostics, source);
  showSummary(model);
  updateTrainButton();
  const layout = await layoutDiagram(diagramOfAnalysis(analysis));
  if (run !== analysisRun) return;
  const host = $('diagram');
  host.innerHTML = renderSvg(layout, { interactive: true });
  document.body.dataset.analyzed = String(run);
}

function showDiagnostics(diagnostics: readonly Diagnostic[], source: string): void {
  const length = source.length;
  const editorDiagnostics: EditorDiagnostic[] = diagnostics.map((d) => ({
    from: Math.min(d.span.offset, length),
    to: Math.min(Math.max(d.span.end, d.span.offset), length),
    severity: d.severity,
    source: d.code,
    message: d.message,
  }));
  view.dispatch(setDiagnostics(view.state, editorDiagnostics));
  const list = $('diagnostics');
  list.replaceChildren();
  const status = $('status');
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  status.textContent =
    diagnostics.length === 0 ? '✓ no problems' : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  status.className = errors > 0 ? 'bad' : warnings > 0 ? 'warn' : 'good';
  for (const d of diagnostics) {
    const item = document.createElement('li');
    item.className = `diagnostic ${d.severity}`;
    item.dataset.code = d.code;
    item.dataset.line = String(d.span.line);
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = `${d.span.line}:${d.span.column}`;
    const code = document.createElement('span');
    code.className = 'code';
    code.textContent = `${d.severity} ${d.code}`;
    const message = document.createElement('span');
    message.className = 'message';
    message.textContent = d.message;
    item.append(where, code, message);
    item.addEventListener('click', () => goTo(d.span.offset, d.span.end));
    list.append(item);
  }
}

function showSummary(model: CheckedModel | null): void {
  const body = $<HTMLTableSectionElement>('summary-body');
  body.replaceChildren();
  $('summary-total').textContent = '';
  if (model === null) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 6;
    cell.className = 'empty';
    cell.textContent = 'Fix the errors to see the summary.';
    return;
  }
  const count = (n: number): string => n.toLocaleString('en-US');
  for (const layer of model.layers) {
    const row = body.insertRow();
    row.dataset.line = String(layer.span.line);
    for (const text of [
      String(layer.index + 1),
      `${layer.span.line}:${layer.span.column}`,
      layer.op,
      layer.variant ?? '-',
      layer.outputShape.join('x'),
      count(layer.params.trainable + layer.params.nonTrainable),
    ]) {
      row.insertCell().textContent = text;
    }
    row.addEventListener('click', () => goTo(layer.span.offset, layer.span.end));
  }
  const { trainable, nonTrainable } = model.totals;
  $('summary-total').textContent =
    `input ${model.input.join('x')} · ${count(trainable + nonTrainable)} params (${count(trainable)} trainable, ${count(nonTrainable)} non-trainable)`;
}

function goTo(from: number, to: number): void {
  const length = view.state.doc.length;
  view.dispatch({ selection: { anchor: Math.min(from, length), head: Math.min(to, length) }, scrollIntoView: true });
  view.focus();
}

window.netcDiagram.setup($('diagram'), (line) => {
  const at = view.state.doc.line(Math.min(Math.max(line, 1), view.state.doc.lines));
  goTo(at.from, at.to);
});

window.addEventListener('hashchange', () => {
  const src = sourceFromHash();
  if (src !== null && src !== view.state.doc.toString()) {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: src } });
  }
});

// The right pane's tabs: the diagram, or the summary table.
for (const [tab, panel] of [
  ['tab-diagram', 'diagram-panel'],
  ['tab-summary', 'summary-panel'],
] as const) {
  $(tab).addEventListener('click', () => {
    for (const other of ['tab-diagram', 'tab-summary']) $(other).setAttribute('aria-selected', String(other === tab));
    for (const other of ['diagram-panel', 'summary-panel']) $(other).hidden = other !== panel;
  });
}

// Examples: the shipped models, bundled into the page.
const examples = $<HTMLSelectElement>('examples');
for (const name of Object.keys(NETC_EXAMPLES).sort()) examples.add(new Option(name, name));
examples.addEventListener('change', () => {
  const text = NETC_EXAMPLES[examples.value];
  if (text !== undefined) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  examples.selectedIndex = 0;
});

$('share').addEventListener('click', () => {
  const url = shareUrl(view.state.doc.toString());
  const done = (): void => {
    $('share').textContent = 'Link copied';
    setTimeout(() => ($('share').textContent = 'Copy link'), 1500);
  };
  if (navigator.clipboard) navigator.clipboard.writeText(url).then(done, () => prompt('Copy this link', url));
  else prompt('Copy this link', url);
});

// Training.
let training: AbortController | null = null;
let data: Promise<{ train: Split; test: Split }> | null = null;

function updateTrainButton(): void {
  const button = $<HTMLButtonElement>('train');
  const reason = current.model === null ? 'Fix the errors first.' : cannotTrain(current.model);
  button.disabled = training === null && reason !== null;
  button.title = reason ?? 'Train this model here, on Fashion-MNIST';
  if (training === null && current.model !== null) {
    const defaults = current.model.train;
    $<HTMLInputElement>('lr').placeholder = String(defaults.lr ?? 'file');
    $<HTMLInputElement>('batch').placeholder = String(defaults.batch ?? 256);
  }
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function loadData(): Promise<{ train: Split; test: Split }> {
  const response = await fetch('data/meta.json');
  const meta = (await response.json()) as { train?: number; test?: number; error?: string };
  if (!response.ok || meta.error !== undefined) throw new Error(meta.error ?? `data/meta.json: ${response.status}`);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    ['train-images.bin', 'train-labels.bin', 'test-images.bin', 'test-labels.bin'].map((f) => fetchBytes(`data/${f}`)),
  );
  return {
    train: { count: meta.train ?? 0, images: trainImages!, labels: trainLabels! },
    test: { count: meta.test ?? 0, images: testImages!, labels: testLabels! },
  };
}

const numberField = (id: string): number | undefined => {
  const value = $<HTMLInputElement>(id).value.trim();
  return value === '' ? undefined : Number(value);
};

$('train').addEventListener('click', () => void toggleTraining());

async function toggleTraining(): Promise<void> {
  const button = $<HTMLButtonElement>('train');
  const log = $('train-status');
  if (training !== null) {
    training.abort();
    return;
  }
  const model = current.model;
  if (model === null) return;
  const controller = new AbortController();
  training = controller;
  button.textContent = 'Stop';
  const points: CurvePoint[] = [];
  const epochs = $('epochs-log');
  epochs.replaceChildren();
  try {
    log.textContent = 'Loading Fashion-MNIST…';
    data ??= loadData();
    const loaded = await data.catch((error: unknown) => {
      data = null;
      throw error;
    });
    const backend = await chooseBackend($<HTMLSelectElement>('backend').value as PageBackend);
    $('backend-used').textContent = backend;
    const request = {
      epochs: numberField('epochs'),
      batch: numberField('batch'),
      lr: numberField('lr'),
      trainCount: numberField('train-count') ?? 2000,
      testCount: numberField('test-count') ?? 2000,
    };
    log.textContent = `Training on ${Math.min(request.trainCount, loaded.train.count)} images (${backend})…`;
    await trainInPage(
      model,
      loaded,
      request,
      {
        onBatch(info) {
          points.push({ x: info.epoch - 1 + info.step / info.steps, loss: info.loss });
          $('speed').textContent = `${Math.round(info.examplesPerSec).toLocaleString('en-US')} examples/sec`;
          log.textContent = `epoch ${info.epoch}, step ${info.step}/${info.steps}, loss ${info.loss.toFixed(4)}`;
          drawCurves($('curves'), points);
        },
        onEpoch(info) {
          points.push({ x: info.epoch, loss: info.loss, trainAcc: info.trainAcc, testAcc: info.testAcc });
          drawCurves($('curves'), points);
          const row = document.createElement('li');
          row.className = 'epoch';
          row.dataset.epoch = String(info.epoch);
          row.textContent =
            `epoch ${info.epoch}: loss ${info.loss.toFixed(4)}, train acc ${info.trainAcc.toFixed(3)}, ` +
            `test acc ${Number.isNaN(info.testAcc) ? '-' : info.testAcc.toFixed(3)}, ` +
            `${Math.round(info.examplesPerSec).toLocaleString('en-US')} examples/sec, ${info.seconds.toFixed(1)} s`;
          epochs.append(row);
        },
      },
      controller.signal,
    );
    log.textContent = controller.signal.aborted ? 'Stopped.' : 'Done.';
  } catch (error) {
    log.textContent = `Training failed: ${(error as Error).message}`;
    log.className = 'bad';
  } finally {
    training = null;
    button.textContent = 'Train';
    updateTrainButton();
  }
}

// Offline once loaded: the service worker keeps the page and the data it fetched.
if ('serviceWorker' in navigator && location.protocol.startsWith('http')) {
  navigator.serviceWorker.register('sw.js').catch(() => undefined);
}

void refresh();
