import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { LayerKind } from '../../src/layers/LayerKind.js';
import { findLayerKind, layerKinds } from '../../src/layers/registry.js';

// The layer table of docs/LANGUAGE.md against the layer registry: every kind and alias has a row, every row names
// only kinds that exist, and each row shows every argument of its kind. Adding a layer kind without its row fails.

const doc = readFileSync(new URL('../../docs/LANGUAGE.md', import.meta.url), 'utf8');
const layersSection = doc.slice(doc.indexOf('\n## Layers\n'), doc.indexOf('\n## ', doc.indexOf('\n## Layers\n') + 1));
/** The table's rows after its header, as [first cell, second cell]. */
const rows = [...layersSection.matchAll(/^\| (`[^|]+?) \|\s*([^|]*?)\s*\|/gm)].map((m) => [m[1]!, m[2]!] as const);

/** The layer names a row's first cell writes (`avgpool K`, `maxpool K` gives avgpool and maxpool). */
const namesIn = (cell: string): string[] => [...cell.matchAll(/`([a-z][a-z0-9]*)[ `]/g)].map((m) => m[1]!);

function rowOf(kind: LayerKind): readonly [string, string] | undefined {
  return rows.find(([first]) => namesIn(first).includes(kind.name));
}

describe('docs/LANGUAGE.md layer table', () => {
  test('has rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  test.each(layerKinds.map((kind) => [kind.name, kind] as const))('`%s` has a row, with its aliases', (_name, kind) => {
    const row = rowOf(kind);
    expect(row, `no row for ${kind.name}`).toBeDefined();
    for (const alias of kind.aliases ?? []) expect(namesIn(row![0])).toContain(alias);
  });

  test.each(layerKinds.map((kind) => [kind.name, kind] as const))('`%s`: the row shows every argument', (_name, kind) => {
    const [first, args] = rowOf(kind)!;
    for (const spec of kind.args) {
      const shown =
        args.includes(`${spec.name}=`) ||
        (spec.short !== undefined && new RegExp(`\`${spec.short}[A-Z]`).test(args)) ||
        (spec.positional === true && new RegExp(`\`${kind.name} \\[?[A-Z]`).test(first));
      expect(shown, `${kind.name} ${spec.name}`).toBe(true);
    }
  });

  test('names no layer the language does not have', () => {
    for (const [first] of rows) for (const name of namesIn(first)) expect(findLayerKind(name), name).toBeDefined();
  });
});
