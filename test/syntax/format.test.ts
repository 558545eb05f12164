import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyze } from '../../src/frontend/analyze.js';
import { formatSource } from '../../src/syntax/format.js';
import { parse } from '../../src/syntax/parse.js';
import { withoutSpans } from './helpers.js';

const models = resolve(import.meta.dirname, '../../models');
const modelFiles = readdirSync(models).filter((f) => f.endsWith('.net'));

function format(source: string): string {
  const result = formatSource(source);
  if (!result.ok) throw new Error(`refused: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.text;
}

/** What the formatter must keep: the statements (without positions) and the comments' text. */
function meaning(source: string): unknown {
  const { ast } = parse(source);
  return { statements: withoutSpans(ast.statements), comments: ast.comments.map((c) => c.text.trimEnd()) };
}

describe('netc fmt: the layout', () => {
  test.each([
    ['one blank around `|` and between arguments', 'input 1x28x28\nconv   6  k5|relu |  avgpool 2\n', 'input 1x28x28\nconv 6 k5 | relu | avgpool 2\n'],
    ['key=value without blanks, sizes glued', 'input 1 x 28 x 28\nconv 6 k3 x 5 pad = same\n', 'input 1x28x28\nconv 6 k3x5 pad=same\n'],
    ['block headers and uses', 'def  b( c ,k = 3 )=conv c k k\nb( 6,k=5 )|b (8)\n', 'def b(c, k=3) = conv c k k\nb(6, k=5) | b(8)\n'],
    ['groups, residual blocks and repetitions', '( relu|bn )x 3 | residual   proj{conv 8 k3}|relu x n\n', '(relu | bn) x3 | residual proj { conv 8 k3 } | relu x n\n'],
    ['at most one blank line; none at the ends', '\n\n\nmodel a\n\n\n\ninput 784\n\n\n', 'model a\n\ninput 784\n'],
    ['trailing comments aligned within a block of lines', 'conv 6 k5 | relu # a\nflatten #b\n\ndense 10 # c\n', 'conv 6 k5 | relu  # a\nflatten           #b\n\ndense 10  # c\n'],
    ['comment lines kept, trailing blanks removed', '# head   \nmodel a # name\n', '# head\nmodel a  # name\n'],
    ['a line break after `|` is kept and the next line indented', 'conv 6 k5 |\nrelu\n', 'conv 6 k5 |\n  relu\n'],
    ['a break before `|` inside brackets moves after it', '(conv 6 k5\n   | relu)\n', '(conv 6 k5 |\n    relu)\n'],
    ['comments inside brackets stay on their lines', 'residual { # the body\n  conv 8 k3 p1 | # a conv\n  bn }\n', 'residual {          # the body\n    conv 8 k3 p1 |  # a conv\n    bn }\n'],
    ['CRLF sources come out with LF', 'model a\r\ninput 784\r\n', 'model a\ninput 784\n'],
    [
      'a long def is broken after `=` and after each `|` of its body',
      'def down(c) = residual proj { conv c k3 s2 p1 bias=false | bn | relu | conv c k3 p1 bias=false | bn } | relu | dropout 0.5\n',
      'def down(c) =\n  residual proj { conv c k3 s2 p1 bias=false | bn | relu | conv c k3 p1 bias=false | bn } |\n  relu |\n  dropout 0.5\n',
    ],
  ])('%s', (_, source, expected) => {
    expect(format(source)).toBe(expected);
    expect(format(expected)).toBe(expected);
    expect(meaning(expected)).toEqual(meaning(source));
  });

  test('a file with syntax errors is refused, with the errors', () => {
    const result = formatSource('input 1x28x28\nconv 6 k5 | (relu\n');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.diagnostics.map((d) => d.code)).toEqual(['NN1007']);
  });

  test('a file with checker errors (not syntax) is formatted', () => {
    expect(format('input 1x28x28\ndense   10|sigmod\n')).toBe('input 1x28x28\ndense 10 | sigmod\n');
  });

  test('an empty file stays empty', () => {
    expect(format('')).toBe('');
    expect(format('\n\n  \n')).toBe('');
  });
});

describe('netc fmt: every model', () => {
  test.each(modelFiles)('%s is formatted, and formatting keeps its summary', (name) => {
    const source = readFileSync(join(models, name), 'utf8');
    expect(format(source)).toBe(source);
    // The same model with its blanks disturbed formats back to the file.
    const messy = source
      .split('\n')
      .map((line) => {
        if (line.startsWith('#')) return line;
        const [code, ...comment] = line.split('#');
        const spaced = code!.trimEnd().replaceAll(' | ', '|').replaceAll(' ', '   ');
        return comment.length === 0 ? spaced : `${spaced}     #${comment.join('#')}`;
      })
      .join('\n')
      .replace(/\n\n/g, '\n\n\n');
    expect(format(messy)).toBe(source);
    expect(summaryOf(format(messy), name)).toEqual(summaryOf(source, name));
  });
});

/** The model's layers without source positions: what `netc summary` prints. */
function summaryOf(source: string, name: string): unknown {
  const model = analyze(source, name).model;
  expect(model).not.toBeNull();
  return { ...model!, inputSpan: null, trainSpans: null, layers: model!.layers.map((l) => ({ ...l, span: null, blocks: l.blocks?.map((b) => b.name) })) };
}

