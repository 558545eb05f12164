import type { ArgValue, Shape } from '../../src/ir/model.js';
import { catalogue } from '../../src/diagnostics/messages.js';
import type { ArgSpec, LayerKind, ShapeContext } from '../../src/layers/LayerKind.js';
import { layerKinds } from '../../src/layers/registry.js';
import type { Rng } from './random.js';

// A generator of VALID programs, driven by the layer registry: every kind, every argument in every written form
// (positional, short option, `key=value`, short letter as key, defaults left out or written), blocks with
// parameters and defaults used positionally and by name, repetition (glued and spaced, literal and parameter
// counts), groups, residual blocks with and without `proj`, flat and image inputs of odd sizes. Each stage is kept
// only if it fits the shape that reaches it, judged by the layer kind's own shape rule and by an independent
// model of what blocks, repetition and residual joins expand to; so the generator also predicts the expanded
// model's node count, parameter totals and output shape, which the checker must reproduce.

/** A parameter of the block being generated, standing where a value would. */
interface ParamRef {
  readonly param: string;
}
type Slot = ArgValue | ParamRef;

/** How an argument is written: `6`, `k5`, `kernel=5`, or `k=5`. */
type ArgForm = 'positional' | 'short' | 'long' | 'shortKey';

interface WrittenArg {
  readonly spec: ArgSpec;
  readonly value: Slot;
  readonly form: ArgForm;
}

interface Repetition {
  readonly count: Slot;
  readonly spaced: boolean;
}

type Stage =
  | { readonly kind: 'layer'; readonly layer: LayerKind; readonly name: string; readonly args: readonly WrittenArg[]; readonly rep?: Repetition }
  | { readonly kind: 'group'; readonly body: readonly Stage[]; readonly rep?: Repetition }
  | { readonly kind: 'residual'; readonly proj: boolean; readonly body: readonly Stage[]; readonly rep?: Repetition }
  | { readonly kind: 'use'; readonly def: BlockDef; readonly args: readonly UseArg[]; readonly rep?: Repetition };

interface BlockDef {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly default?: ArgValue }[];
  readonly body: readonly Stage[];
}

/** One argument of a block use; a parameter with a default may be left out. */
interface UseArg {
  readonly param: string;
  readonly value: Slot;
  readonly named: boolean;
}

/** What the generator predicts the checker will make of a program. */
export interface Expected {
  /** Nodes of the expanded graph: layers, projections and residual joins. */
  readonly nodes: number;
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly output: Shape;
}

/** A generated program and what it should check to. */
export interface GeneratedProgram {
  readonly source: string;
  readonly expected: Expected;
  /** The layer kinds used, for coverage figures. */
  readonly kinds: ReadonlySet<string>;
}

/** Bounds that keep a generated model cheap to compile and step on the cpu backend. */
const maxElements = 3000;
const maxParams = 40_000;
const maxNodes = 120;

/** Names a block parameter may take: not a layer, keyword, word value, short option or the repetition `x`. */
const paramNames = ['c', 'n', 'w', 'kk', 'ch', 'depth', 'size', 'width_b', 'rate_p', 'mo', 'impl_v', 'pd'];
const blockNames = ['stem', 'cbr', 'unit', 'body_a', 'tower', 'head', 'mix', 'stage_b', 'cell', 'squash'];

interface Accumulator {
  nodes: number;
  trainable: number;
  nonTrainable: number;
}

type Env = ReadonlyMap<string, ArgValue>;

class Invalid extends Error {}

/** Collects the parameters of the block being generated. */
class ParamScope {
  readonly params: { name: string; value: ArgValue }[] = [];

  constructor(private readonly rng: Rng) {}

