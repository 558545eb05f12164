import { layerNames } from '../../src/layers/registry.js';
import type { Rng } from './random.js';

// A mutator of `.net` sources: small edits at the level of tokens and lines (the kind a user makes while typing),
// numbers swapped for edge values, and now and then raw garbage. Most mutants are wrong and must be answered with
// diagnostics; the ones that still check clean must compile like any other valid program.

const keywords = ['model', 'input', 'train', 'def', 'residual', 'proj', 'x', 'same', 'true', 'false', 'builtin', 'scratch'];
const punctuation = ['|', '(', ')', '{', '}', '=', ',', '#', '\n', ' x ', 'x2', 'x 3', '\\'];
const numbers = [
  '0', '1', '2', '3', '5', '7', '10', '-1', '1.5', '0.5', '1e-5', '1e309', '2147483647', '2147483648', '99999',
  '1x1', '3x5', '1x28x28', '0x0', '28x28', '1e2', '.5', '5.', '0x10', 'NaN', 'Infinity',
];
const options = ['k1', 'k3', 'k5', 'k3x5', 's1', 's2', 's3', 'p0', 'p1', 'p2', 'p=same', 'bias=false', 'impl=scratch', 'momentum=0.5', 'eps=0.1', 'kernel=2', 'stride=2', 'pad=1', 'out=4', 'rate=0.3'];
const garbage = ['\u0000', '\uFEFF', '\t', '\r', 'é', 'ß', '\u00A0', '\u2028', '😀', '\uD800', '$', '@', '"', "'", ';', '\u0007', 'Conv'];

