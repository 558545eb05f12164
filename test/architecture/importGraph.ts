import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One import of a source file: where it points, and whether it survives compilation (a value import). */
export interface SourceImport {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

/**
 * Every import and re-export of a TypeScript source, static and dynamic. `import type` and imports whose every
 * name is `type X` are marked type-only (tsc erases them); they still count as a dependency between folders.
 */
export function sourceImports(source: string): SourceImport[] {
  const found: SourceImport[] = [];
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*'([^']+)'/gms)) {
    const names = match[3]!;
    const braces = /^\{([\s\S]*)\}$/.exec(names.trim());
    const allTypes = braces !== null && braces[1]!.split(',').map((n) => n.trim()).filter((n) => n !== '').every((n) => n.startsWith('type '));
    found.push({ specifier: match[4]!, typeOnly: match[2] !== undefined || allTypes });
  }
  for (const match of source.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push({ specifier: match[1]!, typeOnly: false });
  for (const match of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push({ specifier: match[1]!, typeOnly: false });
  return found;
}

/** Every .ts file under `dir`, recursively. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The top folder of src/ that `file` lives in (`train` for src/train/parallel/worker.ts). */
export function folderOf(srcDir: string, file: string): string {
  return relative(srcDir, file).split(/[\\/]/)[0]!;
}

/**
 * The folder-level import graph of `srcDir`: folder -> the other folders its files import, each edge with one
 * file and specifier that makes it (for messages). AssemblyScript sources (simd/assembly) compile to wasm and
 * import nothing of netc's; they are scanned like the rest.
 */
export function folderGraph(srcDir: string): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(srcDir)) {
    const from = folderOf(srcDir, file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const { specifier } of sourceImports(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(srcDir)) continue;
      const to = folderOf(srcDir, target);
      if (to !== from && !edges.has(to)) edges.set(to, `${relative(srcDir, file)} imports '${specifier}'`);
    }
  }
  return graph;
}

/** Every elementary cycle's folders, found by depth-first search from each folder (each cycle reported once). */
export function folderCycles(graph: ReadonlyMap<string, ReadonlyMap<string, string>>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (start: string, node: string, path: string[]): void => {
    for (const next of graph.get(node)?.keys() ?? []) {
      if (next === start) {
        // Rotate to the smallest name so that each cycle is reported once.
        const i = path.indexOf([...path].sort()[0]!);
        const key = [...path.slice(i), ...path.slice(0, i)].join(' -> ');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...path, start]);
        }
      } else if (!path.includes(next) && next > start) {
        visit(start, next, [...path, next]);
      }
    }
  };
  for (const start of [...graph.keys()].sort()) visit(start, start, [start]);
  return cycles;
}
