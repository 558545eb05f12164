import type { Span } from '../diagnostics/Diagnostic.js';
import type { CheckedLayer, CheckedModel, Shape } from '../ir/model.js';
import type { BlockUseNode, DefNode, FileNode, IdentNode, ParamNode } from '../syntax/ast.js';

/** Any node of the syntax tree: statements, stages, arguments, values, comments. */
export interface AstNode {
  readonly kind: string;
  readonly span: Span;
}

/** A block (`def`) with where it is defined and every place it is used. */
export interface BlockInfo {
  readonly name: string;
  readonly def: DefNode;
  readonly params: readonly ParamNode[];
  /** The uses `NAME(...)` in source order, in the pipeline and inside other blocks. */
  readonly uses: readonly BlockUseNode[];
}

/** The shapes at one stage of the checked model: what it receives and what it gives. */
export interface StageShape {
  /** The stage as written: a layer, or the block use whose expansion ends here. */
  readonly span: Span;
  readonly input: Shape;
  readonly output: Shape;
}

/** True when `offset` lies in `span` (start included, end excluded). */
function holds(span: Span, offset: number): boolean {
  return span.offset <= offset && offset < span.end;
}

function width(span: Span): number {
  return span.end - span.offset;
}

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'kind' in value && 'span' in value;
}

/** The child nodes of `node`, in field order (every field that holds a node or a list of nodes). */
function children(node: AstNode): AstNode[] {
  const found: AstNode[] = [];
  for (const value of Object.values(node)) {
    if (isNode(value)) found.push(value);
    else if (Array.isArray(value)) for (const item of value) if (isNode(item)) found.push(item);
  }
  return found;
}

/**
 * Lookups from a position in the source to what is there: the syntax node, the checked shapes, the block a name
 * refers to and its uses (hover, go-to-definition and find-references in an editor). Offsets are 0-based, as in
 * every `Span`.
 */
export class PositionIndex {
  /** Every block by name (the first definition where a name is defined twice, as the checker reads it). */
  readonly blocks: ReadonlyMap<string, BlockInfo>;

  /** The layers with known shapes: the model's, or, in a file with errors, those the checker could still infer. */
  readonly layers: readonly CheckedLayer[];

  constructor(
    private readonly ast: FileNode,
    model: CheckedModel | null,
    inferred: readonly CheckedLayer[] = [],
  ) {
    this.layers = model?.layers ?? inferred;
    const defs = new Map<string, DefNode>();
    const uses = new Map<string, BlockUseNode[]>();
    const visit = (node: AstNode): void => {
      if (node.kind === 'Def') {
        const def = node as DefNode;
        if (!defs.has(def.name.name)) defs.set(def.name.name, def);
      } else if (node.kind === 'BlockUse') {
        const use = node as BlockUseNode;
        const list = uses.get(use.name.name) ?? [];
        list.push(use);
        uses.set(use.name.name, list);
      }
      for (const child of children(node)) visit(child);
    };
    for (const statement of ast.statements) visit(statement);
    this.blocks = new Map(
      [...defs].map(([name, def]) => [name, { name, def, params: def.params, uses: uses.get(name) ?? [] }]),
    );
  }

  /** The innermost node at `offset` with its ancestors, outermost (a statement) first; empty between statements. */
  pathAt(offset: number): AstNode[] {
    const path: AstNode[] = [];
    const comment = this.ast.comments.find((c) => holds(c.span, offset));
    if (comment !== undefined) return [comment];
    let level: AstNode[] = [...this.ast.statements];
    for (;;) {
      const next = level.find((node) => holds(node.span, offset));
      if (next === undefined) return path;
      path.push(next);
      level = children(next);
    }
  }

  /** The innermost node at `offset` (an identifier, a number, a layer, a comment), or null. */
  nodeAt(offset: number): AstNode | null {
    const path = this.pathAt(offset);
    return path[path.length - 1] ?? null;
  }

  /**
   * The checked shapes of the stage written at `offset`: the innermost layer there, or the block use there (its
   * last layer's output). A stage inside a block body or a repetition has one entry per distinct expansion. Empty
   * when nothing at `offset` became a layer whose shapes are known.
   */
  shapesAt(offset: number): StageShape[] {
    const layers = this.layers;
    const written = innermost(layers.filter((layer) => holds(layer.span, offset)), (layer) => layer.span);
    if (written.length > 0) return distinct(written.map((layer) => ({ span: layer.span, input: layer.inputShape, output: layer.outputShape })));
    // A block use: its expansion starts at the first layer that came from that use and ends at the last.
    const origins = layers.flatMap((layer) => (layer.blocks ?? []).filter((origin) => holds(origin.span, offset)).map((origin) => ({ layer, origin })));
    const closest = innermost(origins, (o) => o.origin.span);
    if (closest.length === 0) return [];
    const first = closest[0]!.layer;
    const last = closest[closest.length - 1]!.layer;
    return [{ span: closest[0]!.origin.span, input: first.inputShape, output: last.outputShape }];
  }

  /** The checked layers written at `offset` (innermost first; one per expansion of a block body or repetition). */
  layersAt(offset: number): CheckedLayer[] {
    return innermost(this.layers.filter((layer) => holds(layer.span, offset)), (layer) => layer.span);
  }

  /** The block a name at `offset` refers to: a use's name, a `def`'s own name. Null elsewhere or for an unknown name. */
  blockAt(offset: number): BlockInfo | null {
    const node = this.nodeAt(offset);
    if (node?.kind !== 'Ident') return null;
    const name = (node as IdentNode).name;
    const block = this.blocks.get(name);
    if (block === undefined) return null;
    const path = this.pathAt(offset);
    const parent = path[path.length - 2];
    const isUse = parent?.kind === 'BlockUse' && (parent as BlockUseNode).name === node;
    const isDef = parent?.kind === 'Def' && (parent as DefNode).name === node;
    return isUse || isDef ? block : null;
  }
}

/** The items whose span is the narrowest, in their order. */
function innermost<T>(items: readonly T[], spanOf: (item: T) => Span): T[] {
  if (items.length === 0) return [];
  const narrowest = Math.min(...items.map((item) => width(spanOf(item))));
  return items.filter((item) => width(spanOf(item)) === narrowest);
}

/** One entry per distinct pair of shapes. */
function distinct(stages: readonly StageShape[]): StageShape[] {
  const seen = new Set<string>();
  return stages.filter((stage) => {
    const key = `${stage.input.join('x')}>${stage.output.join('x')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
