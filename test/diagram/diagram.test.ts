import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagramOfAnalysis } from '../../src/diagram/fromAnalysis.js';
import { analyze } from '../../src/frontend/analyze.js';

const diagramOfSource = (source: string, file: string) => ({ diagram: diagramOfAnalysis(analyze(source, file)) });
import { layoutDiagram, type DiagramLayout } from '../../src/diagram/layout.js';
import { formatArgs } from '../../src/diagram/model.js';
import { findLayerKind } from '../../src/layers/registry.js';
import { netc } from '../cli/trainHelpers.js';

const root = resolve(import.meta.dirname, '../..');
const models = readdirSync(join(root, 'models'))
  .filter((f) => f.endsWith('.net'))
  .sort();

/** The text content of every `<text>` element of an SVG, unescaped. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'),
  );
}

/** Boxes of the layer nodes: `<g class="node ..." ...><title>..</title><rect x y width height>`. */
function nodeBoxes(svg: string): { id: string; x: number; y: number; width: number; height: number }[] {
  return [...svg.matchAll(/<g class="node[^"]*" data-id="([^"]+)"[^>]*>(?:<title>[^<]*<\/title>)?<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/g)].map(
    (m) => ({ id: m[1]!, x: Number(m[2]), y: Number(m[3]), width: Number(m[4]), height: Number(m[5]) }),
  );
}

function overlapping(boxes: ReturnType<typeof nodeBoxes>): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) pairs.push(`${a.id}/${b.id}`);
    }
  }
  return pairs;
}

