import { describe, expect, test } from 'vitest';
import { LineMap } from '../../src/lsp/LineMap.js';

describe('LineMap: offsets and LSP positions (UTF-16 code units)', () => {
  test.each([
    ['\\n', 'ab\ncd', 4, { line: 1, character: 1 }],
    ['\\r\\n', 'ab\r\ncd', 5, { line: 1, character: 1 }],
    ['\\r alone', 'ab\rcd', 4, { line: 1, character: 1 }],
    ['an emoji is two code units', '# 🚀\nx 🚀 y', 10, { line: 1, character: 5 }],
    ['é is one', 'é x', 2, { line: 0, character: 2 }],
    ['the end of the text', 'ab\n', 3, { line: 1, character: 0 }],
  ])('%s', (_, text, offset, position) => {
    const map = new LineMap(text);
    expect(map.position(offset)).toEqual(position);
    expect(map.offset(position)).toBe(offset);
  });

  test('positions past a line end or the text are clamped', () => {
    const map = new LineMap('ab\r\ncd');
    expect(map.offset({ line: 0, character: 99 })).toBe(2);
    expect(map.offset({ line: 9, character: 0 })).toBe(6);
    expect(map.position(99)).toEqual({ line: 1, character: 2 });
    expect(map.lineCount).toBe(2);
  });
});
