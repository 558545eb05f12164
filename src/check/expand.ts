import type { Shape } from '../ir/model.js';
import { replaceFix, spanAfter, spanBefore, type Fix, type RelatedLocation, type Severity, type Span } from '../diagnostics/Diagnostic.js';
import type { Code } from '../diagnostics/messages.js';
import type { ArgSpec, LayerKind, ShapeContext } from '../layers/LayerKind.js';
import { findLayerKind, layerNameHints, layerNames } from '../layers/registry.js';
import type {
  ArgNode,
  BlockUseNode,
  DefNode,
  ExpectNode,
  IdentNode,
  LayerNode,
  ParamNode,
  RepeatNode,
  ResidualNode,
  StageNode,
  ValueNode,
} from '../syntax/ast.js';
import { isCode, type Reporter } from './Reporter.js';
import type { SyntaxDamage } from './SyntaxDamage.js';
import { argumentWords, type BlockTable } from './blocks.js';
import { didYouMean, listNames } from './didYouMean.js';
import { addOp, type Binding, type Bindings, type Frame, type GraphNode } from './graph.js';
import { joinResidual } from './residual.js';
import { resolveArgs } from './resolveArgs.js';
import { showBindings, siteOf } from './sites.js';
import { showValue } from './values.js';
import { formatShape } from '../ir/layout.js';

/**
 * The most layers and joins one model may have (NN2030): TensorFlow.js walks a model's graph recursively when it
 * builds it, and past about 4,400 nodes in a chain it runs out of call stack. 4,000 leaves a margin, and a test
 * compiles and trains a model of exactly this many.
 */
export const maxModelNodes = 4_000;

/**
 * The most nodes blocks and repetition may make in one model (NN2028): as many as a model may have, measured before
 * expanding, so that `x1000000` is refused before it runs.
 */
export const maxExpandedNodes = maxModelNodes;

/** How deeply block uses, groups, repetitions and residual bodies may nest while expanding. */
export const maxNesting = 100;

/** What flows between stages: the node whose output it is (-1 for the model input) and its shape, if known. */
interface Value {
  readonly id: number;
  readonly shape: Shape | null;
}

/** Where expansion stands: the frames it came through and the values of the innermost block's parameters. */
interface Scope {
  readonly frames: readonly Frame[];
  readonly bindings: Bindings;
  /** The block being expanded (or checked on its own); null in the main pipeline. */
  readonly def: DefNode | null;
  /** A syntax error lies before this point: a layer may be missing, so shapes are not checked. */
  readonly untrusted: boolean;
  readonly depth: number;
  /** Inside a block use or a repetition: the nodes made count against `maxExpandedNodes`. */
  readonly counted: boolean;
}

const noBindings: Bindings = new Map();

const unknownAfter = (value: Value): Value => ({ id: value.id, shape: null });

/** Everything an expansion reads besides the syntax. */
export interface ExpandContext {
  readonly reporter: Reporter;
  readonly damage: SyntaxDamage;
  readonly blocks: BlockTable;
}

/**
 * Expands the main pipeline into the checked graph and infers every shape in the same pass: block uses are
 * replaced by their bodies with the parameters' values substituted, repetitions by copies, residual blocks by
 * their body, an optional projection and an `add` join. Shapes are needed while expanding (whether `proj`
 * projects depends on them), so this is also the checker's one inference pass.
 *
 * An unknown shape (after any problem) stays unknown downstream and is never checked, so one mistake gives one
 * diagnostic while independent mistakes further on are still found.
 */
export class Expander {
  /** The expanded graph, in a topological order. */
  readonly nodes: GraphNode[] = [];
  /** Blocks whose body was expanded at least once; the others are checked on their own (`checkAlone`). */
  readonly entered = new Set<DefNode>();
  private made = 0;
  private stopped = false;
  private readonly sizes = new Map<string, number>();

  /** `alone`: checking a block without a use, so only what its definition alone decides is reported. */
  constructor(
    private readonly context: ExpandContext,
    private readonly alone = false,
  ) {}

