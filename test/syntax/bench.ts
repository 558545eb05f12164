// Parser timings on big and hostile inputs: `node --import tsx test/syntax/bench.ts`.
// Prints wall and CPU time per case; a figure to report, not a timed test (the machine may be shared).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from '../../src/syntax/parse.js';

function time(name: string, source: string): void {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = parse(source);
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  console.log(
    `${name.padEnd(28)} ${(source.length / 1e6).toFixed(1).padStart(5)} M chars  wall ${wall.toFixed(0).padStart(6)} ms` +
      `  cpu ${((used.user + used.system) / 1000).toFixed(0).padStart(6)} ms  ${result.ast.statements.length} statements,` +
      ` ${result.diagnostics.length} diagnostics`,
  );
}

const started = performance.now();
parse('model a');
console.log(`first parse (builds lexer and parser): ${(performance.now() - started).toFixed(1)} ms`);

const model = readFileSync(fileURLToPath(new URL('../../models/lenet-bn.net', import.meta.url)), 'utf8');
const tenMb = (text: string): string => text.repeat(Math.ceil(10e6 / text.length));
time('10 MB of lenet-bn.net', tenMb(`${model}\n`));
time('10 MB of dense pipelines', tenMb('conv 6 k5 p=same | bn | sigmoid | avgpool 2\n'));
time('10 MB, an error per line', tenMb('conv 6 k5 = | bn | | relu\n'));
time('10 MB, one statement', `${tenMb('conv 6 k5 |\n')}relu`);
time('10 MB of v2 blocks', tenMb('def cbs(c, k=5) = conv c kernel=k | bn | sigmoid | avgpool 2\ncbs(6) | cbs(16) x2 | (dense 64 | bn | relu) x3\nresidual proj {\n  conv 16 k3 p1 | bn\n}\n'));
time('10 MB, one def body', `def f(c) = ${tenMb('conv c k5 |\n')}relu`);
time('10 MB in one open bracket', `(${tenMb('conv 6 k5 | bn\n')}`);
time('10 MB in one bracket, closed', `(${tenMb('conv 6 k5 | bn\n')})`);
time('100,000 pipes', '|'.repeat(100_000));
time('conv and 100,000 pipes', `conv ${'| '.repeat(100_000)}`);
time('100,000 layers in one line', `conv ${'| relu '.repeat(100_000)}`);
let seed = 1;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
time('1 M random BMP characters', Array.from({ length: 1e6 }, () => String.fromCharCode(0x20 + Math.floor(random() * 0xd000))).join(''));
time('1 M open parentheses', '('.repeat(1e6));
time('256 nested groups x 1000', `${'('.repeat(256)}relu${') x2'.repeat(256)}\n`.repeat(1000));