  /** A parameter for `value` (reusing one of equal value at times), or null when no name is left. */
  slot(value: ArgValue): ParamRef | null {
    const same = this.params.find((p) => JSON.stringify(p.value) === JSON.stringify(value));
    if (same !== undefined && this.rng.chance(0.5)) return { param: same.name };
    const name = paramNames.find((candidate) => !this.params.some((p) => p.name === candidate));
    if (name === undefined) return null;
    this.params.push({ name, value });
    return { param: name };
  }

  get env(): Env {
    return new Map(this.params.map((p) => [p.name, p.value]));
  }
}

/** Generates one valid program from `rng`. */
export function generateProgram(rng: Rng): GeneratedProgram {
  return new Generator(rng).program();
}

class Generator {
  private readonly defs: BlockDef[] = [];
  private readonly defLines: string[] = [];
  private readonly kinds = new Set<string>();
  /** The values given to parameters without a default at a block's first use (`block.param`), for later uses. */
  private readonly defaultless = new Map<string, ArgValue>();

  constructor(private readonly rng: Rng) {}

  program(): GeneratedProgram {
    const { rng } = this;
    const input = this.input();
    let shape: Shape = input;
    const acc: Accumulator = { nodes: 0, trainable: 0, nonTrainable: 0 };
    const stages: Stage[] = [];
    const target = rng.between(1, 9);
    for (let i = 0; i < target && acc.nodes < maxNodes; i++) {
      const made = this.topStage(shape, acc);
      if (made === null) continue;
      stages.push(made.stage);
      shape = made.shape;
    }
    // Most models end in a classifier, as trained ones must; the rest end anywhere (NN3101 is then a warning).
    let classes: number | null = null;
    if (stages.length === 0 || rng.chance(0.75)) {
      classes = rng.chance(0.7) ? 10 : rng.between(1, 12);
      if (shape.length === 3) shape = this.push(stages, this.fixedLayer('flatten', []), shape, acc);
      shape = this.push(stages, this.fixedLayer(rng.chance(0.2) ? 'linear' : 'dense', [['out', classes]]), shape, acc);
      if (rng.chance(0.1)) shape = this.push(stages, this.fixedLayer('softmax', []), shape, acc);
    }

    const lines: string[] = [];
    if (rng.chance(0.5)) lines.push(`model ${rng.pick(['m', 'net_a', 'fuzz-model', 'lenet_like'])}`);
    if (rng.chance(0.15)) lines.push('# generated by test/fuzz/generate.ts');
    lines.push(`input ${input.join('x')}`);
    const fitsDataset = (input.length === 1 && input[0] === 784) || input.join('x') === '1x28x28';
    // A `train` line only where the model can train (NN3101 and NN3105 are errors under one).
    if (fitsDataset && shape.length === 1 && shape[0] === 10 && acc.trainable > 0 && rng.chance(0.6)) lines.push(this.trainLine());
    // A `def` comes before its first use; one never used may also come after the pipeline.
    const unused = this.defLines.filter((line) => line.startsWith('def unused'));
    const late = rng.chance(0.5);
    lines.push(...this.defLines.filter((line) => !late || !line.startsWith('def unused')));
    lines.push(...this.renderTop(stages));
    if (late) lines.push(...unused);
    const source = lines.join(rng.chance(0.05) ? '\r\n' : '\n') + (rng.chance(0.9) ? '\n' : '');
    return { source, expected: { ...acc, output: shape }, kinds: this.kinds };
  }

  private input(): Shape {
    const { rng } = this;
    switch (rng.int(6)) {
      case 0:
        return [1, 28, 28];
      case 1:
        return [784];
      case 2:
        return [rng.between(1, 64)];
      case 3:
        return [rng.between(1, 3), rng.between(1, 6), rng.between(1, 6)];
      default:
        return [rng.between(1, 3), rng.between(4, 16), rng.between(4, 16)];
    }
  }

