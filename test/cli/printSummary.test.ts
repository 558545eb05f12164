import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { formatCount, printSummary, toSummaryJson } from '../../src/cli/printSummary.js';
import { checkSource } from '../check/harness.js';

// The summary of language v2 models: every expanded row names the block use it came from, and a graph that is
// not a straight stack shows which rows each row reads. (netc summary's v1 output is tested in check.test.ts.)

const nested = [
  'input 1x28x28', //                                  1
  'def cbs(c) = conv c k5 | bn | sigmoid', //          2
  'def stage(c) = cbs(c) | avgpool 2', //              3
  'stage(6) | cbs(16)', //                             4
  'flatten | residual { dense 1024 | relu } | dense 10', // 5
  '',
].join('\n');

describe('text', () => {
  test('a block column names each use, nested ones outermost first; an inputs column shows the joins', () => {
    const text = printSummary(checkSource(nested).model!, 'nested.net');
    const lines = text.split('\n');
    expect(lines[2]).toMatch(/^ #\s+line\s+layer\s+variant\s+output\s+trainable\s+non-trainable\s+MACs\s+inputs\s+block$/);
    const rows = lines.filter((l) => /^\s*\d+\s+\d+:\d+/.test(l));
    expect(rows).toHaveLength(12);
    expect(rows[0]).toMatch(/^\s*1\s+2:14\s+conv\s+-\s+6x24x24\s+156\s+0\s+86,400\s+in\s+stage@4:1>cbs@3:16$/);
    expect(rows[3]).toMatch(/^\s*4\s+3:25\s+avgpool\s+-\s+6x12x12\s+0\s+0\s+0\s+3\s+stage@4:1$/);
    expect(rows[4]).toMatch(/^\s*5\s+2:14\s+conv\s+-\s+16x8x8\s+2,416\s+0\s+153,600\s+4\s+cbs@4:12$/);
    // Written-out rows have an empty block cell.
    expect(rows[7]).toMatch(/^\s*8\s+5:1\s+flatten\s+-\s+1024\s+0\s+0\s+0\s+7$/);
    // The join reads the skip source (row 8) and the body's output (row 10).
    expect(rows[10]).toMatch(/^\s*11\s+5:11\s+add\s+-\s+1024\s+0\s+0\s+0\s+8\+10$/);
  });

  test('a straight stack without blocks keeps the v1 table', () => {
    const text = printSummary(checkSource('input 784\ndense 10\n').model!);
    expect(text.split('\n')[2]).toMatch(/^#\s+line\s+layer\s+variant\s+output\s+trainable\s+non-trainable\s+MACs$/);
  });

  test('lenet-bn-blocks: the rows of lenet-bn, with the uses', () => {
    const read = (file: string) => readFileSync(new URL(`../../models/${file}.net`, import.meta.url), 'utf8');
    const blocks = printSummary(checkSource(read('lenet-bn-blocks')).model!).split('\n');
    const plain = printSummary(checkSource(read('lenet-bn')).model!).split('\n');
    // Same op, variant, output and parameters on every row; the same totals.
    const core = (line: string) => line.replace(/^\s*\d+\s+\d+:\d+\s+/, '').replace(/\s+(cbs|dbs)@\S+$/, '').trim();
    const rows = (lines: string[]) => lines.filter((l) => /^\s*\d+\s+\d+:\d+/.test(l)).map(core);
    expect(rows(blocks)).toEqual(rows(plain));
    expect(blocks.slice(-6)).toEqual(plain.slice(-6));
    expect(blocks.filter((l) => l.endsWith('cbs@12:10'))).toHaveLength(4);
  });
});

describe('json', () => {
  test('block is the innermost use, blocks the whole chain, inputs the rows read', () => {
    const json = toSummaryJson(checkSource(nested).model!);
    expect(json.layers[0]).toMatchObject({
      op: 'conv',
      line: 2,
      column: 14,
      inputs: [-1],
      block: { name: 'cbs', line: 3, column: 16 },
      blocks: [
        { name: 'stage', line: 4, column: 1 },
        { name: 'cbs', line: 3, column: 16 },
      ],
    });
    expect(json.layers[3]).toMatchObject({ op: 'avgpool', block: { name: 'stage', line: 4, column: 1 }, blocks: [{ name: 'stage' }] });
    expect(json.layers[10]).toMatchObject({ op: 'add', inputs: [7, 9], block: null, blocks: [] });
  });
});

describe('size', () => {
  test('130,000 rows print without overflowing the call stack (issue 15: a spread into Math.max did)', () => {
    const model = checkSource('input 784\ndense 10\n').model!;
    const layer = model.layers[0]!;
    const layers = Array.from({ length: 130_000 }, (_, index) => ({ ...layer, index, inputs: [index - 1] }));
    const text = printSummary({ ...model, layers });
    const rows = text.split('\n').filter((l) => /^\s*\d+\s+\d+:\d+/.test(l));
    expect(rows).toHaveLength(130_000);
    expect(rows[129_999]).toMatch(/^130000\s+2:1\s+dense\s+-\s+10\s+7,850\s+0\s+7,840$/);
  });
});

describe('counts', () => {
  test('formatCount writes what toLocaleString("en-US") writes', () => {
    const values = [0, 7, 12, 999, 1000, 44_878, 281_640, 1_000_000, -1, -1234, -999_999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    for (let n = 1; n < 1e15; n *= 7) values.push(n, n + 1, -n);
    values.push(0.5, 1234.5678, 1e21, Infinity, Number.NaN);
    for (const n of values) expect(formatCount(n), String(n)).toBe(n.toLocaleString('en-US'));
  });
});