  /** Expands the file's pipeline from the model input; returns the id and shape of the model's output. */
  expandMain(stages: readonly StageNode[], input: Shape | null): { id: number; shape: Shape | null } {
    let value: Value = { id: -1, shape: input };
    for (const stage of stages) {
      const scope: Scope = {
        frames: [],
        bindings: noBindings,
        def: null,
        untrusted: this.context.damage.reaches(stage),
        depth: 0,
        counted: false,
      };
      value = this.stage(stage, value, scope);
    }
    return value;
  }

  /**
   * Checks a block that the model never expands, with its parameters at their defaults or unknown: unknown
   * names, arguments, literal values and the uses inside it. Nested blocks and repetitions are not entered
   * (they are checked where they are defined), so this costs the size of the definition.
   */
  checkAlone(def: DefNode): void {
    const bindings = new Map<string, Binding>();
    for (const param of def.params) {
      if (!bindings.has(param.name.name)) bindings.set(param.name.name, { param, value: param.default, defaulted: true });
    }
    const scope: Scope = { frames: [], bindings, def, untrusted: true, depth: 0, counted: false };
    this.pipeline(def.body.layers, { id: -1, shape: null }, scope);
  }

  private report(
    scope: Scope,
    code: Code,
    message: string,
    span: Span,
    dependent: boolean,
    related: readonly RelatedLocation[] = [],
    options: { readonly severity?: Severity; readonly copies?: boolean; readonly fix?: Fix } = {},
  ): void {
    // On its own a block has no use to blame, and its defaults are not what a use will pass.
    if (dependent && this.alone) return;
    const site = siteOf(scope.frames, span, message, dependent, related, options.copies);
    const shown = site.related.length > 0 ? site.related : undefined;
    // A fix edits where the problem is written; one reported at a block use instead would edit the wrong place.
    const fix = site.span === span ? options.fix : undefined;
    this.context.reporter.report(code, site.message, site.span, shown, options.severity, fix);
  }

  private pipeline(stages: readonly StageNode[], input: Value, scope: Scope): Value {
    let value = input;
    for (const stage of stages) value = this.stage(stage, value, scope);
    return value;
  }

  private stage(stage: StageNode, input: Value, scope: Scope): Value {
    if (this.stopped) return unknownAfter(input);
    if (scope.depth > maxNesting) {
      this.stopped = true;
      this.report(
        scope,
        'NN2028',
        `Blocks, groups, repetitions and residual blocks nest more than ${maxNesting} deep here; nest them less.`,
        stage.span,
        true,
      );
      return unknownAfter(input);
    }
    switch (stage.kind) {
      case 'Layer':
        return this.layer(stage, input, scope);
      case 'BlockUse':
        return this.use(stage, input, scope);
      case 'Repeat':
        return this.repeat(stage, input, scope);
      case 'Group':
        return this.pipeline(stage.body.layers, input, { ...scope, depth: scope.depth + 1 });
      case 'Residual':
        return this.residual(stage, input, scope);
      case 'Expect':
        this.expectation(stage, input, scope);
        return input;
    }
  }

  /**
   * NN3008 when the shape reaching an `expect` is not the one written. It adds no node, so the value flows on as
   * it came. Inside a block the shape depends on the use: reported there, with the `expect` in the definition.
   */
  private expectation(node: ExpectNode, input: Value, scope: Scope): void {
    if (input.shape === null || scope.untrusted || this.context.damage.reaches(node)) return;
    const expected = node.dims.map((dim) => dim.value);
    if (expected.length === input.shape.length && expected.every((size, i) => size === input.shape![i])) return;
    const written = node.dims.map((dim) => dim.text).join('x');
    const here = formatShape(input.shape);
    this.report(
      scope,
      'NN3008',
      `\`expect ${written}\` but the shape here is \`${here}\`; change the layers before it, or write \`expect ${here}\`.`,
      node.span,
      true,
      [],
      { copies: true },
    );
  }