  private trainLine(): string {
    const { rng } = this;
    const keys = [
      'dataset=fashion-mnist',
      `epochs=${rng.between(1, 20)}`,
      `batch=${rng.pick([1, 32, 256])}`,
      `lr=${rng.pick(['0.1', '1.0', '0.05', '1e-3'])}`,
      `optimizer=${rng.pick(['sgd', 'momentum', 'adam'])}`,
      `momentum=${rng.pick(['0', '0.9', '0.5'])}`,
      `seed=${rng.between(0, 99)}`,
    ];
    return `train ${rng.shuffle(keys).slice(0, rng.between(0, keys.length)).join(' ')}`.trimEnd();
  }

  /** A stage of the main pipeline: a layer, group, residual block, or the use of a (new or earlier) block. */
  private topStage(shape: Shape, acc: Accumulator): { stage: Stage; shape: Shape } | null {
    const { rng } = this;
    if (rng.chance(0.25)) {
      const earlier = this.defs.filter((def) => !def.name.startsWith('unused'));
      if (earlier.length > 0 && rng.chance(0.4)) {
        const def = rng.pick(earlier);
        const use = this.useOf(def, def.params.map((p) => ({ name: p.name, value: p.default ?? this.defaultless.get(`${def.name}.${p.name}`)! })), null);
        const tried = this.attempt(this.withRepetition(use, null), shape, acc);
        if (tried !== null) return tried;
      }
      const made = this.newBlock(shape);
      if (made !== null) {
        const tried = this.attempt(this.withRepetition(made, null), shape, acc);
        if (tried !== null) return tried;
      }
    }
    if (rng.chance(0.05) && this.defs.length < 6) this.unusedBlock(shape);
    return this.stage(shape, acc, null, 0);
  }

  /** Defines a block whose body fits `shape`, and returns its use with the values it was made with. */
  private newBlock(shape: Shape): Stage | null {
    const { rng } = this;
    const scope = new ParamScope(rng);
    const body = this.pipeline(shape, { nodes: 0, trainable: 0, nonTrainable: 0 }, scope, 1, rng.between(1, 4));
    if (body === null) return null;
    const name = blockNames.find((candidate) => !this.defs.some((d) => d.name === candidate));
    if (name === undefined) return null;
    // As in Python, parameters without a default come first.
    const withDefault = scope.params.map((p) => ({ ...p, hasDefault: rng.chance(0.4) }));
    const ordered = [...withDefault.filter((p) => !p.hasDefault), ...withDefault.filter((p) => p.hasDefault)];
    const def: BlockDef = {
      name,
      params: ordered.map((p) => (p.hasDefault ? { name: p.name, default: p.value } : { name: p.name })),
      body: body.stages,
    };
    for (const p of ordered) if (!p.hasDefault) this.defaultless.set(`${name}.${p.name}`, p.value);
    this.defs.push(def);
    this.defLines.push(this.renderDef(def));
    return this.useOf(def, ordered.map((p) => ({ name: p.name, value: p.value })), null);
  }

  /** A block that is defined and never used (NN2029, a warning); its body is checked on its own. */
  private unusedBlock(shape: Shape): void {
    const body = this.pipeline(shape, { nodes: 0, trainable: 0, nonTrainable: 0 }, null, 1, 2);
    if (body === null) return;
    const def: BlockDef = { name: `unused_${this.defs.length}`, params: [], body: body.stages };
    this.defs.push(def);
    this.defLines.push(this.renderDef(def));
  }

  /** A use of `def` giving `values`: positionally at first, then by name in any order, defaults left out at times. */
  private useOf(def: BlockDef, values: readonly { name: string; value: ArgValue }[], scope: ParamScope | null): Stage {
    const { rng } = this;
    const args: UseArg[] = [];
    let named = false;
    for (const param of def.params) {
      const value = values.find((v) => v.name === param.name)!.value;
      if (!named && rng.chance(0.3)) named = true;
      const slot: Slot = scope !== null && rng.chance(0.3) ? (scope.slot(value) ?? value) : value;
      if (named && param.default !== undefined && JSON.stringify(param.default) === JSON.stringify(value) && rng.chance(0.5)) continue;
      args.push({ param: param.name, value: slot, named });
    }
    const positional = args.filter((a) => !a.named);
    return { kind: 'use', def, args: [...positional, ...rng.shuffle(args.filter((a) => a.named))] };
  }