// Random programs from the v2 grammar with random layout and comments (the shape of test/syntax/property.test.ts's
// generator, with comments wherever a line may end): formatting keeps their meaning and is idempotent.
describe('netc fmt: random programs', () => {
  function generator(seed: number): { int(n: number): number; pick<T>(items: readonly T[]): T; chance(p: number): boolean } {
    let state = seed >>> 0;
    const next = (): number => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    return { int: (n) => Math.floor(next() * n), pick: (items) => items[Math.floor(next() * items.length)]!, chance: (p) => next() < p };
  }
  type Random = ReturnType<typeof generator>;
  const numbers = ['6', '0', '-3', '0.5', '1e-5', '120'];
  const blank = (r: Random): string => r.pick([' ', '  ', '\t']);
  /** A line break where a statement may go on, maybe with a comment before it and a blank line after. */
  const newline = (r: Random, nl: string): string =>
    `${r.chance(0.4) ? `${blank(r)}# note ${r.int(100)}${r.chance(0.3) ? '  ' : ''}` : ''}${nl}${r.chance(0.2) ? nl : ''}${r.chance(0.2) ? `# own line${nl}` : ''}${blank(r)}`;

  function value(r: Random, inLayer = false): string {
    switch (r.int(3)) {
      case 0:
        return r.pick(numbers);
      case 1:
        return [r.pick(numbers), r.pick(numbers)].join(r.pick(['x', ' x ']));
      default:
        return r.pick(inLayer ? ['c', 'n', 'same', 'false'] : ['c', 'n', 'same', 'proj', 'k5', 'false']);
    }
  }

  function layer(r: Random): { text: string; numeric: boolean } {
    const parts = [r.pick(['conv', 'bn', 'dense', 'relu', 'avgpool', 'flatten', 'my_layer-2', 'proj'])];
    for (let i = r.int(4); i > 0; i--) {
      const k = r.int(3);
      if (k === 0) parts.push(value(r, true));
      else if (k === 1) parts.push(`${r.pick(['k', 's', 'p'])}${r.pick(numbers)}`);
      else parts.push(`${r.pick(['kernel', 'pad', 'p'])}${r.pick(['=', ' = '])}${value(r)}`);
    }
    const text = parts.join(blank(r));
    return { text, numeric: /\d$/.test(text) };
  }

  function stage(r: Random, depth: number, nl: string): string {
    let text: string;
    let numeric = false;
    const kind = depth >= 3 ? 0 : r.int(4);
    if (kind === 0) ({ text, numeric } = layer(r));
    else if (kind === 1) {
      const args = Array.from({ length: r.int(3) }, () => (r.chance(0.3) ? `${r.pick(['c', 'k'])}=${value(r)}` : value(r)));
      text = `${r.pick(['cbs', 'block', 'down2'])}(${args.join(r.pick([', ', ',', `,${newline(r, nl)}`]))})`;
    } else {
      const inner = pipeline(r, depth + 1, nl, true);
      const open = r.chance(0.3) ? newline(r, nl) : '';
      const close = r.chance(0.3) ? newline(r, nl) : '';
      text = kind === 2 ? `(${open}${inner}${close})` : `residual${r.chance(0.5) ? ' proj' : ''} {${open}${inner}${close}}`;
    }
    if (r.chance(0.3)) {
      const n = r.pick(['2', '3', '-1', '1.5']);
      text += !numeric && r.chance(0.3) ? ' x n' : numeric || r.chance(0.5) ? ` x${n}` : ` x ${n}`;
    }
    return text;
  }

  function pipeline(r: Random, depth: number, nl: string, inside: boolean): string {
    const stages = Array.from({ length: 1 + r.int(4) }, () => stage(r, depth, nl));
    return stages.reduce((all, s) => {
      const sep = r.int(inside ? 4 : 3);
      const joint = sep === 0 ? ' | ' : sep === 1 ? '|' : sep === 2 ? ` |${newline(r, nl)}` : `${newline(r, nl)}| `;
      return `${all}${joint}${s}`;
    });
  }

  test('1500 programs: the formatted text parses clean to the same statements and comments, and is a fixed point', () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const r = generator(seed);
      const nl = r.pick(['\n', '\r\n']);
      const lines: string[] = [];
      if (r.chance(0.5)) lines.push(`# header ${seed}`);
      if (r.chance(0.5)) lines.push(`model${blank(r)}net_${seed}${r.chance(0.5) ? '   # the name' : ''}`);
      if (r.chance(0.5)) lines.push(`input ${r.pick(['1x28x28', '1 x 28 x 28', '784'])}`);
      if (r.chance(0.3)) lines.push(`train${blank(r)}epochs=${r.int(9) + 1}${blank(r)}lr = 0.1`);
      for (let d = r.int(3); d > 0; d--) {
        const params = Array.from({ length: r.int(3) }, (_, i) => (r.chance(0.4) ? `${['c', 'k', 'n'][i]}=${value(r)}` : ['c', 'k', 'n'][i]!));
        const header = params.length === 0 && r.chance(0.5) ? 'cbs' : `cbs(${params.join(r.pick([', ', ',']))})`;
        lines.push(`def ${header} =${r.chance(0.3) ? newline(r, nl) : ' '}${pipeline(r, 0, nl, false)}`);
      }
      for (let p = 1 + r.int(3); p > 0; p--) {
        lines.push(pipeline(r, 0, nl, false) + (r.chance(0.3) ? `${blank(r)}# end ${p}` : ''));
        if (r.chance(0.3)) lines.push(r.pick(['', '# a comment', '   ', '']));
      }
      const source = lines.join(nl) + (r.chance(0.5) ? nl : '');
      try {
        expect(parse(source).diagnostics.map((d) => d.message)).toEqual([]);
        const once = format(source);
        expect(parse(once).diagnostics.map((d) => d.message)).toEqual([]);
        expect(meaning(once)).toEqual(meaning(source));
        expect(format(once)).toBe(once);
      } catch (error) {
        throw new Error(`seed ${seed}, source ${JSON.stringify(source)}\nformatted ${JSON.stringify(formatSource(source))}\n${(error as Error).message}`);
      }
    }
  });
});