  private emit(node: Omit<GraphNode, 'index'>, scope: Scope): Value {
    if (scope.counted && !this.alone) {
      this.made++;
      // Repetitions are measured before they run; this catches blocks that double through nesting alone.
      if (this.made > maxExpandedNodes) {
        this.stopped = true;
        const outer = scope.frames[0];
        const span = outer === undefined ? node.span : outer.kind === 'use' ? outer.use.span : outer.node.span;
        this.context.reporter.report(
          'NN2028',
          `Blocks and repetition make more than ${formatCount(maxExpandedNodes)} nodes by here, the most a model may ` +
            'have from them; use fewer or smaller blocks.',
          span,
        );
      }
    }
    if (!this.stopped && !this.alone && this.nodes.length >= maxModelNodes) {
      this.stopped = true;
      this.context.reporter.report(
        'NN2030',
        `The model has more than ${formatCount(maxModelNodes)} layers and joins by here, the most netc compiles ` +
          '(TensorFlow.js builds a deeper graph recursively and runs out of stack); use fewer layers.',
        node.span,
      );
    }
    const index = this.nodes.length;
    this.nodes.push({ ...node, index });
    return { id: index, shape: node.output };
  }

  // Layers

  private layer(node: LayerNode, input: Value, scope: Scope): Value {
    const name = node.name.name;
    const kind = findLayerKind(name);
    const afterSyntaxError = scope.untrusted || this.context.damage.reaches(node);
    const common = {
      role: 'layer' as const,
      name,
      span: node.span,
      inputs: [input.id],
      frames: scope.frames,
      input: input.shape,
      afterSyntaxError,
    };
    if (kind === undefined) {
      const guess = this.layerGuess(name, scope);
      const fix = guess === undefined ? undefined : replaceFix(node.name.span, name, guess);
      this.report(scope, 'NN2001', this.unknownLayerMessage(name, scope), node.name.span, false, [], fix === undefined ? {} : { fix });
      return this.emit({ ...common, kind: null, args: {}, argSpans: {}, complete: false, output: null }, scope);
    }

    const { layer, unknown, substituted } = this.substitute(node, kind, scope);
    const resolved = resolveArgs(
      kind,
      layer,
      (code, message, span, related, fix) =>
        this.report(scope, code, message, span, substituted.has(span), related, fix === undefined ? {} : { fix }),
      { damaged: this.context.damage.damaged(node), unknown },
    );
    let output: Shape | null = null;
    if (resolved.complete) {
      const spanOf = (arg: string): Span => resolved.spans[arg] ?? node.span;
      const shapeContext = (dependent: boolean, copies: boolean): ShapeContext => ({
        layerName: name,
        spanOf,
        report: (code, message, options) => {
          if (!isCode(code)) throw new Error(`internal: layer kind '${name}' reported unknown code ${code}`);
          const span = options?.arg === undefined ? node.span : spanOf(options.arg);
          const severity = options?.severity === undefined ? {} : { severity: options.severity };
          const insert = options?.insertBefore;
          const fix = insert === undefined ? {} : { fix: { title: `Insert \`${insert.replace(/[ |]+$/, '')}\` before \`${name}\``, edits: [{ span: spanBefore(node.span), text: insert }] } };
          this.report(scope, code, message, span, dependent, [], { copies, ...severity, ...fix });
        },
      });
      // What the arguments alone decide depends on the use only through substituted values; a shape depends on
      // everything before it, down to the repetition copy.
      const argsOk = kind.checkArgs?.(resolved.args, shapeContext(substituted.size > 0, false)) ?? true;
      if (argsOk && input.shape !== null && !afterSyntaxError) {
        output = kind.inferShape(input.shape, resolved.args, shapeContext(true, true));
      }
    }
    return this.emit({ ...common, kind, args: resolved.args, argSpans: resolved.spans, complete: resolved.complete, output }, scope);
  }