  /** Stages that fit `shape` one after another (at least one), or null. */
  private pipeline(
    shape: Shape,
    acc: Accumulator,
    scope: ParamScope | null,
    depth: number,
    length: number,
  ): { stages: Stage[]; shape: Shape } | null {
    const stages: Stage[] = [];
    let current = shape;
    for (let i = 0; i < length; i++) {
      const made = this.stage(current, acc, scope, depth);
      if (made === null) continue;
      stages.push(made.stage);
      current = made.shape;
    }
    return stages.length === 0 ? null : { stages, shape: current };
  }

  /** One stage that fits `shape`: tries a few candidates, each judged by `infer`. */
  private stage(shape: Shape, acc: Accumulator, scope: ParamScope | null, depth: number): { stage: Stage; shape: Shape } | null {
    const { rng } = this;
    for (let attempt = 0; attempt < 12; attempt++) {
      let stage: Stage | null;
      const roll = rng.next();
      if (depth < 3 && roll < 0.08) {
        const body = this.pipeline(shape, { ...acc }, scope, depth + 1, rng.between(1, 3));
        stage = body === null ? null : { kind: 'group', body: body.stages };
      } else if (depth < 3 && roll < 0.18) {
        const body = this.pipeline(shape, { ...acc }, scope, depth + 1, rng.between(1, 4));
        stage = body === null ? null : { kind: 'residual', proj: rng.chance(0.5), body: body.stages };
      } else if (scope !== null && roll < 0.22 && this.defs.some((d) => !d.name.startsWith('unused'))) {
        // A block that uses an earlier block, passing on its own parameters at times.
        const def = rng.pick(this.defs.filter((d) => !d.name.startsWith('unused')));
        const values = def.params.map((p) => ({ name: p.name, value: p.default ?? this.defaultless.get(`${def.name}.${p.name}`)! }));
        stage = this.useOf(def, values, scope);
      } else {
        stage = this.layer(shape, scope);
      }
      if (stage === null) continue;
      const tried = this.attempt(this.withRepetition(stage, scope), shape, acc, scope?.env);
      if (tried !== null) return tried;
    }
    return null;
  }

  /** `stage` with a repetition at times (glued `x2`, spaced `x 2`, or a parameter `x n`). */
  private withRepetition(stage: Stage, scope: ParamScope | null): Stage {
    const { rng } = this;
    if (!rng.chance(0.15)) return stage;
    const count = rng.between(1, 3);
    const slot: Slot = scope !== null && rng.chance(0.3) ? (scope.slot(count) ?? count) : count;
    return { ...stage, rep: { count: slot, spaced: typeof slot !== 'number' || rng.chance(0.3) } };
  }

  /** Runs `stage` on `shape`; on success adds what it makes to `acc`. */
  private attempt(stage: Stage, shape: Shape, acc: Accumulator, env: Env = new Map(), bounded = true): { stage: Stage; shape: Shape } | null {
    const trial = { ...acc };
    try {
      const out = this.infer(stage, shape, env, trial);
      if (bounded && (trial.nodes > maxNodes || trial.trainable + trial.nonTrainable > maxParams)) return null;
      Object.assign(acc, trial);
      this.note(stage);
      return { stage, shape: out };
    } catch (error) {
      if (error instanceof Invalid) return null;
      throw error;
    }
  }

  private note(stage: Stage): void {
    if (stage.kind === 'layer') this.kinds.add(stage.layer.name);
    else if (stage.kind === 'use') stage.def.body.forEach((s) => this.note(s));
    else stage.body.forEach((s) => this.note(s));
  }

