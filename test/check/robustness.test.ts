import { describe, expect, test } from 'vitest';
import { checkParsed } from './harness.js';

// Random files built from the language's own words and some wrong ones: the checker must never throw, and must
// return exactly one of a model (no errors) or at least one error.
const words = [
  'conv', 'dense', 'linear', 'bn', 'avgpool', 'maxpool', 'flatten', 'sigmoid', 'relu', 'tanh', 'softmax', 'dropout',
  'dens', 'foo', '6', '0', '-3', '2.5', '1e-5', '3x5', '1x28x28', '0x0', 'k5', 'k0', 'k3x5', 's2', 's0', 'p1', 'p-1',
  'q1', 'kernel=5', 'kernel=same', 'pad=same', 'p=same', 'bias=false', 'bias=3', 'impl=scratch', 'impl=5',
  'momentum=0.9', 'momentum=2', 'eps=0', 'rate=0.5', 'out=4', 'x=1', '99999', 'k99', 'p50', 'same',
];
const headers = ['input 1x28x28', 'input 784', 'input 28x28', 'input 1x4x4', 'input 0', 'model m', 'train lr=0.1 epochs=2', 'train lr=-1 foo=2'];

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFile(next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const lines: string[] = [];
  const count = Math.floor(next() * 6);
  for (let i = 0; i < count; i++) {
    if (next() < 0.3) {
      lines.push(pick(headers));
      continue;
    }
    const layers: string[] = [];
    const width = 1 + Math.floor(next() * 4);
    for (let j = 0; j < width; j++) {
      const args = Array.from({ length: Math.floor(next() * 4) }, () => pick(words));
      layers.push([pick(words.slice(0, 14)), ...args].join(' '));
    }
    lines.push(layers.join(' | '));
  }
  return lines.join('\n') + '\n';
}

/** A file of blocks and their uses, groups, repetitions and residual blocks, mostly sensible, sometimes not. */
function randomV2File(next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const names = ['blk', 'cbr', 'res', 'stage', 'blk', 'dens'];
  const params = ['c', 'n', 'k', 's'];
  const values = ['4', '8', '1', '0', '2', '-1', '1.5', 'same', 'c', 'n', 'k', 'zz', '3x3'];
  const layer = (inDef: boolean): string => {
    const v = (): string => (inDef ? pick(values) : pick(values.filter((x) => !params.includes(x))));
    return pick([
      () => `conv ${v()} k3 p1`,
      () => `conv ${v()} kernel=${v()} s=${v()} p=${v()}`,
      () => `dense ${v()}`,
      () => 'bn',
      () => 'relu',
      () => 'flatten',
      () => `maxpool ${v()}`,
      () => `dropout 0.5`,
    ])();
  };
  const stage = (depth: number, inDef: boolean): string => {
    const r = next();
    if (depth > 2 || r < 0.4) return layer(inDef);
    if (r < 0.55) return `${pick(names)}(${Array.from({ length: Math.floor(next() * 3) }, () => (next() < 0.3 ? `${pick(params)}=${pick(values)}` : pick(values))).join(', ')})`;
    if (r < 0.7) return `${stage(depth + 1, inDef)} x${pick(['2', '3', '1', '0', inDef ? 'n' : '2', '100000'])}`;
    if (r < 0.85) return `(${pipeline(depth + 1, inDef)})`;
    return `residual${next() < 0.5 ? ' proj' : ''} { ${pipeline(depth + 1, inDef)} }`;
  };
  const pipeline = (depth: number, inDef: boolean): string =>
    Array.from({ length: 1 + Math.floor(next() * 3) }, () => stage(depth, inDef)).join(' | ');
  const lines = [pick(['input 1x8x8', 'input 16', 'input 2x6x6'])];
  const count = 1 + Math.floor(next() * 5);
  for (let i = 0; i < count; i++) {
    if (next() < 0.4) {
      const ps = params.slice(0, Math.floor(next() * 3)).map((p) => (next() < 0.3 ? `${p}=${pick(['2', '4', 'same'])}` : p));
      lines.push(`def ${pick(names)}(${ps.join(', ')}) = ${pipeline(0, true)}`);
    } else {
      lines.push(pipeline(0, false));
    }
  }
  return lines.join('\n') + '\n';
}

describe('never throws, always answers', () => {
  test('2,000 random files', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const source = randomFile(random(seed));
      const result = (() => {
        try {
          return checkParsed(source);
        } catch (error) {
          throw new Error(`seed ${seed} threw on:\n${source}\n${String(error)}`);
        }
      })();
      const errors = [...result.syntax, ...result.diagnostics].filter((d) => d.severity === 'error');
      expect(result.model === null, `seed ${seed}:\n${source}`).toBe(errors.length > 0);
      for (const d of result.diagnostics) expect(d.message, `seed ${seed}`).toMatch(/[.?]$/);
    }
  });

  test('2,000 random files with blocks, repetition and residual blocks', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const source = randomV2File(random(seed));
      const result = (() => {
        try {
          return checkParsed(source);
        } catch (error) {
          throw new Error(`seed ${seed} threw on:\n${source}\n${String(error)}`);
        }
      })();
      const errors = [...result.syntax, ...result.diagnostics].filter((d) => d.severity === 'error');
      expect(result.model === null, `seed ${seed}:\n${source}`).toBe(errors.length > 0);
      for (const d of result.diagnostics) expect(d.message, `seed ${seed}`).toMatch(/[.?]$/);
      const model = result.model;
      if (model === null) continue;
      // A checked graph is well formed: inputs come earlier, a join adds two equal shapes, totals add up.
      for (const layer of model.layers) {
        for (const input of layer.inputs) expect(input, `seed ${seed}`).toBeLessThan(layer.index);
        const shapes = layer.inputs.map((i) => (i < 0 ? model.input : model.layers[i]!.outputShape));
        if (layer.op === 'add') {
          expect(shapes, `seed ${seed}:\n${source}`).toHaveLength(2);
          expect(shapes[0], `seed ${seed}:\n${source}`).toEqual(shapes[1]);
        } else {
          expect(layer.inputShape, `seed ${seed}`).toEqual(shapes[0]);
        }
      }
      expect(model.layers.reduce((sum, l) => sum + l.params.trainable, 0)).toBe(model.totals.trainable);
    }
  });

  // Timeouts here guard against a pass that expands or goes quadratic (minutes); speed itself is the bench's.
  test('a stack of 20,000 layers parses and checks in one pass: one NN2030 at the first layer past 4,000', { timeout: 30_000 }, () => {
    const source = `input 1x28x28\nflatten | ${Array.from({ length: 20_000 }, () => 'dense 10').join(' | ')}\n`;
    const { diagnostics, syntax } = checkParsed(source);
    expect(syntax).toEqual([]);
    // flatten is node 1; the 4,001st node is the 4,000th dense, at column 11 + 11 * 3,999.
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([['NN2030', 2, 11 + 11 * 3999]]);
  });
});