  /**
   * The layer with each parameter replaced by its value (the argument keeps its own span, so problems are found
   * where the parameter is written, and messages show the value). Returns the spans of the substituted arguments
   * (problems there depend on the use) and the arguments whose value is unknown.
   */
  private substitute(
    node: LayerNode,
    kind: LayerKind,
    scope: Scope,
  ): { layer: LayerNode; unknown: Set<ArgNode>; substituted: Set<Span> } {
    const args: ArgNode[] = [];
    const unknown = new Set<ArgNode>();
    const substituted = new Set<Span>();
    let positional = 0;
    for (const arg of node.args) {
      const index = arg.kind === 'PositionalArg' ? positional++ : -1;
      if (arg.kind === 'ShortArg' || arg.value.kind !== 'Ident') {
        args.push(arg);
        continue;
      }
      const binding = scope.bindings.get(arg.value.name);
      if (binding !== undefined) {
        substituted.add(arg.span);
        if (binding.value === null) {
          args.push(arg);
          unknown.add(arg);
        } else {
          args.push({ ...arg, value: binding.value });
        }
        continue;
      }
      const verdict = this.checkName(arg, arg.value, kind, index, node, scope);
      if (verdict === 'drop') continue;
      args.push(arg);
      if (verdict === 'unknown') unknown.add(arg);
    }
    return { layer: { ...node, args }, unknown, substituted };
  }

  /**
   * A name in argument position that is not a parameter: a layer or block written without `|` before it (dropped,
   * with the fix), a misspelt or unknown parameter inside a block (unknown), or a word value left to the layer's
   * own argument check (kept).
   */
  private checkName(
    arg: ArgNode,
    ident: IdentNode,
    kind: LayerKind,
    index: number,
    node: LayerNode,
    scope: Scope,
  ): 'keep' | 'drop' | 'unknown' {
    const name = ident.name;
    const layerName = node.name.name;
    if (arg.kind === 'PositionalArg' && !argumentWords.has(name)) {
      if (findLayerKind(name) !== undefined) {
        const message = `\`${name}\` is a layer, not an argument of \`${layerName}\`; did you mean \`| ${name}\`?`;
        this.report(scope, 'NN2026', message, ident.span, false);
        return 'drop';
      }
      if (this.context.blocks.find(name) !== undefined) {
        this.report(
          scope,
          'NN2026',
          `\`${name}\` is a block, not an argument of \`${layerName}\`; did you mean \`| ${name}(...)\`?`,
          ident.span,
          false,
        );
        return 'drop';
      }
    }
    if (scope.def === null) return 'keep';
    const spec = specFor(kind, arg, index);
    if (spec === undefined) return 'keep';
    const params = [...scope.bindings.keys()];
    const guess = didYouMean(name, params);
    const takesWords = spec.type.kind === 'enum' || spec.type.kind === 'bool' || spec.type.kind === 'pad';
    if (guess === undefined && (takesWords || argumentWords.has(name))) return 'keep';
    this.report(scope, 'NN2026', notAParameter(name, scope.def, params, guess), ident.span, false);
    return 'unknown';
  }

  /** The layer kind an unknown layer name most likely meant, when the message proposes one (a quick fix). */
  private layerGuess(name: string, scope: Scope): string | undefined {
    if (this.context.blocks.find(name) !== undefined || (scope.def !== null && scope.bindings.has(name))) return undefined;
    const guess = layerNameHints[name] ?? didYouMean(name, [...layerNames(), ...this.context.blocks.names()]);
    return guess !== undefined && findLayerKind(guess) !== undefined ? guess : undefined;
  }

  private unknownLayerMessage(name: string, scope: Scope): string {
    if (this.context.blocks.find(name) !== undefined) {
      return `\`${name}\` is a block, not a layer; use it with its arguments in parentheses, as in \`${name}(...)\`.`;
    }
    if (scope.def !== null && scope.bindings.has(name)) {
      return (
        `\`${name}\` is a parameter of \`${scope.def.name.name}\`; a parameter stands for a value, ` +
        'such as the `c` of `conv c k3`, not for a layer.'
      );
    }
    const hinted = layerNameHints[name];
    if (hinted === 'bn') {
      return `Unknown layer \`${name}\`; did you mean \`bn\`? It picks BatchNorm1d or BatchNorm2d from its input.`;
    }
    const blocks = this.context.blocks.names();
    const guess = hinted ?? didYouMean(name, [...layerNames(), ...blocks]);
    if (guess !== undefined && findLayerKind(guess) === undefined) {
      return `Unknown layer \`${name}\`; did you mean the block \`${guess}(...)\`?`;
    }
    if (guess !== undefined) return `Unknown layer \`${name}\`; did you mean \`${guess}\`?`;
    // `inptu 784` parses as a layer; the likely slip is a statement keyword.
    const statement = didYouMean(name, ['input', 'model', 'train', 'def']);
    if (statement !== undefined) return `Unknown layer \`${name}\`; did you mean the \`${statement}\` statement?`;
    if (didYouMean(name, ['residual']) !== undefined) return `Unknown layer \`${name}\`; did you mean \`residual { ... }\`?`;
    return `Unknown layer \`${name}\`; the layers are ${listNames(layerNames(), 'and')}.`;
  }

