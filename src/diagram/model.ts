import type { ArgValue, Shape } from '../ir/model.js';
import { addOp, type GraphNode } from '../check/graph.js';
import { showValue } from '../check/values.js';
import type { Diagnostic, Span } from '../diagnostics/Diagnostic.js';
import { sortDiagnostics } from '../diagnostics/format.js';
import type { ArgSpec } from '../layers/LayerKind.js';

// What a diagram shows, taken from the checker's graph: it exists for a model with errors too, drawn up to the
// first error. Everything here is plain data so that the SVG, DOT and HTML writers (and the playground) share it.

/** One block use a stage came from; `key` tells two uses (or two repeated copies of one use) apart. */
export interface DiagramGroup {
  readonly key: string;
  readonly name: string;
  /** The use's arguments as written, defaults filled in: `16`, `2, 16`. */
  readonly args: string;
  /** Where the block is used. */
  readonly line: number;
  readonly column: number;
  /** The key of the use this one sits in, or null in the main pipeline. */
  readonly parent: string | null;
}

/** One box of the diagram: a layer, a residual join (`add`) or a projection on a skip path. */
export interface DiagramNode {
  /** `n0`, `n1`, ...; `input` is the model input, `output` what the model returns (so its shape is on an edge). */
  readonly id: string;
  readonly role: 'input' | 'output' | 'layer' | 'add' | 'projection';
  /** The layer's canonical name (`dense` for `linear`), `add`, or `input`. */
  readonly op: string;
  /** The main arguments as the language writes them: `6 k5`, `2`, `120`, `p=0.5`. */
  readonly args: string;
  /** `BatchNorm2d`, `projection`, or null. */
  readonly variant: string | null;
  /** The source line (1-based) the stage is written on. */
  readonly line: number;
  readonly column: number;
  /** Ids of the nodes feeding this one; a join's first input is its skip path, its second the body's output. */
  readonly inputs: readonly string[];
  /** The output shape, or null where the checker could not infer it. */
  readonly output: Shape | null;
  /** Trainable and non-trainable parameters, null where unknown. */
  readonly params: { readonly trainable: number; readonly nonTrainable: number } | null;
  /** The innermost block use the node came from, or null. */
  readonly group: string | null;
  /** Set on the stage that fails: the first error's code and message. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** A model ready to draw: nodes in a topological order, the block uses, totals and what was cut off. */
export interface DiagramModel {
  readonly name: string;
  readonly nodes: readonly DiagramNode[];
  readonly groups: readonly DiagramGroup[];
  readonly totals: { readonly trainable: number; readonly nonTrainable: number };
  /** The first error of a model that does not check, or null. */
  readonly error: { readonly code: string; readonly message: string; readonly line: number; readonly column: number } | null;
  /** How many stages after the failing one are not drawn. */
  readonly omitted: number;
}

/** What `diagramModel` reads: the checker's graph and every diagnostic of the file. */
export interface DiagramSource {
  readonly name: string;
  /** The model input's shape and where it is written; null when the file has none (or a broken one). */
  readonly input: { readonly shape: Shape; readonly span: Span } | null;
  readonly graph: readonly GraphNode[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The diagram of a checked (or partly checked) graph. With an error, the stages are drawn up to the first one
 * whose shape is unknown; that stage carries the error whose span lies in it (else the first error of the file).
 */
export function diagramModel(source: DiagramSource): DiagramModel {
  const errors = sortDiagnostics(source.diagnostics.filter((d) => d.severity === 'error'));
  const firstError = errors[0] ?? null;
  const groups = new Map<string, DiagramGroup>();
  const nodes: DiagramNode[] = [];
  const idOf = (input: number): string => (input === -1 ? 'input' : `n${input}`);

  // Without a checked model the input's shape is what the first stage reads (null when `input` is broken).
  const inputShape = source.input?.shape ?? source.graph.find((node) => node.inputs.includes(-1))?.input ?? null;
  if (source.input !== null || source.graph.length > 0) {
    nodes.push({
      id: 'input',
      role: 'input',
      op: 'input',
      args: '',
      variant: null,
      line: source.input?.span.line ?? 1,
      column: source.input?.span.column ?? 1,
      inputs: [],
      output: inputShape,
      params: null,
      group: null,
      error: null,
    });
  }

  let omitted = 0;
  let failed = false;
  for (const node of source.graph) {
    if (failed) {
      omitted++;
      continue;
    }
    const known = node.output !== null && (node.kind !== null || node.role === 'add');
    const error = known || firstError === null ? null : errorOf(node, errors, firstError);
    if (!known) failed = true;
    nodes.push({
      id: idOf(node.index),
      role: node.role,
      op: node.kind?.name ?? (node.role === 'add' ? addOp : node.name),
      args: node.kind === null ? '' : formatArgs(node.kind.args, node.args),
      variant: node.role === 'projection' ? 'projection' : node.input === null ? null : (node.kind?.variant?.(node.input) ?? null),
      line: node.span.line,
      column: node.span.column,
      inputs: node.inputs.map(idOf),
      output: node.output,
      // A failing stage's count would be computed from an input it cannot take.
      params: !known ? null : node.kind === null ? zero : node.kind.params(node.input!, node.args),
      group: groupOf(node, groups),
      error,
    });
  }
  const last = nodes[nodes.length - 1];
  if (!failed && last !== undefined && last.role !== 'input') {
    nodes.push({ ...terminal, id: 'output', role: 'output', op: 'output', line: last.line, column: last.column, inputs: [last.id], output: last.output });
  }
  const totals = nodes.reduce<{ trainable: number; nonTrainable: number }>(
    (sum, node) => ({
      trainable: sum.trainable + (node.params?.trainable ?? 0),
      nonTrainable: sum.nonTrainable + (node.params?.nonTrainable ?? 0),
    }),
    { ...zero },
  );
  return {
    name: source.name,
    nodes,
    groups: [...groups.values()],
    totals,
    error:
      firstError === null
        ? null
        : { code: firstError.code, message: firstError.message, line: firstError.span.line, column: firstError.span.column },
    omitted,
  };
}

const zero = { trainable: 0, nonTrainable: 0 } as const;

const terminal = { args: '', variant: null, params: null, group: null, error: null } as const;

/** The error that belongs to a failing node: the first one inside its span, else the file's first error. */
function errorOf(node: GraphNode, errors: readonly Diagnostic[], first: Diagnostic): { code: string; message: string } {
  const inside = errors.find((d) => d.span.offset >= node.span.offset && d.span.offset < Math.max(node.span.end, node.span.offset + 1));
  const chosen = inside ?? first;
  return { code: chosen.code, message: chosen.message };
}

/** Registers every block use (and repeated copy) the node came through; returns the innermost use's key. */
function groupOf(node: GraphNode, groups: Map<string, DiagramGroup>): string | null {
  let key = '';
  let parent: string | null = null;
  for (const frame of node.frames) {
    if (frame.kind === 'repeat') {
      // Two copies of `cbs(c) x 2` are two boxes, though they share the use's span.
      key += `/r${frame.node.span.offset}.${frame.copy}`;
      continue;
    }
    key += `/u${frame.use.span.offset}`;
    if (!groups.has(key)) {
      groups.set(key, {
        key,
        name: frame.def.name.name,
        args: [...frame.bindings.values()].map((binding) => (binding.value === null ? '?' : showValue(binding.value))).join(', '),
        line: frame.use.span.line,
        column: frame.use.span.column,
        parent,
      });
    }
    parent = key;
  }
  return parent;
}

/**
 * The arguments worth reading on a box, in the language's own spelling: the positional one bare, short options
 * glued (`k5`, `s2`), others as `key=value`; an argument left at its default is not shown.
 */
export function formatArgs(specs: readonly ArgSpec[], args: Readonly<Record<string, ArgValue>>): string {
  const parts: string[] = [];
  for (const spec of specs) {
    const value = args[spec.name];
    if (value === undefined) continue;
    const fallback = typeof spec.default === 'function' ? spec.default(args) : spec.default;
    if (!spec.positional && fallback !== undefined && sameValue(value, fallback)) continue;
    const text = formatValue(value);
        const glued = spec.short !== undefined && typeof value !== 'string';
    parts.push(spec.positional ? text : glued ? `${spec.short}${text}` : `${spec.name}=${text}`);
  }
  return parts.join(' ');
}

function formatValue(value: ArgValue): string {
  if (Array.isArray(value)) return value.every((v) => v === value[0]) ? String(value[0]) : value.join('x');
  return String(value);
}

function sameValue(a: ArgValue, b: ArgValue): boolean {
  return formatValue(a) === formatValue(b);
}
