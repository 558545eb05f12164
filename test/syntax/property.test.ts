import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Span } from '../../src/diagnostics/Diagnostic.js';
import type { FileNode } from '../../src/syntax/ast.js';
import { maxSyntaxDiagnostics, parse } from '../../src/syntax/parse.js';
import { layersOf, showLayer, showStatement } from './helpers.js';

// Property tests with a small seeded generator: thousands of random inputs, each checked against invariants that
// any parse must keep. A failure prints the seed and the source, so it can be replayed.

/** mulberry32: a tiny seeded generator, so every run sees the same cases. */
function generator(seed: number): { int(n: number): number; pick<T>(items: readonly T[]): T; chance(p: number): boolean } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

/** Lines and columns of offsets, counted independently of the parser (\r\n, \r and \n each end a line). */
function positions(source: string): (offset: number) => { line: number; column: number } {
  // A byte-order mark starting the file is no column (docs/LANGUAGE.md, "Columns").
  const starts = [source.charCodeAt(0) === 0xfeff ? 1 : 0];
  for (const m of source.matchAll(/\r\n|\r|\n/g)) starts.push(m.index + m[0].length);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - starts[low]! + 1 };
  };
}

/** Fails with `what` unless `ok`; plain checks, as expect() per node would dominate thousands of cases. */
function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function checkSpan(source: string, at: ReturnType<typeof positions>, span: Span, what: string): void {
  const start = at(span.offset);
  const where = `${what} ${JSON.stringify(span)}`;
  assert(span.offset >= 0 && span.end >= span.offset && span.end <= source.length, `${where} is outside the source`);
  assert(span.line === start.line && span.column === start.column, `${where} should start at ${start.line}:${start.column}`);
  assert(span.endLine !== span.line || span.endColumn - span.column === span.end - span.offset, `${where} has the wrong end column`);
}

/** Every node with a span, depth first. */
function* nodes(value: unknown): Generator<{ kind: string; span: Span; name?: string; text?: string }> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodes(item);
  } else if (value !== null && typeof value === 'object') {
    const node = value as { kind?: string; span?: Span };
    if (node.kind !== undefined && node.span !== undefined) yield node as { kind: string; span: Span };
    for (const [key, inner] of Object.entries(value)) if (key !== 'span') yield* nodes(inner);
  }
}