  // Block uses

  private use(use: BlockUseNode, input: Value, scope: Scope): Value {
    const name = use.name.name;
    const def = this.context.blocks.find(name);
    if (def === undefined) {
      // A `def` line the parser could not read may be the one this use needs.
      if (!this.context.damage.any) {
        const guess = findLayerKind(name) === undefined ? didYouMean(name, [...this.context.blocks.names(), ...layerNames()]) : undefined;
        const fix = guess !== undefined && findLayerKind(guess) === undefined ? { fix: replaceFix(use.name.span, name, guess) } : {};
        this.report(scope, 'NN2017', this.unknownBlockMessage(name), use.name.span, false, [], fix);
      }
      return unknownAfter(input);
    }
    const bindings = this.bind(use, def, scope, true);
    if (this.context.blocks.refused.has(use) || this.alone) return unknownAfter(input);
    this.entered.add(def);
    const inner: Scope = {
      frames: [...scope.frames, { kind: 'use', use, def, bindings }],
      bindings,
      def,
      untrusted: scope.untrusted || this.context.damage.damaged(use),
      depth: scope.depth + 1,
      counted: true,
    };
    return this.pipeline(def.body.layers, input, inner);
  }

  private unknownBlockMessage(name: string): string {
    if (findLayerKind(name) !== undefined) {
      return `\`${name}\` is a layer, not a block; write its arguments after its name, without parentheses.`;
    }
    const blocks = this.context.blocks.names();
    const guess = didYouMean(name, [...blocks, ...layerNames()]);
    if (guess !== undefined && findLayerKind(guess) !== undefined) {
      return `Unknown block \`${name}\`; did you mean the layer \`${guess}\`?`;
    }
    if (guess !== undefined) return `Unknown block \`${name}\`; did you mean \`${guess}\`?`;
    if (blocks.length === 0) return `Unknown block \`${name}\`; define it before its use with \`def ${name}(...) = ...\`.`;
    return `Unknown block \`${name}\`; the blocks are ${listNames(blocks, 'and')}.`;
  }