  /** Appends a stage that must fit (the classifier head). */
  private push(stages: Stage[], stage: Stage, shape: Shape, acc: Accumulator): Shape {
    const made = this.attempt(stage, shape, acc, new Map(), false);
    if (made === null) throw new Error(`internal: the generator's head does not fit ${shape.join('x')}`);
    stages.push(stage);
    return made.shape;
  }

  private fixedLayer(name: string, args: readonly [string, ArgValue][]): Stage {
    const layer = layerKinds.find((k) => k.name === name || k.aliases?.includes(name))!;
    return {
      kind: 'layer',
      layer,
      name,
      args: args.map(([arg, value]) => {
        const spec = layer.args.find((s) => s.name === arg)!;
        return { spec, value, form: spec.positional === true ? 'positional' : 'long' };
      }),
    };
  }

  /** A layer of a random kind with random arguments (judged later). */
  private layer(shape: Shape, scope: ParamScope | null): Stage {
    const { rng } = this;
    // Fewer flattens, so that images stay images for a while.
    const candidates = layerKinds.filter((k) => k.name !== 'flatten' || rng.chance(shape.length === 3 ? 0.25 : 0.1));
    // The layers that learn and change shapes more often than the many that keep them.
    for (const name of ['conv', 'conv', 'dense', 'dense', 'avgpool', 'maxpool']) {
      const kind = layerKinds.find((k) => k.name === name);
      if (kind !== undefined) candidates.push(kind);
    }
    const layer = rng.pick(candidates);
    const names = [layer.name, ...(layer.aliases ?? [])];
    const args: WrittenArg[] = [];
    for (const spec of layer.args) {
      if (spec.default !== undefined && rng.chance(0.6)) continue;
      const value = this.argValue(spec, shape);
      const forms: ArgForm[] = ['long'];
      if (spec.positional === true) forms.push('positional', 'positional');
      const numeric = typeof value === 'number' || Array.isArray(value);
      if (spec.short !== undefined && numeric) forms.push('short', 'short');
      if (spec.short !== undefined) forms.push('shortKey');
      const form = rng.pick(forms);
      let slot: Slot = value;
      if (scope !== null && (form === 'positional' || form === 'long') && rng.chance(0.35)) slot = scope.slot(value) ?? value;
      args.push({ spec, value: slot, form });
    }
    return { kind: 'layer', layer, name: rng.pick(names), args: rng.shuffle(args) };
  }

  /** A value of an argument's type, in a range that keeps models small. */
  private argValue(spec: ArgSpec, shape: Shape): ArgValue {
    const { rng } = this;
    const type = spec.type;
    switch (type.kind) {
      case 'int': {
        const low = type.min ?? 0;
        const high = spec.positional === true ? (shape.length === 3 ? 8 : 24) : 4;
        return rng.between(Math.max(low, spec.positional === true ? 1 : low), Math.max(low, high));
      }
      case 'number': {
        const low = type.min ?? 0;
        if (type.max !== undefined) {
          const fractions = [0, 0.1, 0.25, 0.5, 0.9].filter((f) => !(f === 0 && type.minExclusive === true));
          return Number((low + (type.max - low) * rng.pick(fractions)).toPrecision(6));
        }
        const values = [1e-5, 0.001, 0.1, 1, 2].filter((v) => v > low || (v === low && type.minExclusive !== true));
        return rng.pick(values);
      }
      case 'pair': {
        const low = type.min ?? 0;
        const a = rng.between(low, low + 3);
        return rng.chance(0.75) ? [a, a] : [a, rng.between(low, low + 3)];
      }
      case 'pad': {
        if (rng.chance(0.2)) return 'same';
        const a = rng.between(0, 2);
        return rng.chance(0.8) ? [a, a] : [a, rng.between(0, 2)];
      }
      case 'bool':
        return rng.chance(0.5);
      case 'enum':
        return rng.pick(type.values);
    }
  }