/** The invariants of any parse: no exception, a File, bounded and ordered diagnostics, spans that match the text. */
function checkParse(source: string): { ast: FileNode; errors: number } {
  const { ast, diagnostics } = parse(source);
  const at = positions(source);
  assert(ast.kind === 'File' && ast.span.offset === 0 && ast.span.end === source.length, 'the file span covers the source');
  assert(diagnostics.length <= maxSyntaxDiagnostics + 1, `${diagnostics.length} diagnostics`);
  for (let i = 0; i < diagnostics.length; i++) {
    const d = diagnostics[i]!;
    assert(/^NN100[1-8]$/.test(d.code) && d.severity === (d.code === 'NN1008' ? 'warning' : 'error'), `code ${d.code}`);
    assert(/^[A-Z0-9`].*\.$/s.test(d.message), `a sentence: ${d.message}`);
    checkSpan(source, at, d.span, `diagnostic ${d.code}`);
    if (i > 0 && d.code !== 'NN1005') assert(d.span.offset >= diagnostics[i - 1]!.span.offset, 'diagnostics in order');
  }
  let previousEnd = 0;
  for (const statement of ast.statements) {
    assert(statement.span.offset >= previousEnd, 'statements in order, not overlapping');
    previousEnd = statement.span.end;
  }
  for (const node of nodes(ast.statements)) {
    checkSpan(source, at, node.span, node.kind);
    const written = source.slice(node.span.offset, node.span.end);
    if (node.kind === 'Ident') assert(written.toLowerCase() === node.name, `ident ${node.name} written ${written}`);
    if (node.kind === 'Number') assert(written === node.text, `number ${node.text} written ${written}`);
  }
  return { ast, errors: diagnostics.length };
}

const readModel = (name: string): string => readFileSync(fileURLToPath(new URL(`../../models/${name}`, import.meta.url)), 'utf8');
const models = ['lenet-bn.net', 'lenet-bn-scratch.net', 'lenet.net', 'mlp-bn.net'].map(readModel);

/** Sources in the v2 forms: the block models and a sample with every form over several lines. */
const v2Sources = [
  ...['vgg-mini.net', 'resnet-mini.net', 'lenet-bn-blocks.net'].map(readModel),
  [
    'model sample',
    'input 1x28x28',
    'def cbs(c, k=5) = conv c kernel=k | bn | sigmoid | avgpool 2',
    'def block(c, n=2) =',
    '  residual proj {',
    '    conv c k3 s2 p1 | bn | relu |',
    '    conv c k3 p1 | bn',
    '  } x n | relu',
    'cbs(6) | cbs(16, k=3) x2',
    '(dense 64 | bn |',
    '  relu) x3',
    'dense 10',
  ].join('\n'),
];

const soupWords = [
  'model', 'input', 'train', 'conv', 'bn', 'dense', 'relu', 'x', 'k5', 'k3x5', 's2', 'p=same', 'p=', '=', '|', '||',
  '6', '-3', '0.5', '1e-5', '1e', '3.', '.', '-', '1x28x28', '1 x 28', '28x', '#', '# comment', '\n', '\r\n', '\r',
  '\t', '  ', '@', '(', ')', ',', 'é', '\u00a0', '😀', 'Conv', 'MODEL', 'key=value', '==', 'x=1x2', '\ufeff', '\u0007',
  // v2
  'def', 'residual', 'proj', '{', '}', '(', ')', ',', 'x3', 'x 3', 'x', 'x-1', 'x0', 'x1.5', 'cbs(', 'cbs(6)', 'f(c, k=5)',
  '= relu', 'X3', 'DEF', '((((', '))))', '{{', '}}', 'def f(c) =', 'residual proj {', 'x n', 'k3 x 5', '3 x5',
];

describe('random token soups', () => {
  test('3000 soups never throw, and keep every invariant', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const random = generator(seed);
      const words = Array.from({ length: 1 + random.int(40) }, () => random.pick(soupWords));
      const source = words.join(random.chance(0.7) ? ' ' : '');
      try {
        checkParse(source);
      } catch (error) {
        throw new Error(`seed ${seed}, source ${JSON.stringify(source)}: ${(error as Error).message}`);
      }
    }
  });
});

describe('mutations of the model files', () => {
  test('3000 mutants never throw, and keep every invariant', () => {
    mutate(models, ['|', '=', 'x', '5', '.', '-', 'e', 'k', ' ', '\n', '#', '\t', '@', 'Z', '\r', 'é', '0']);
  });

  test('3000 mutants of v2 sources never throw, and keep every invariant', () => {
    mutate(v2Sources, ['(', ')', '{', '}', ',', '=', 'x', 'x3', ' x ', '3', '|', '\n', ' ', 'def ', 'residual ', 'proj ', '#']);
  });

  function mutate(sources: readonly string[], alphabet: readonly string[]): void {
    for (let seed = 1; seed <= 3000; seed++) {
      const random = generator(seed);
      let source = random.pick(sources);
      for (let edits = 1 + random.int(4); edits > 0; edits--) {
        const at = random.int(source.length + 1);
        const lines = source.split('\n');
        switch (random.int(5)) {
          case 0:
            source = source.slice(0, at) + source.slice(at + 1 + random.int(3));
            break;
          case 1:
            source = source.slice(0, at) + random.pick(alphabet) + source.slice(at);
            break;
          case 2:
            source = source.slice(0, at) + source.slice(at, at + 20) + source.slice(at);
            break;
          case 3:
            lines.splice(random.int(lines.length), 1);
            source = lines.join('\n');
            break;
          default:
            lines.splice(random.int(lines.length), 0, random.pick(lines));
            source = lines.join(random.chance(0.5) ? '\n' : '\r\n');
        }
      }
      try {
        checkParse(source);
      } catch (error) {
        throw new Error(`seed ${seed}, source ${JSON.stringify(source)}: ${(error as Error).message}`);
      }
    }
  }
});

describe('random valid programs', () => {
  // Generated from the grammar with random layout; each must parse clean to exactly the layers it was built from.
  const names = ['conv', 'bn', 'dense', 'linear', 'relu', 'avgpool', 'maxpool', 'flatten', 'dropout', 'my_layer-2'];
  const numbers = ['6', '0', '-3', '0.5', '.25', '1e-5', '2E+3', '120'];

  function value(random: ReturnType<typeof generator>): [string, string] {
    switch (random.int(3)) {
      case 0: {
        const n = random.pick(numbers);
        return [n, `#${Number(n)}`];
      }
      case 1: {
        const parts = Array.from({ length: 2 + random.int(2) }, () => random.pick(numbers));
        const sep = random.pick(['x', ' x ', '\tx ']);
        return [parts.join(sep), parts.map((p) => `#${Number(p)}`).join('x')];
      }
      default: {
        const word = random.pick(['same', 'false', 'scratch', 'fashion-mnist', 'k5']);
        return [word, `'${word}'`];
      }
    }
  }

  function argument(random: ReturnType<typeof generator>): [string, string] {
    switch (random.int(3)) {
      case 0: {
        const n = random.pick(numbers);
        return random.chance(0.5) ? [n, `#${Number(n)}`] : [`${n}x${n}`, `#${Number(n)}x#${Number(n)}`];
      }
      case 1: {
        const letter = random.pick(['k', 's', 'p', 'z']);
        const n = random.pick(numbers);
        return [`${letter}${n}`, `${letter}:#${Number(n)}`];
      }
      default: {
        const key = random.pick(['kernel', 'pad', 'bias', 'impl', 'eps', 'p']);
        const [written, shown] = value(random);
        return [`${key}${random.pick(['=', ' = ', '='])}${written}`, `${key}=${shown}`];
      }
    }
  }

  test('2000 programs parse clean to the layers they were written with', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const random = generator(seed);
      const newline = random.pick(['\n', '\r\n']);
      const lines: string[] = [];
      const expected: string[] = [];
      if (random.chance(0.5)) lines.push(`model ${random.pick(names)}`);
      if (random.chance(0.7)) lines.push(`input ${random.pick(['784', '1x28x28', '3 x 32 x 32'])}`);
      if (random.chance(0.5)) lines.push(`train epochs=${random.int(20)} lr=0.${random.int(9)} optimizer=sgd`);
      for (let statement = random.int(6); statement > 0; statement--) {
        const layers: string[] = [];
        for (let layer = 1 + random.int(4); layer > 0; layer--) {
          const name = random.pick(names);
          const args = Array.from({ length: random.int(4) }, () => argument(random));
          layers.push([name, ...args.map(([written]) => written)].join(random.pick([' ', '\t', '  '])));
          expected.push([name, ...args.map(([, shown]) => shown)].join(' '));
        }
        // Layers joined by `|`, sometimes continued onto the next line, with comment lines between.
        lines.push(layers.map((l, i) => (i === 0 ? l : random.chance(0.3) ? `${newline}# more${newline}  ${l}` : ` ${l}`)).join(' |'));
        if (random.chance(0.3)) lines.push(random.pick(['', '# a comment', '   ']));
      }
      const source = lines.join(newline) + (random.chance(0.5) ? newline : '');
      try {
        const { ast, errors } = checkParse(source);
        expect(errors).toBe(0);
        expect(layersOf(ast).map(showLayer)).toEqual(expected);
      } catch (error) {
        throw new Error(`seed ${seed}, source ${JSON.stringify(source)}: ${(error as Error).message}`);
      }
    }
  });
});