  /**
   * The values a use gives the block's parameters: positional arguments in order, then `name=value`, then
   * defaults; names inside the value are the enclosing block's parameters. `loud` reports what is wrong
   * (the size count binds quietly). A parameter without a value is unknown, so the body is still checked.
   */
  private bind(use: BlockUseNode, def: DefNode, scope: Scope, loud: boolean): Bindings {
    const defName = def.name.name;
    const params: ParamNode[] = [];
    for (const param of def.params) if (!params.some((p) => p.name.name === param.name.name)) params.push(param);
    const defined: RelatedLocation[] = [{ message: `\`${defName}\` is defined here.`, span: def.name.span }];
    // With a syntax error in either, the parameters or the arguments may have been dropped by the parser.
    const trusted = loud && !this.context.blocks.damagedDefs.has(def) && !this.context.damage.damaged(use);
    const given = new Map<string, { value: ValueNode | null; arg: ArgNode }>();
    let positional = 0;
    let firstNamed: ArgNode | undefined;
    // A rejected argument was most likely meant for a parameter that then looks missing: say so only once.
    let rejected = false;

    for (const arg of use.args) {
      let param: ParamNode | undefined;
      if (arg.kind === 'PositionalArg') {
        if (firstNamed !== undefined) {
          if (trusted) {
            this.report(
              scope,
              'NN2022',
              `The argument ${showValue(arg.value)} of \`${defName}\` comes after the named argument ` +
                `\`${writtenArg(firstNamed)}\`; ` +
                'put positional arguments first, or name this one too.',
              arg.span,
              false,
            );
          }
          rejected = true;
          continue;
        }
        param = params[positional++];
        if (param === undefined) {
          if (trusted) this.report(scope, 'NN2022', tooManyArguments(defName, params, arg.value), arg.span, false, defined);
          continue;
        }
      } else {
        firstNamed ??= arg;
        const key = arg.key.name;
        param = params.find((p) => p.name.name === key);
        if (param === undefined) {
          if (trusted) this.report(scope, 'NN2023', unknownParameter(defName, key, params), arg.key.span, false, defined);
          rejected = true;
          continue;
        }
      }
      const name = param.name.name;
      const first = given.get(name);
      if (first !== undefined) {
        if (loud) {
          this.report(
            scope,
            'NN2003',
            `\`${name}\` of \`${defName}\` is given twice (\`${writtenArg(first.arg)}\` and \`${writtenArg(arg)}\`); keep one.`,
            arg.span,
            false,
            [{ message: `\`${name}\` is first given here.`, span: first.arg.span }],
          );
        }
        continue;
      }
      given.set(name, { value: this.argumentValue(arg.value, scope, loud), arg });
    }

    const bindings = new Map<string, Binding>();
    for (const param of params) {
      const name = param.name.name;
      const value = given.get(name);
      if (value !== undefined) {
        bindings.set(name, { param, value: value.value, defaulted: false });
        continue;
      }
      if (param.default !== null) {
        bindings.set(name, { param, value: param.default, defaulted: true });
        continue;
      }
      if (trusted && !rejected) {
        this.report(
          scope,
          'NN2024',
          `\`${defName}\` needs a value for \`${name}\`, which has no default; pass one, as in \`${defName}(${name}=...)\`.`,
          use.span,
          false,
          [{ message: `\`${name}\` is declared here.`, span: param.span }],
        );
      }
      bindings.set(name, { param, value: null, defaulted: false });
    }
    return bindings;
  }

  /** An argument's value as the block will see it: the enclosing block's parameter replaced by its value. */
  private argumentValue(value: ValueNode, scope: Scope, loud: boolean): ValueNode | null {
    if (value.kind !== 'Ident') return value;
    const binding = scope.bindings.get(value.name);
    if (binding !== undefined) return binding.value;
    if (scope.def !== null && !argumentWords.has(value.name)) {
      const params = [...scope.bindings.keys()];
      const guess = didYouMean(value.name, params);
      if (guess !== undefined) {
        if (loud) this.report(scope, 'NN2026', notAParameter(value.name, scope.def, params, guess), value.span, false);
        return null;
      }
    }
    // Any other word is passed on as it is: `same` for a padding, `scratch` for `impl`.
    return value;
  }

  // Repetition

  private repeat(node: RepeatNode, input: Value, scope: Scope): Value {
    const count = this.repeatCount(node, scope, true);
    const copy = (n: number, of: number): Scope => ({
      ...scope,
      frames: [...scope.frames, { kind: 'repeat', node, copy: n, count: of }],
      depth: scope.depth + 1,
      counted: true,
    });
    const each = count === null ? 0 : this.sizeOf(node.body, scope, 0);
    // A body that makes no node (a block that is unknown or may not be expanded) is not worth copying.
    if (count === null || this.alone || each === 0) {
      // Once, on an unknown shape, so that the body's own mistakes are still found.
      const out = this.stage(node.body, unknownAfter(input), copy(1, count ?? 1));
      return unknownAfter(out);
    }
    const size = count * each;
    const left = maxExpandedNodes - this.made;
    if (size > left) {
      const made = this.made > 0 ? `, and ${formatCount(this.made)} are already made` : '';
      this.report(
        scope,
        'NN2028',
        `Repeating ${each === 1 ? '1 node' : `${formatCount(each)} nodes`} ${formatCount(count)} times makes ` +
          `${formatCount(size)} nodes, but blocks and repetition may make at most ${formatCount(maxExpandedNodes)} ` +
          `in a model${made}; repeat fewer times.`,
        node.span,
        true,
      );
      return unknownAfter(input);
    }
    let value = input;
    for (let n = 1; n <= count; n++) value = this.stage(node.body, value, copy(n, count));
    return value;
  }