  /** The shape `stage` turns `shape` into, counting what it makes; throws Invalid when it does not fit. */
  private infer(stage: Stage, shape: Shape, env: Env, acc: Accumulator): Shape {
    const count = stage.rep === undefined ? 1 : this.resolve(stage.rep.count, env);
    if (typeof count !== 'number' || count < 1) throw new Error('internal: a repetition count that is not a count');
    let out = shape;
    for (let i = 0; i < count; i++) out = this.inferOnce(stage, out, env, acc);
    return out;
  }

  private inferOnce(stage: Stage, shape: Shape, env: Env, acc: Accumulator): Shape {
    switch (stage.kind) {
      case 'layer':
        return this.inferLayer(stage.layer, stage.args, shape, env, acc);
      case 'group':
        return stage.body.reduce((s, inner) => this.infer(inner, s, env, acc), shape);
      case 'use': {
        const inner = new Map<string, ArgValue>();
        for (const p of stage.def.params) {
          const given = stage.args.find((a) => a.param === p.name);
          const value = given !== undefined ? this.resolve(given.value, env) : p.default;
          if (value === undefined) throw new Error(`internal: block ${stage.def.name} used without ${p.name}`);
          inner.set(p.name, value);
        }
        return stage.def.body.reduce((s, body) => this.infer(body, s, inner, acc), shape);
      }
      case 'residual': {
        const body = stage.body.reduce((s, inner) => this.infer(inner, s, env, acc), shape);
        acc.nodes += 1; // the join
        if (body.length !== shape.length) throw new Invalid();
        if (body.every((size, i) => size === shape[i])) return body;
        if (!stage.proj) throw new Invalid();
        if (shape.length === 1) {
          acc.nodes += 1;
          acc.trainable += shape[0]! * body[0]!;
          return body;
        }
        // A 1x1 convolution at some stride s reaches ceil(H / s) x ceil(W / s); found by search, not by formula.
        const reaches = (from: number, to: number): boolean => Array.from({ length: from }, (_, s) => Math.ceil(from / (s + 1))).includes(to);
        if (!reaches(shape[1]!, body[1]!) || !reaches(shape[2]!, body[2]!)) throw new Invalid();
        acc.nodes += 1;
        acc.trainable += shape[0]! * body[0]!;
        return body;
      }
    }
  }

  private inferLayer(kind: LayerKind, written: readonly WrittenArg[], shape: Shape, env: Env, acc: Accumulator): Shape {
    const args: Record<string, ArgValue> = {};
    for (const arg of written) args[arg.spec.name] = this.resolve(arg.value, env);
    for (const spec of kind.args) {
      if (args[spec.name] !== undefined) continue;
      if (spec.default === undefined) throw new Error(`internal: ${kind.name} generated without ${spec.name}`);
      args[spec.name] = typeof spec.default === 'function' ? spec.default(args) : spec.default;
    }
    // Numbers the checker stores as pairs: `k5` is [5, 5].
    for (const spec of kind.args) {
      const value = args[spec.name];
      if ((spec.type.kind === 'pair' || spec.type.kind === 'pad') && typeof value === 'number') args[spec.name] = [value, value];
    }
    let failed = false;
    const ctx: ShapeContext = {
      layerName: kind.name,
      report(code, _message, options) {
        const severity = options?.severity ?? (catalogue as Record<string, { severity: string }>)[code]?.severity ?? 'error';
        if (severity === 'error') failed = true;
      },
      spanOf: () => ({ offset: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 }),
    };
    if (kind.checkArgs !== undefined && !kind.checkArgs(args, ctx)) throw new Invalid();
    const out = kind.inferShape(shape, args, ctx);
    if (out === null || failed) throw new Invalid();
    if (out.some((d) => !Number.isInteger(d) || d < 1) || out.reduce((p, d) => p * d, 1) > maxElements) throw new Invalid();
    const params = kind.params(shape, args);
    acc.nodes += 1;
    acc.trainable += params.trainable;
    acc.nonTrainable += params.nonTrainable;
    return out;
  }