describe('random valid v2 programs', () => {
  // Built from the v2 grammar with random layout (line breaks inside brackets and after `=`, leading `|` inside
  // brackets, comment lines); each must parse clean to exactly the statements it was built from.
  type Random = ReturnType<typeof generator>;
  const layerNames = ['conv', 'bn', 'dense', 'relu', 'avgpool', 'flatten', 'my_layer-2', 'proj', 'x'];
  const blockNames = ['cbs', 'block', 'down2', 'x', 'proj'];
  const words = ['c', 'n', 'same', 'proj', 'k5', 'false'];
  const numbers = ['6', '0', '-3', '0.5', '1e-5', '120'];

  /** A value; as a layer's positional argument (`inLayer`) a word such as `k5` would be a short option instead. */
  function value(random: Random, inLayer = false): [string, string] {
    switch (random.int(3)) {
      case 0: {
        const n = random.pick(numbers);
        return [n, `#${Number(n)}`];
      }
      case 1: {
        const parts = [random.pick(numbers), random.pick(numbers)];
        return [parts.join(random.pick(['x', ' x '])), parts.map((p) => `#${Number(p)}`).join('x')];
      }
      default: {
        const word = random.pick(inLayer ? words.filter((w) => w !== 'k5') : words);
        return [word, `'${word}'`];
      }
    }
  }

  /** A layer with arguments; `numeric` when its text ends in a digit, where only a glued `x3` may follow. */
  function layer(random: Random): { written: string; shown: string; numeric: boolean } {
    const name = random.pick(layerNames);
    const written = [name];
    const shown = [name];
    for (let i = random.int(4); i > 0; i--) {
      switch (random.int(4)) {
        case 0: {
          const [w, s] = value(random, true);
          written.push(w);
          shown.push(s);
          break;
        }
        case 1: {
          const n = random.pick(numbers);
          const letter = random.pick(['k', 's', 'p']);
          written.push(`${letter}${n}`);
          shown.push(`${letter}:#${Number(n)}`);
          break;
        }
        case 2: {
          const word = random.pick(['c', 'n', 'same']);
          written.push(word);
          shown.push(`'${word}'`);
          break;
        }
        default: {
          const [w, s] = value(random);
          const key = random.pick(['kernel', 'pad', 'p', 'x']);
          written.push(`${key}${random.pick(['=', ' = '])}${w}`);
          shown.push(`${key}=${s}`);
        }
      }
    }
    return { written: written.join(' '), shown: shown.join(' '), numeric: /\d$/.test(written[written.length - 1]!) };
  }

  function stage(random: Random, depth: number, nl: string): [string, string] {
    let written: string;
    let shown: string;
    let numeric = false;
    const kind = depth >= 4 ? random.int(2) : random.int(4);
    if (kind === 0) {
      ({ written, shown, numeric } = layer(random));
    } else if (kind === 1) {
      const name = random.pick(blockNames);
      const args = Array.from({ length: random.int(3) }, () => {
        if (random.chance(0.3)) {
          const [w, s] = value(random);
          const key = random.pick(['c', 'k', 'n']);
          return [`${key}=${w}`, `${key}=${s}`];
        }
        return value(random);
      });
      written = `${name}(${args.map(([w]) => w).join(random.pick([', ', ',', `,${nl}  `]))})`;
      shown = `${name}(${args.map(([, s]) => s).join(', ')})`;
    } else {
      const [innerWritten, innerShown] = pipeline(random, depth + 1, nl, true);
      const open = random.pick(['', nl, `${nl}# inside${nl}`]);
      const close = random.pick(['', nl]);
      if (kind === 2) {
        written = `(${open}${innerWritten}${close})`;
        shown = `( ${innerShown} )`;
      } else {
        const proj = random.chance(0.5);
        written = `residual${proj ? ' proj' : ''} {${open}${innerWritten}${close}}`;
        shown = `residual${proj ? ' proj' : ''}{ ${innerShown} }`;
      }
    }
    if (random.chance(0.3)) {
      const n = random.pick(['2', '3', '0', '-1', '1.5', '1000000']);
      const byName = !numeric && random.chance(0.3);
      const glued = numeric || random.chance(0.5);
      written += byName ? ' x n' : glued ? random.pick([` x${n}`, kind >= 1 ? `x${n}` : ` x${n}`]) : ` x ${n}`;
      shown = `rep(${shown}, ${byName ? "'n'" : `#${Number(n)}`})`;
    }
    return [written, shown];
  }

  function pipeline(random: Random, depth: number, nl: string, inside: boolean): [string, string] {
    const stages = Array.from({ length: 1 + random.int(3) }, () => stage(random, depth, nl));
    const separators = inside ? [' | ', ` |${nl}  `, `${nl}  | `, '|'] : [' | ', ` |${nl}  `, '|'];
    return [stages.map(([w]) => w).reduce((all, w) => `${all}${random.pick(separators)}${w}`), stages.map(([, s]) => s).join(' | ')];
  }

  test('2000 programs parse clean to the statements they were built from', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const random = generator(seed);
      const nl = random.pick(['\n', '\r\n']);
      const lines: string[] = [];
      const expected: string[] = [];
      for (let d = random.int(3); d > 0; d--) {
        const name = random.pick(blockNames);
        const params = Array.from({ length: random.int(3) }, (_, i) => {
          const param = ['c', 'k', 'n'][i]!;
          if (!random.chance(0.4)) return [param, param];
          const [w, s] = value(random);
          return [`${param}${random.pick(['=', ' = '])}${w}`, `${param}=${s}`];
        });
        const [body, bodyShown] = pipeline(random, 0, nl, false);
        const header = params.length === 0 && random.chance(0.5) ? name : `${name}(${params.map(([w]) => w).join(', ')})`;
        lines.push(`def ${header} =${random.pick([' ', `${nl}  `, `${nl}${nl}# body${nl}  `])}${body}`);
        expected.push(`def ${name}(${params.map(([, s]) => s).join(', ')}) = ${bodyShown}`);
      }
      for (let p = 1 + random.int(3); p > 0; p--) {
        const [written, shown] = pipeline(random, 0, nl, false);
        lines.push(written);
        expected.push(shown);
        if (random.chance(0.3)) lines.push(random.pick(['', '# a comment', '   ']));
      }
      const source = lines.join(nl) + (random.chance(0.5) ? nl : '');
      try {
        const { ast, errors } = checkParse(source);
        assert(errors === 0, `${errors} diagnostics: ${JSON.stringify(parse(source).diagnostics.map((d) => d.message))}`);
        const shown = ast.statements.map(showStatement);
        const differs = shown.findIndex((statement, i) => statement !== expected[i]);
        assert(shown.length === expected.length, `${shown.length} statements, expected ${expected.length}`);
        assert(differs < 0, `statement ${differs + 1} reads\n  ${shown[differs]}\nbut was built as\n  ${expected[differs]}`);
      } catch (error) {
        throw new Error(`${(error as Error).message}\nseed ${seed}, source ${JSON.stringify(source)}`);
      }
    }
  });
});
