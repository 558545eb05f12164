import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { trainKeys } from '../../src/check/trainOptions.js';
import { datasets, optimizerNames, scheduleNames } from '../../src/ir/catalogue.js';

// docs/LANGUAGE.md's Training section is the reference for the `train` line: these keep it in step with the checker's
// keys and the catalogue, so an option cannot ship undocumented.

const doc = readFileSync(fileURLToPath(new URL('../../docs/LANGUAGE.md', import.meta.url)), 'utf8');
const start = doc.indexOf('\n## Training\n');
const training = doc.slice(start, doc.indexOf('\n## ', start + 1));

describe('docs/LANGUAGE.md, Training', () => {
  test('every train key has a row, and every row is a key', () => {
    // The key table's rows have four cells (key, values, default, meaning); the dataset table's have five.
    const rows = [...training.matchAll(/^\| `([a-z_]+)` \|[^|\n]*\|[^|\n]*\|[^|\n]*\|$/gm)].map((m) => m[1]!);
    expect([...rows].sort()).toEqual(trainKeys.map((k) => k.name).sort());
  });

  test('every catalogue dataset has a row with its image size and class count', () => {
    for (const d of Object.values(datasets)) {
      expect(training).toContain(`| \`${d.name}\` | ${d.channels}x${d.rows}x${d.cols} | ${d.classes} |`);
    }
  });

  test('every optimizer and schedule is named in its key\'s row', () => {
    const row = (key: string): string => training.split('\n').find((line) => line.startsWith(`| \`${key}\` |`)) ?? '';
    for (const name of optimizerNames) expect(row('optimizer')).toContain(`\`${name}\``);
    for (const name of scheduleNames) expect(row('schedule')).toContain(`\`${name}\``);
  });
});