  private resolve(slot: Slot, env: Env): ArgValue {
    if (typeof slot === 'object' && !Array.isArray(slot)) {
      const value = env.get((slot as ParamRef).param);
      if (value === undefined) throw new Error(`internal: parameter ${(slot as ParamRef).param} has no value`);
      return value;
    }
    return slot as ArgValue;
  }

  // Rendering --------------------------------------------------------------------------------------------------

  /** The main pipeline: stages chained by `|`, over lines at times (after `|`, or as consecutive statements). */
  private renderTop(stages: readonly Stage[]): string[] {
    const { rng } = this;
    const lines: string[] = [];
    let line = '';
    stages.forEach((stage, i) => {
      const text = this.renderStage(stage, 0);
      if (i === 0) line = text;
      else {
        const joint = rng.pick([' | ', ' | ', ' |\n  ', 'NEW']);
        if (joint === 'NEW') {
          lines.push(this.comment(line));
          line = text;
        } else line += joint + text;
      }
    });
    if (line !== '') lines.push(this.comment(line));
    return lines;
  }

  private comment(line: string): string {
    return this.rng.chance(0.1) ? `${line}   # a comment | with ( brackets` : line;
  }

  private renderDef(def: BlockDef): string {
    const { rng } = this;
    const params = def.params.map((p) => (p.default === undefined ? p.name : `${p.name}=${this.renderValue(p.default)}`));
    const header = def.params.length === 0 && rng.chance(0.3) ? '' : `(${params.join(rng.chance(0.2) ? ',\n  ' : ', ')})`;
    const body = def.body.map((s) => this.renderStage(s, 1)).join(rng.chance(0.2) ? ' |\n  ' : ' | ');
    return `def ${def.name}${header} =${rng.chance(0.2) ? '\n  ' : ' '}${body}`;
  }

  private renderStage(stage: Stage, depth: number): string {
    let text: string;
    switch (stage.kind) {
      case 'layer':
        text = [stage.name, ...stage.args.map((a) => this.renderArg(a))].join(' ');
        break;
      case 'group':
        text = `(${stage.body.map((s) => this.renderStage(s, depth + 1)).join(' | ')})`;
        break;
      case 'residual': {
        const inner = stage.body.map((s) => this.renderStage(s, depth + 1)).join(this.rng.chance(0.2) ? ' |\n    ' : ' | ');
        text = `residual ${stage.proj ? 'proj ' : ''}{ ${inner} }`;
        break;
      }
      case 'use':
        text = `${stage.def.name}(${stage.args.map((a) => (a.named ? `${a.param}=` : '') + this.renderSlot(a.value)).join(', ')})`;
        break;
    }
    if (stage.rep === undefined) return text;
    const count = this.renderSlot(stage.rep.count);
    // After a number, `6 x 3` would be a size: a spaced count follows a name or a bracket only.
    if (stage.rep.spaced) return /[0-9.]$/.test(text) ? `(${text}) x ${count}` : `${text} x ${count}`;
    return `${text} x${count}`;
  }

  private renderArg(arg: WrittenArg): string {
    const value = this.renderSlot(arg.value);
    switch (arg.form) {
      case 'positional':
        return value;
      case 'short':
        return `${arg.spec.short}${value}`;
      case 'shortKey':
        return `${arg.spec.short}=${value}`;
      case 'long':
        return `${arg.spec.name}=${value}`;
    }
  }

  private renderSlot(slot: Slot): string {
    if (typeof slot === 'object' && !Array.isArray(slot)) return (slot as ParamRef).param;
    return this.renderValue(slot as ArgValue);
  }

  private renderValue(value: ArgValue): string {
    if (Array.isArray(value)) return value[0] === value[1] && this.rng.chance(0.7) ? String(value[0]) : value.join('x');
    if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
    return String(value);
  }
}