describe('netc diagram', () => {
  test.each(models)('%s: every distinct output shape of `netc summary` is written in the SVG', async (file) => {
    const path = join(root, 'models', file);
    const summary = await netc(['summary', path, '--format', 'json']);
    expect(summary.code).toBe(0);
    const shapes = new Set((JSON.parse(summary.out) as { layers: { output: number[] }[] }).layers.map((l) => l.output.join('x')));
    const run = await netc(['diagram', path]);
    expect(run.code).toBe(0);
    expect(run.out.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const texts = new Set(svgTexts(run.out));
    for (const shape of shapes) expect(texts, `shape ${shape}`).toContain(shape);
    // One box per row of the summary, plus the input and the output; each links to a line.
    const rows = (JSON.parse(summary.out) as { layers: unknown[] }).layers.length;
    expect(nodeBoxes(run.out)).toHaveLength(rows + 2);
    expect(run.out.match(/<g class="node[^"]*"[^>]* data-line="\d+"/g)).toHaveLength(rows + 2);
    expect(overlapping(nodeBoxes(run.out))).toEqual([]);
  });

  test('lenet-bn: kinds with their arguments, BN variants, parameters per node and in the footer', async () => {
    const run = await netc(['diagram', join(root, 'models', 'lenet-bn.net')]);
    const texts = svgTexts(run.out);
    for (const text of ['conv 6 k5', 'conv 16 k5', 'avgpool 2', 'dense 120', 'BatchNorm2d', 'BatchNorm1d', '156 params', '30,840 params']) {
      expect(texts).toContain(text);
    }
    expect(texts).toContain('Total params: 45,330 (trainable 44,878, non-trainable 452)');
    // `bn` on line 7 column 13 (`conv 6 k5 | bn`, as netc fmt lays it out).
    expect(run.out).toMatch(/<g class="node role-layer" data-id="n1" data-op="bn" data-line="7" data-column="13"/);
  });

  test('resnet-mini: residual joins with their skip edges, projections, and the blocks as labelled groups', async () => {
    const run = await netc(['diagram', join(root, 'models', 'resnet-mini.net')]);
    expect(run.code).toBe(0);
    const joins = run.out.match(/<g class="node role-add"/g) ?? [];
    expect(joins).toHaveLength(4);
    const projections = run.out.match(/<g class="node role-projection"[^>]*data-op="conv"/g) ?? [];
    expect(projections).toHaveLength(2);
    // Each join has a skip edge into it; each projection one in and one out.
    const skips = [...run.out.matchAll(/<path class="edge skip" data-from="([^"]+)" data-to="([^"]+)"/g)];
    expect(skips).toHaveLength(4 + 2);
    const texts = svgTexts(run.out);
    expect(texts.filter((t) => t === 'projection')).toHaveLength(2);
    expect(texts).toContain('conv 32 k1 s2 bias=false');
    expect(texts.filter((t) => /^basic\(16\) · line 15$/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /^down\(32\) · line 16$/.test(t))).toHaveLength(1);
    expect(run.out.match(/<g class="group" data-block="(basic|down)"/g)).toHaveLength(4);
  });

  test('a model with errors is drawn up to the first error, marked, with its message; exit 1', async () => {
    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'netc-diagram-'));
    const file = join(dir, 'broken.net');
    (await import('node:fs')).writeFileSync(file, 'model broken\ninput 1x28x28\nconv 16 k5 | maxpool 2\ndense 10\nrelu | dense 5\n');
    const run = await netc(['diagram', file, '-o', join(dir, 'broken.svg')]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('error NN3001');
    expect(run.err).toContain('up to the first error');
    const svg = readFileSync(join(dir, 'broken.svg'), 'utf8');
    expect(svg).toMatch(/<g class="node role-layer failed" data-id="n2" data-op="dense" data-line="4"/);
    const texts = svgTexts(svg);
    expect(texts).toContain('16x12x12');
    expect(texts).toContain('✖ NN3001');
    expect(texts.join(' ')).toContain('dense expects a flat input but receives 16x12x12');
    expect(texts).toContain('2 stages after the failing one not drawn.');
    expect(nodeBoxes(svg)).toHaveLength(4);
  });

  test('a file with an input and no layers shows its input and the error', () => {
    const { diagram } = diagramOfSource('input 1x28x28\n', 'x.net');
    expect(diagram.nodes.map((n) => [n.role, n.output])).toEqual([['input', [1, 28, 28]]]);
    expect(diagram.error?.code).toBe('NN2013');
    // A broken size is no shape, not a wrong one.
    const broken = diagramOfSource('input 1x28x\nconv 6 k5\n', 'x.net').diagram;
    expect(broken.nodes[0]).toMatchObject({ role: 'input', output: null });
  });

  test('an unknown layer is the failing stage, with NN2001', async () => {
    const { diagram } = diagramOfSource('input 1x28x28\nconv 6 k5 | relu\nconvv 3\nflatten\n', 'x.net');
    const failed = diagram.nodes.filter((n) => n.error !== null);
    expect(failed.map((n) => [n.op, n.line, n.error!.code])).toEqual([['convv', 3, 'NN2001']]);
    expect(diagram.omitted).toBe(1);
  });

  test.each([10, 200])('%i layers: readable, no two boxes overlap, every one drawn', async (n) => {
    const stages = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `dense ${32 + (i % 7)}` : 'relu'));
    const source = `model deep\ninput 1x28x28\nflatten\n${stages.join('\n')}\n`;
    const { diagram } = diagramOfSource(source, 'deep.net');
    const layout: DiagramLayout = await layoutDiagram(diagram);
    expect(layout.nodes).toHaveLength(n + 3);
    for (let i = 0; i < layout.nodes.length; i++) {
      for (let j = i + 1; j < layout.nodes.length; j++) {
        const a = layout.nodes[i]!;
        const b = layout.nodes[j]!;
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect(overlap, `${a.node.id} and ${b.node.id}`).toBe(false);
      }
    }
    // Shape labels sit on their edges, not on a box.
    for (const edge of layout.edges) {
      const label = edge.label!;
      for (const box of layout.nodes) {
        const overlap = label.x < box.x + box.width && box.x < label.x + label.width && label.y < box.y + box.height && box.y < label.y + 14;
        expect(overlap, `label ${label.text} on ${box.node.id}`).toBe(false);
      }
    }
  });

  test('48 residual blocks in a row stay in one column (no drift), one frame each', async () => {
    const source = 'input 1x28x28\ndef unit(c) = residual { conv c k3 p1 bias=false | bn | relu } | relu\nconv 8 k3 p1\nunit(8) x 48\nflatten | dense 10\n';
    const { diagram } = diagramOfSource(source, 'deep.net');
    const tb = await layoutDiagram(diagram, 'TB');
    expect(tb.groups).toHaveLength(48);
    expect(tb.nodes).toHaveLength(1 + 1 + 48 * 5 + 2 + 1);
    // As wide as one block with its skip path, not growing with the depth.
    const widest = Math.max(...tb.groups.map((g) => g.width));
    expect(tb.width).toBeLessThan(widest + 100);
    const lr = await layoutDiagram(diagram, 'LR');
    expect(lr.height).toBeLessThan(Math.max(...lr.groups.map((g) => g.height)) + 100);
  });

  test('--direction LR lays the stages out left to right', async () => {
    const { diagram } = diagramOfSource(readFileSync(join(root, 'models', 'lenet.net'), 'utf8'), 'lenet.net');
    const lr = await layoutDiagram(diagram, 'LR');
    const xs = lr.nodes.map((n) => n.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(lr.width).toBeGreaterThan(lr.height);
  });

  test('--format dot: clusters for block uses, shapes on edges, skip edges dashed', async () => {
    const run = await netc(['diagram', join(root, 'models', 'resnet-mini.net'), '--format', 'dot']);
    expect(run.out.startsWith('digraph "resnet_mini" {')).toBe(true);
    expect(run.out.match(/subgraph cluster_\d+ \{/g)).toHaveLength(4);
    expect(run.out).toContain('n3 -> n4 [label="16x14x14"];');
    expect(run.out).toContain('n3 -> n9 [label="16x14x14", style=dashed');
    expect(run.out).toContain('label="Total params: 96,730 (trainable 96,122, non-trainable 608)"');
  });

  test('-o page.html: the diagram beside the numbered source, with the script that links them', async () => {
    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'netc-diagram-'));
    const run = await netc(['diagram', join(root, 'models', 'vgg-mini.net'), '-o', join(dir, 'vgg.html')]);
    expect(run.code).toBe(0);
    const html = readFileSync(join(dir, 'vgg.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<div class="src" id="L8"><span class="no">8</span>def vgg(n, c) = (conv c k3 p1 | bn | relu) x n | maxpool 2</div>');
    expect(html).toContain('data-group="/u');
    expect(html).toContain('netcDiagram.setup');
  });

  test('a missing file is a usage error, and nothing is written', async () => {
    const run = await netc(['diagram', join(root, 'models', 'nope.net'), '-o', join(root, 'tmp-never.svg')]);
    expect(run.code).toBe(2);
    expect(run.err).toContain('no such file');
    expect((await import('node:fs')).existsSync(join(root, 'tmp-never.svg'))).toBe(false);
  });
});

describe('formatArgs', () => {
  test.each([
    ['conv', { out: 6, kernel: [5, 5], stride: [1, 1], pad: [0, 0], bias: true }, '6 k5'],
    ['conv', { out: 16, kernel: [3, 5], stride: [2, 2], pad: 'same', bias: false }, '16 k3x5 s2 pad=same bias=false'],
    ['maxpool', { kernel: [2, 2], stride: [2, 2], pad: [0, 0] }, '2'],
    ['dropout', { rate: 0.5 }, '0.5'],
    ['bn', { momentum: 0.9, eps: 1e-5, impl: 'scratch' }, 'impl=scratch'],
  ])('%s %j -> %s', (name, args, text) => {
    expect(formatArgs(findLayerKind(name)!.args, args)).toBe(text);
  });
});

describe('front-end boundary', () => {
  test('src/diagram imports no node:* module and no TensorFlow.js (the playground page reuses it)', () => {
    const dir = join(root, 'src', 'diagram');
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text, file).not.toMatch(/from '(node:|@tensorflow)/);
      expect(text, file).not.toMatch(/\.\.\/(cli|train|compile|backend|data|playground)\//);
    }
  });
});