/** Splits source into tokens that keep every character: words, numbers, blanks, newlines and single marks. */
export function tokenize(source: string): string[] {
  return source.match(/\r\n|\n|\r|[ \t]+|#[^\r\n]*|[A-Za-z0-9_.=-]+|./gsu) ?? [];
}

/** How far the stress edits go: the largest number of layers a repetition may make, and the deepest nesting. */
export interface MutateLimits {
  readonly layers: number;
  readonly depth: number;
}

/** The default stress limits, kept below the sizes issue 15 tracks (a 5,002-layer model fails to compile). */
export const defaultLimits: MutateLimits = { layers: 1500, depth: 300 };

/** Applies one to four random edits to `source`; one in twenty is a stress edit (deep nesting, long repetition). */
export function mutate(source: string, rng: Rng, limits: MutateLimits = defaultLimits): string {
  let text = source;
  const edits = rng.between(1, 4);
  for (let i = 0; i < edits; i++) text = rng.chance(0.05) ? stress(text, rng, limits) : mutateOnce(text, rng);
  return text;
}

/** An edit at the language's limits: brackets nested deep, a layer repeated into a long model, a long line. */
function stress(source: string, rng: Rng, limits: MutateLimits): string {
  const lines = source.split('\n');
  const at = rng.int(lines.length + 1);
  switch (rng.int(3)) {
    case 0: {
      const depth = rng.between(1, limits.depth);
      const open = rng.chance(0.5) ? '(' : 'residual { ';
      const close = open === '(' ? ')' : ' }';
      lines.splice(at, 0, `${open.repeat(depth)}relu${close.repeat(rng.chance(0.9) ? depth : rng.int(depth))}`);
      break;
    }
    case 1: {
      // Nested repetitions whose product reaches up to `limits.layers` layers.
      const pairs = rng.between(1, Math.floor(limits.layers / 2));
      const outer = rng.between(1, 50);
      const inner = Math.max(1, Math.floor(pairs / outer));
      lines.splice(at, 0, `((relu | tanh) x${inner}) x${outer}`);
      break;
    }
    default:
      lines.splice(at, 0, Array.from({ length: rng.between(1, 300) }, () => rng.pick(['relu', 'tanh', 'bn', 'dropout 0.1'])).join(' | '));
  }
  return lines.join('\n');
}

function mutateOnce(source: string, rng: Rng): string {
  const tokens = tokenize(source);
  const lines = source.split('\n');
  const at = tokens.length === 0 ? 0 : rng.int(tokens.length);
  const word = (): string =>
    rng.pick([() => rng.pick(layerNames()), () => rng.pick(keywords), () => rng.pick(numbers), () => rng.pick(options), () => rng.pick(punctuation)])();
  switch (rng.int(13)) {
    case 0: // delete a token
      tokens.splice(at, 1);
      return tokens.join('');
    case 1: // duplicate a token
      tokens.splice(at, 0, tokens[at] ?? '');
      return tokens.join('');
    case 2: {
      // swap two neighbours
      if (at + 1 < tokens.length) [tokens[at], tokens[at + 1]] = [tokens[at + 1]!, tokens[at]!];
      return tokens.join('');
    }
    case 3: {
      // a number for an edge value
      const spots = tokens.flatMap((t, i) => (/^-?[0-9.]/.test(t) || /^[a-z][0-9]/.test(t) ? [i] : []));
      if (spots.length === 0) return tokens.join('');
      const spot = rng.pick(spots);
      const token = tokens[spot]!;
      tokens[spot] = /^[a-z][0-9]/.test(token) ? token[0] + rng.pick(numbers) : rng.pick(numbers);
      return tokens.join('');
    }
    case 4: // a word for another word of the language
      tokens[at] = word();
      return tokens.join('');
    case 5: // insert a word, with a blank
      tokens.splice(at, 0, ` ${word()} `);
      return tokens.join('');
    case 6: // delete a line
      lines.splice(rng.int(lines.length), 1);
      return lines.join('\n');
    case 7: {
      // duplicate a line somewhere
      const line = rng.pick(lines);
      lines.splice(rng.int(lines.length + 1), 0, line);
      return lines.join('\n');
    }
    case 8: {
      // swap two lines
      const a = rng.int(lines.length);
      const b = rng.int(lines.length);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 9: {
      // a stray character
      const offset = rng.int(source.length + 1);
      return source.slice(0, offset) + rng.pick(garbage) + source.slice(offset);
    }
    case 10: // cut the file short
      return source.slice(0, rng.int(source.length + 1));
    case 11: {
      // a stage repeated, grouped or wrapped in a residual block
      const spots = tokens.flatMap((t, i) => (layerNames().includes(t) ? [i] : []));
      if (spots.length === 0) return tokens.join('');
      const spot = rng.pick(spots);
      const wrap = rng.pick([['(', ') x2'], ['residual { ', ' }'], ['residual proj { ', ' }'], ['', ' x3'], ['(', ')']]);
      tokens[spot] = `${wrap[0]}${tokens[spot]}`;
      const end = tokens.findIndex((t, i) => i > spot && (t === '|' || t === '\n'));
      tokens.splice(end < 0 ? tokens.length : end, 0, wrap[1]!);
      return tokens.join('');
    }
    default: {
      // a layer of another kind spliced in with a pipe
      const line = rng.int(lines.length);
      lines[line] = `${lines[line]} | ${rng.pick(layerNames())} ${rng.chance(0.5) ? rng.pick(options) : ''}`.trimEnd();
      return lines.join('\n');
    }
  }
}

/** Random bytes read as text, or random tokens of the language: input that is not a program at all. */
export function garbageSource(rng: Rng): string {
  const length = rng.between(0, 200);
  if (rng.chance(0.5)) {
    return Array.from({ length }, () => String.fromCharCode(rng.chance(0.8) ? rng.between(32, 126) : rng.between(0, 0xffff))).join('');
  }
  const all = [...layerNames(), ...keywords, ...punctuation, ...numbers, ...options, ' ', ' ', '\n'];
  return Array.from({ length: Math.ceil(length / 3) }, () => rng.pick(all)).join(' ');
}
