import type { RelatedLocation, Span } from '../diagnostics/Diagnostic.js';
import type { Code } from '../diagnostics/messages.js';
import { findLayerKind, layerKinds } from '../layers/registry.js';
import type { BlockUseNode, DefNode, PipelineNode, StageNode } from '../syntax/ast.js';
import type { SyntaxDamage } from './SyntaxDamage.js';

/** How block problems are reported: at a span, with related locations. */
type Report = (code: Code, message: string, span: Span, related?: readonly RelatedLocation[]) => void;

/**
 * The `def`s of a file and what may be expanded. Blocks are defined before use, as in Python: a use (in the
 * main pipeline or in another block) must come after its `def`, so a block can use earlier blocks only and
 * expansion always ends. A use of a later block is NN2018, or NN2019 when it closes a cycle (recursion).
 */
export class BlockTable {
  private readonly byName = new Map<string, DefNode>();
  private readonly order = new Map<DefNode, number>();
  /** Uses that must not be expanded: a later block, or a cycle (already reported). */
  readonly refused = new Set<BlockUseNode>();
  /** Defs whose parameter list was damaged by a syntax error: their arguments are not checked against it. */
  readonly damagedDefs = new Set<DefNode>();

  constructor(readonly defs: readonly DefNode[]) {
    defs.forEach((def, i) => {
      this.order.set(def, i);
      if (!this.byName.has(def.name.name)) this.byName.set(def.name.name, def);
    });
  }

  /** The block a name refers to (the first `def` of that name), or undefined. */
  find(name: string): DefNode | undefined {
    return this.byName.get(name);
  }

  /** Every block name, in the order they are defined. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Position of a def among the file's defs. */
  orderOf(def: DefNode): number {
    return this.order.get(def) ?? -1;
  }
}

/** The words a layer argument may take (`same`, `true`, `scratch`, ...): a parameter may not hide one. */
export const argumentWords: ReadonlySet<string> = new Set([
  'same',
  'true',
  'false',
  ...layerKinds.flatMap((kind) => kind.args.flatMap((spec) => (spec.type.kind === 'enum' ? spec.type.values : []))),
]);

/** Every block use inside a pipeline, through groups, repetitions and residual bodies, in source order. */
export function usesIn(pipeline: PipelineNode | readonly StageNode[]): BlockUseNode[] {
  const found: BlockUseNode[] = [];
  const visit = (stage: StageNode): void => {
    switch (stage.kind) {
      case 'BlockUse':
        found.push(stage);
        break;
      case 'Repeat':
        visit(stage.body);
        break;
      case 'Group':
      case 'Residual':
        stage.body.layers.forEach(visit);
        break;
      case 'Layer':
      case 'Expect':
        break;
    }
  };
  const stages = 'kind' in pipeline ? pipeline.layers : pipeline;
  stages.forEach(visit);
  return found;
}

/**
 * Collects the defs and reports what is wrong with them before anything is expanded: a name taken twice or
 * taken from a layer, a bad parameter list, uses of later blocks and recursion, blocks never used.
 */
export function collectBlocks(
  defs: readonly DefNode[],
  topLevel: readonly StageNode[],
  damage: SyntaxDamage,
  report: Report,
): BlockTable {
  const table = new BlockTable(defs);
  for (const def of defs) {
    const name = def.name.name;
    const first = table.find(name)!;
    if (first !== def) {
      report('NN2020', `Block \`${name}\` is defined twice; keep the one on line ${first.span.line} or rename this one.`, def.name.span, [
        { message: `The first \`${name}\` is here.`, span: first.name.span },
      ]);
    }
    if (findLayerKind(name) !== undefined) {
      report(
        'NN2021',
        `A block cannot be named \`${name}\`, which is a layer; rename it, such as \`${name}_block\`.`,
        def.name.span,
      );
    }
    if (damage.damaged(def)) table.damagedDefs.add(def);
    else checkParams(def, report);
  }
  checkReferences(table, topLevel, report);
  // A use the parser could not read may be what uses a block: no "never used" after a syntax error.
  if (damage.any) return table;
  const used = new Set([...defs.flatMap((def) => usesIn(def.body)), ...usesIn(topLevel)].map((use) => use.name.name));
  for (const def of defs) {
    if (table.find(def.name.name) !== def || used.has(def.name.name)) continue;
    report('NN2029', `Block \`${def.name.name}\` is defined but never used.`, def.name.span);
  }
  return table;
}