  /** The repetition count: a whole number of at least 1, written or a parameter's value; null after a problem. */
  private repeatCount(node: RepeatNode, scope: Scope, loud: boolean): number | null {
    const written = node.count;
    let value: ValueNode = written;
    if (written.kind === 'Ident') {
      const binding = scope.bindings.get(written.name);
      if (binding === undefined) {
        if (loud) {
          const params = [...scope.bindings.keys()];
          const message =
            scope.def === null
              ? `\`${written.name}\` is not a parameter; a repetition count is a whole number, such as \`x3\`, ` +
                'or a parameter of the enclosing `def`.'
              : notAParameter(written.name, scope.def, params, didYouMean(written.name, params));
          this.report(scope, 'NN2026', message, written.span, false);
        }
        return null;
      }
      if (binding.value === null) return null;
      value = binding.value;
    }
    if (value.kind === 'Number' && Number.isInteger(value.value) && value.value >= 1) return value.value;
    if (loud) {
      const fix =
        value.kind === 'Number' && value.value === 0
          ? '; to leave the stage out, delete it'
          : value.kind === 'Number' && Number.isFinite(value.value) && value.value > 1
            ? `; write \`x${Math.floor(value.value)}\` or \`x${Math.ceil(value.value)}\``
            : '';
      this.report(
        scope,
        'NN2027',
        `A repetition count must be a whole number of at least 1, not ${showValue(value)}${fix}.`,
        written.span,
        written.kind === 'Ident',
      );
    }
    return null;
  }

  /**
   * How many nodes a stage expands to, at most, without expanding it (so `x1000000` is measured, not run).
   * Block bodies are memoised per parameter values: blocks that use earlier blocks twice over are counted in
   * time linear in the number of blocks, and a count can reach Infinity without any work.
   */
  private sizeOf(stage: StageNode, scope: Scope, depth: number): number {
    if (depth > maxNesting) return 1;
    const inner = { ...scope, depth: scope.depth + 1 };
    switch (stage.kind) {
      case 'Expect':
        return 0;
      case 'Layer':
        return 1;
      case 'Group':
        return stage.body.layers.reduce((sum, s) => sum + this.sizeOf(s, inner, depth + 1), 0);
      case 'Residual':
        // The body, at most one projection, and the join.
        return stage.body.layers.reduce((sum, s) => sum + this.sizeOf(s, inner, depth + 1), 0) + 2;
      case 'Repeat':
        return (this.repeatCount(stage, scope, false) ?? 1) * this.sizeOf(stage.body, inner, depth + 1);
      case 'BlockUse': {
        const def = this.context.blocks.find(stage.name.name);
        if (def === undefined || this.context.blocks.refused.has(stage)) return 0;
        const bindings = this.bind(stage, def, scope, false);
        const key = `${this.context.blocks.orderOf(def)}(${showBindings(bindings)})`;
        const known = this.sizes.get(key);
        if (known !== undefined) return known;
        const body: Scope = { ...scope, bindings, def, depth: scope.depth + 1 };
        const size = def.body.layers.reduce((sum, s) => sum + this.sizeOf(s, body, depth + 1), 0);
        this.sizes.set(key, size);
        return size;
      }
    }
  }

  // Residual blocks