/** NN2025: each parameter once, required ones before those with defaults, and no parameter hiding a word value. */
function checkParams(def: DefNode, report: Report): void {
  const seen = new Map<string, Span>();
  let firstDefault: string | undefined;
  for (const param of def.params) {
    const name = param.name.name;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      report('NN2025', `Parameter \`${name}\` of \`${def.name.name}\` is listed twice; rename one.`, param.span, [
        { message: `The first \`${name}\` is here.`, span: earlier },
      ]);
      continue;
    }
    seen.set(name, param.span);
    if (argumentWords.has(name)) {
      report(
        'NN2025',
        `A parameter cannot be named \`${name}\`: inside \`${def.name.name}\` it would hide the word \`${name}\`; rename it.`,
        param.span,
      );
    }
    if (param.default !== null) firstDefault ??= name;
    else if (firstDefault !== undefined) {
      // As in Python: positional arguments fill parameters in order, so a required one cannot follow an optional one.
      report(
        'NN2025',
        `Parameter \`${name}\` has no default but follows \`${firstDefault}\`, which has one; ` +
          `put the parameters without defaults first.`,
        param.span,
      );
    }
  }
}

/**
 * NN2018 and NN2019: every use must refer to a block defined before it. A use of a later block is recursion
 * when that block leads back to the one using it (found with strongly connected components, so a file with
 * many blocks is checked in linear time); the message names the whole cycle.
 */
function checkReferences(table: BlockTable, topLevel: readonly StageNode[], report: Report): void {
  const defs = table.defs;
  const uses = defs.map((def) => usesIn(def.body));
  const targets = uses.map((list) => list.map((use) => table.find(use.name.name)));
  const component = stronglyConnected(defs.length, (i) =>
    targets[i]!.filter((target) => target !== undefined).map((target) => table.orderOf(target)),
  );

  defs.forEach((def, i) => {
    uses[i]!.forEach((use, j) => {
      const target = targets[i]![j];
      if (target === undefined) return;
      const t = table.orderOf(target);
      if (t < i) return;
      table.refused.add(use);
      if (component[t] === component[i]) {
        const cycle = cyclePath(i, t, (k) => targets[k]!.filter((x) => x !== undefined).map((x) => table.orderOf(x)), component);
        const names = cycle.map((k) => defs[k]!.name.name);
        const message =
          t === i
            ? `Block \`${def.name.name}\` uses itself; a block cannot be recursive (to repeat layers, write \`STAGE x N\`).`
            : `Block \`${def.name.name}\` uses \`${target.name.name}\`, which leads back to \`${def.name.name}\` ` +
              `(${names.join(' -> ')}); blocks cannot be recursive.`;
        report('NN2019', message, use.span, [{ message: `\`${target.name.name}\` is defined here.`, span: target.name.span }]);
        return;
      }
      report(
        'NN2018',
        `Block \`${target.name.name}\` is used before its definition on line ${target.span.line}; ` +
          `move that \`def\` above line ${def.span.line}.`,
        use.span,
        [{ message: `\`${target.name.name}\` is defined here.`, span: target.name.span }],
      );
    });
  });

  for (const use of usesIn(topLevel)) {
    const target = table.find(use.name.name);
    if (target === undefined || target.span.offset < use.span.offset) continue;
    table.refused.add(use);
    report(
      'NN2018',
      `Block \`${target.name.name}\` is used before its definition on line ${target.span.line}; ` +
        `move the \`def\` above line ${use.span.line}.`,
      use.span,
      [{ message: `\`${target.name.name}\` is defined here.`, span: target.name.span }],
    );
  }
}

/** Tarjan's strongly connected components, iteratively (a long chain of blocks must not overflow the stack). */
function stronglyConnected(count: number, edges: (node: number) => number[]): number[] {
  const index = new Array<number>(count).fill(-1);
  const low = new Array<number>(count).fill(0);
  const component = new Array<number>(count).fill(-1);
  const onStack = new Array<boolean>(count).fill(false);
  const stack: number[] = [];
  let next = 0;
  let components = 0;
  for (let root = 0; root < count; root++) {
    if (index[root] !== -1) continue;
    const work: { node: number; out: number[]; at: number }[] = [];
    const open = (node: number): void => {
      index[node] = low[node] = next++;
      stack.push(node);
      onStack[node] = true;
      work.push({ node, out: edges(node), at: 0 });
    };
    open(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      if (top.at < top.out.length) {
        const to = top.out[top.at++]!;
        if (index[to] === -1) open(to);
        else if (onStack[to]) low[top.node] = Math.min(low[top.node]!, index[to]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent.node] = Math.min(low[parent.node]!, low[top.node]!);
      if (low[top.node] === index[top.node]) {
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = false;
          component[member] = components;
        } while (member !== top.node);
        components++;
      }
    }
  }
  return component;
}

/** A shortest cycle `from -> to -> ... -> from` inside one component, as def positions. */
function cyclePath(from: number, to: number, edges: (node: number) => number[], component: readonly number[]): number[] {
  if (from === to) return [from, from];
  const previous = new Map<number, number>([[to, -1]]);
  const queue = [to];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    if (node === from) break;
    for (const next of edges(node)) {
      if (component[next] !== component[from] || previous.has(next)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  const path: number[] = [];
  for (let node: number | undefined = from; node !== undefined && node !== -1; node = previous.get(node)) path.push(node);
  return [from, ...path.reverse()];
}