  private residual(node: ResidualNode, input: Value, scope: Scope): Value {
    const body = this.pipeline(node.body.layers, input, { ...scope, depth: scope.depth + 1 });
    const afterSyntaxError = scope.untrusted || this.context.damage.reaches(node);
    let skip = input;
    let output: Shape | null = null;
    if (input.shape !== null && body.shape !== null && !afterSyntaxError) {
      const join = joinResidual(input.shape, body.shape, node.proj !== null);
      if (join.kind === 'error') {
        const keyword = keywordSpan(node.span, 'residual');
        const fix = join.addProj === true ? { fix: { title: 'Write `residual proj`', edits: [{ span: spanAfter(keyword), text: ' proj' }] } } : {};
        this.report(scope, join.code, join.message, keyword, true, [], { copies: true, ...fix });
      } else {
        if (join.kind === 'project') {
          const kind = findLayerKind(join.op)!;
          skip = this.emit(
            {
              role: 'projection',
              name: kind.name,
              kind,
              span: node.proj?.span ?? node.span,
              args: join.args,
              argSpans: {},
              complete: true,
              inputs: [input.id],
              frames: scope.frames,
              input: input.shape,
              output: body.shape,
              afterSyntaxError,
            },
            scope,
          );
        }
        output = body.shape;
      }
    }
    return this.emit(
      {
        role: 'add',
        name: addOp,
        kind: null,
        span: node.span,
        args: {},
        argSpans: {},
        complete: true,
        inputs: [skip.id, body.id],
        frames: scope.frames,
        input: body.shape,
        output,
        afterSyntaxError,
      },
      scope,
    );
  }
}

/** The spec an argument would fill: the `index`-th positional one, or the one its key or letter names. */
function specFor(kind: LayerKind, arg: ArgNode, index: number): ArgSpec | undefined {
  switch (arg.kind) {
    case 'PositionalArg':
      return kind.args.filter((spec) => spec.positional === true)[index];
    case 'ShortArg':
      return kind.args.find((spec) => spec.short === arg.letter);
    case 'KeyValueArg':
      return kind.args.find((spec) => spec.name === arg.key.name || spec.short === arg.key.name);
  }
}

function notAParameter(name: string, def: DefNode, params: readonly string[], guess: string | undefined): string {
  const head = `\`${name}\` is not a parameter of \`${def.name.name}\``;
  if (guess !== undefined) return `${head}; did you mean \`${guess}\`?`;
  if (params.length === 0) {
    return `${head}, which has none; add it to the \`def\`, as in \`def ${def.name.name}(${name}) = ...\`.`;
  }
  return `${head}; its parameters are ${listNames(params, 'and')}.`;
}

function tooManyArguments(defName: string, params: readonly ParamNode[], value: ValueNode): string {
  if (params.length === 0) return `\`${defName}\` takes no arguments; remove ${showValue(value)}.`;
  const count = params.length === 1 ? 'one argument' : `${params.length} arguments`;
  const names = listNames(params.map((p) => p.name.name), 'and');
  return `\`${defName}\` takes ${count} (${names}), so ${showValue(value)} is one too many; remove it.`;
}

function unknownParameter(defName: string, key: string, params: readonly ParamNode[]): string {
  const names = params.map((p) => p.name.name);
  const guess = didYouMean(key, names);
  if (guess !== undefined) return `\`${defName}\` has no parameter \`${key}\`; did you mean \`${guess}\`?`;
  if (names.length === 0) return `\`${defName}\` has no parameter \`${key}\`; it takes no arguments.`;
  return `\`${defName}\` has no parameter \`${key}\`; its parameters are ${listNames(names, 'and')}.`;
}

/** An argument as written, for messages: `16`, `k=5`. */
function writtenArg(arg: ArgNode): string {
  const value = showValue(arg.value).replaceAll('`', '');
  switch (arg.kind) {
    case 'PositionalArg':
      return value;
    case 'ShortArg':
      return `${arg.letter}${value}`;
    case 'KeyValueArg':
      return `${arg.key.name}=${value}`;
  }
}

/** The span of the keyword a node starts with (`residual`), so a multi-line block is underlined on its first word. */
function keywordSpan(span: Span, keyword: string): Span {
  const end = Math.min(span.end, span.offset + keyword.length);
  const endColumn = span.column + (end - span.offset);
  return { offset: span.offset, end, line: span.line, column: span.column, endLine: span.line, endColumn };
}

/** `10,000`. */
function formatCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : 'infinitely many';
}
