/**
 * `model.py` of a PyTorch export: readable PyTorch code, with no netc dependency, whose `Net()` builds the checked
 * model. One submodule per node, named like the node (`conv_1`, `bn_2`, as `netc summary` numbers rows), so the
 * state dict's keys are `conv_1.weight`, `bn_2.running_mean`, ...; residual joins are sums in `forward`.
 * Front-end safe: no tfjs, no `node:*`.
 */
import type { CheckedLayer, CheckedModel } from '../ir/model.js';
import { bnImpl, convPadding, flattenNeedsTranspose, joinOp, nodeName, pair, readersOf } from './graph.js';
import { isPyIdentifier, pyCommentText, pyFloat, pyNumber, pyString, pyTuple } from './pythonText.js';

/** What the generated file says about where it came from, and the batch-norm override in force. */
export interface PytorchModelOptions {
  /** The .net file (or run directory) exported, for the docstring. */
  readonly source: string;
  readonly netcVersion: string;
  /** A run's `--bn` override; null or absent keeps each `bn`'s `impl=`. */
  readonly bn?: 'builtin' | 'scratch' | null;
}

/** Why a node cannot be written as PyTorch, or null; the exporters refuse such a model with NN4102. */
export function pytorchUnsupported(layer: CheckedLayer): string | null {
  return moduleFor(layer, 'builtin') === undefined && layer.op !== joinOp ? `layer kind '${layer.op}' has no PyTorch export` : null;
}

/** The whole `model.py` text. */
export function pytorchModelSource(model: CheckedModel, options: PytorchModelOptions): string {
  const modules: string[] = [];
  const helpers = new Set<'scratch' | 'flatten'>();
  for (const layer of model.layers) {
    if (layer.op === joinOp) continue;
    const impl = layer.op === 'bn' ? bnImpl(layer, options.bn) : 'builtin';
    const made = moduleFor(layer, impl);
    if (made === undefined) throw new Error(`internal: ${pytorchUnsupported(layer)}`);
    if (made.helper !== undefined) helpers.add(made.helper);
    for (const [attr, code] of made.modules) modules.push(`        self.${attr} = ${code}`);
  }
  const input = `[N, ${model.input.join(', ')}]`;
  const lines = [
    '"""',
    `${pyCommentText(model.name)}: a PyTorch model exported by netc ${pyCommentText(options.netcVersion)} from ${pyCommentText(options.source)}.`,
    '',
    `Input: float32 ${input} (${model.input.length === 3 ? 'channels first, NCHW' : 'flat'}), as in the .net file.`,
    `Output: [N, ${model.layers[model.layers.length - 1]!.outputShape.join(', ')}].`,
    'Load the exported weights with:',
    '',
    '    net = Net()',
    "    net.load_state_dict(torch.load('weights.pt'))",
    '    net.eval()',
    '"""',
    'import torch',
    'from torch import nn',
    '',
    `#: The model's name in its .net file.`,
    `MODEL_NAME = ${pyString(model.name)}`,
    `#: One example's shape, without the batch dimension.`,
    `INPUT_SHAPE = ${pyTuple(model.input)}`,
    '',
  ];
  if (helpers.has('scratch')) lines.push(...scratchBatchNormClass, '');
  if (helpers.has('flatten')) lines.push(...flattenClass, '');
  lines.push(
    '',
    'class Net(nn.Module):',
    `    """${pyCommentText(model.name)}: ${model.layers.length} nodes, named as the rows of \`netc summary\`."""`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...modules,
    '',
    ...forwardLines(model),
    '',
  );
  return `${lines.join('\n')}\n`;
}

interface ModuleCode {
  /** Attribute name and constructor call, in order (a padding module before its convolution). */
  readonly modules: readonly (readonly [string, string])[];
  readonly helper?: 'scratch' | 'flatten';
}

/** The PyTorch module(s) of one node, or undefined for a kind without an export. */
function moduleFor(layer: CheckedLayer, impl: 'builtin' | 'scratch'): ModuleCode | undefined {
  const name = nodeName(layer);
  const one = (code: string, helper?: ModuleCode['helper']): ModuleCode => ({
    modules: [[name, code]],
    ...(helper === undefined ? {} : { helper }),
  });
  const args = layer.args;
  switch (layer.op) {
    case 'conv': {
      const [top, left, bottom, right] = convPadding(layer);
      const symmetric = top === bottom && left === right;
      const conv =
        `nn.Conv2d(${layer.inputShape[0]}, ${pyNumber(args['out'] as number)}, kernel_size=${pyTuple(pair(layer, 'kernel'))}, ` +
        `stride=${pyTuple(pair(layer, 'stride'))}, padding=${pyTuple(symmetric ? [top, left] : [0, 0])}` +
        `${args['bias'] === false ? ', bias=False' : ''})`;
      if (symmetric) return one(conv);
      // TensorFlow's `same` puts the odd row or column at the bottom or right, which Conv2d's padding cannot say.
      return { modules: [[`${name}_pad`, `nn.ZeroPad2d(${pyTuple([left, right, top, bottom])})`], [name, conv]] };
    }
    case 'dense':
      return one(`nn.Linear(${layer.inputShape[0]}, ${pyNumber(args['out'] as number)}${args['bias'] === false ? ', bias=False' : ''})`);
    case 'bn': {
      const features = layer.inputShape[0]!;
      const momentum = args['momentum'] as number;
      const eps = pyFloat(args['eps'] as number);
      if (impl === 'scratch') return one(`ScratchBatchNorm(${features}, eps=${eps}, momentum=${pyFloat(momentum)})`, 'scratch');
      // netc's momentum weighs the old moving value; PyTorch's weighs the new batch statistic.
      const variant = layer.inputShape.length === 1 ? 'BatchNorm1d' : 'BatchNorm2d';
      return one(`nn.${variant}(${features}, eps=${eps}, momentum=${pyFloat(1 - momentum)})`);
    }
    case 'avgpool':
    case 'maxpool': {
      const kind = layer.op === 'avgpool' ? 'AvgPool2d' : 'MaxPool2d';
      return one(
        `nn.${kind}(kernel_size=${pyTuple(pair(layer, 'kernel'))}, stride=${pyTuple(pair(layer, 'stride'))}, padding=${pyTuple(pair(layer, 'pad'))})`,
      );
    }
    case 'flatten':
      return flattenNeedsTranspose(layer) ? one('FlattenChannelsLast()', 'flatten') : one('nn.Flatten()');
    case 'sigmoid':
      return one('nn.Sigmoid()');
    case 'relu':
      return one('nn.ReLU()');
    case 'tanh':
      return one('nn.Tanh()');
    case 'softmax':
      return one('nn.Softmax(dim=1)');
    case 'dropout':
      return one(`nn.Dropout(p=${pyFloat(args['rate'] as number)})`);
    case 'leakyrelu':
      return one(`nn.LeakyReLU(negative_slope=${pyFloat(args['alpha'] as number)})`);
    case 'gelu':
      return one('nn.GELU()');
    case 'globalavgpool':
      return one('nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())');
    case 'globalmaxpool':
      return one('nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten())');
    case 'layernorm': {
      const shape = layer.inputShape.length === 1 ? String(layer.inputShape[0]) : `[${layer.inputShape.join(', ')}]`;
      return one(`nn.LayerNorm(${shape}, eps=${pyFloat(args['eps'] as number)})`);
    }
    default:
      return undefined;
  }
}

/**
 * `forward` (and `logits` when the model ends in softmax: training takes the cross-entropy of the logits, as netc
 * does), plus one method per block use written in the pipeline (`block_cbs_1` for the first use of `cbs`), which
 * `forward` calls. The running value is `x`; a node's output that a later node other than the next one reads (a
 * residual block's input) is also kept as `x<row>`.
 */
function forwardLines(model: CheckedModel): string[] {
  const last = model.layers[model.layers.length - 1]!;
  const endsInSoftmax = last.op === 'softmax' && last.inputs.length === 1;
  const body = model.layers.filter((layer) => !(endsInSoftmax && layer === last));
  const readers = readersOf(model);
  const runs = blockRuns(body, readers);
  // In forward a method call is the one reader of its input: readers inside a method count as the call.
  const head = new Map<number, number>();
  for (const run of runs) if (run.input !== null) for (const layer of run.layers) head.set(layer.index, run.layers[0]!.index);
  const mainReaders = new Map([...readers].map(([id, list]) => [id, [...new Set(list.map((r) => head.get(r) ?? r))]]));
  const methods: string[][] = [];
  const uses = new Map<string, number>();
  const main: string[] = [];
  let previous = -1;
  for (const run of runs) {
    const use = run.layers[0]!.blocks?.[0];
    if (use === undefined || run.input === null) {
      main.push(...nodeLines(run.layers, previous, mainReaders, '        '));
    } else {
      const base = isPyIdentifier(`block_${use.name}`) ? `block_${use.name}` : 'block';
      const count = (uses.get(base) ?? 0) + 1;
      uses.set(base, count);
      const method = `${base}_${count}`;
      const operand = run.input === previous ? 'x' : valueName(run.input);
      main.push(`        x = self.${method}(${operand})`);
      if (keptBeyond(run.layers[run.layers.length - 1]!.index, mainReaders)) main.push(`        ${valueName(run.layers[run.layers.length - 1]!.index)} = x`);
      const shapeIn = run.input === -1 ? model.input : model.layers[run.input]!.outputShape;
      methods.push([
        '',
        `    def ${method}(self, x):`,
        `        """Block \`${pyCommentText(use.name, 60)}\` used at line ${use.span.line}, column ${use.span.column}: ` +
          `[N, ${shapeIn.join(', ')}] -> [N, ${run.layers[run.layers.length - 1]!.outputShape.join(', ')}]."""`,
        ...(keptWithin(run.input, run.layers, readers) ? [`        ${valueName(run.input)} = x`] : []),
        ...nodeLines(run.layers, run.input, readers, '        ', true),
        '        return x',
      ]);
    }
    previous = run.layers[run.layers.length - 1]!.index;
  }
  const lines = [
    `    def ${endsInSoftmax ? 'logits' : 'forward'}(self, x):`,
    `        """[N, ${model.input.join(', ')}] -> [N, ${(endsInSoftmax ? model.layers[last.inputs[0]!]! : last).outputShape.join(', ')}]${endsInSoftmax ? ' scores before the final softmax' : ''}."""`,
    ...(keptBeyond(-1, mainReaders, body[0]?.index) ? [`        ${valueName(-1)} = x`] : []),
    ...main,
    '        return x',
  ];
  if (endsInSoftmax) {
    lines.push(
      '',
      '    def forward(self, x):',
      `        """[N, ${model.input.join(', ')}] -> [N, ${last.outputShape.join(', ')}] class probabilities."""`,
      `        return self.${nodeName(last)}(self.logits(x))`,
    );
  }
  for (const method of methods) lines.push(...method);
  return lines;
}

/** A run of consecutive nodes: one outermost block use (when it reads one outside value), or plain nodes. */
interface Run {
  readonly layers: CheckedLayer[];
  /** The one value from outside the run that it reads; null for plain nodes, or a use that cannot be a method. */
  readonly input: number | null;
}

/**
 * Splits the nodes into runs by outermost block use. A use becomes a method when, as block expansions are, it reads
 * one value from before it and only its last node is read after it; otherwise its nodes stay inline in `forward`.
 */
function blockRuns(layers: readonly CheckedLayer[], readers: Map<number, number[]>): Run[] {
  const runs: CheckedLayer[][] = [];
  let key: number | null = null;
  for (const layer of layers) {
    const use = layer.blocks?.[0]?.span.offset ?? null;
    if (runs.length === 0 || use === null || use !== key) runs.push([]);
    runs[runs.length - 1]!.push(layer);
    key = use;
  }
  return runs.map((run) => {
    if (run[0]!.blocks?.[0] === undefined) return { layers: run, input: null };
    const inside = new Set(run.map((layer) => layer.index));
    const outside = new Set(run.flatMap((layer) => layer.inputs.filter((id) => !inside.has(id))));
    const lastIndex = run[run.length - 1]!.index;
    const leaks = run.some((layer) => layer.index !== lastIndex && (readers.get(layer.index) ?? []).some((r) => !inside.has(r)));
    return { layers: run, input: outside.size === 1 && !leaks ? [...outside][0]! : null };
  });
}

/** The statements of some nodes, the running value `x` holding node `previous`'s output at the start. */
function nodeLines(layers: readonly CheckedLayer[], previous: number, readers: Map<number, number[]>, indent: string, local = false): string[] {
  const lines: string[] = [];
  let current = previous;
  let blocks = '';
  for (const layer of layers) {
    if (!local) {
      // Comments for block uses that stay inline; two uses of one block on a line differ by column.
      const uses = layer.blocks ?? [];
      const key = uses.map((b) => b.span.offset).join(',');
      if (key !== blocks) {
        const origin = uses.map((b) => `${b.name} (line ${b.span.line}, column ${b.span.column})`).join(' > ');
        if (origin !== '') lines.push(`${indent}# ${pyCommentText(origin)}`);
        blocks = key;
      }
    }
    const value = layer.inputs.map((id) => (id === current ? 'x' : valueName(id))).join(' + ');
    if (layer.op === joinOp) {
      lines.push(`${indent}x = ${value}`);
    } else {
      const padded = layer.op === 'conv' && !isSymmetric(layer);
      lines.push(`${indent}x = ${padded ? `self.${nodeName(layer)}(self.${nodeName(layer)}_pad(${value}))` : `self.${nodeName(layer)}(${value})`}`);
    }
    // Inside a method only readers inside it count: the method returns the last value.
    const keep = local ? keptWithin(layer.index, layers, readers) : keptBeyond(layer.index, readers);
    if (keep && !(local && layer === layers[layers.length - 1])) lines.push(`${indent}${valueName(layer.index)} = x`);
    current = layer.index;
  }
  return lines;
}

/** `x<row>`: the kept output of node `id` (`x0` is the model's input). */
function valueName(id: number): string {
  return `x${id + 1}`;
}

/** True when a node other than the next one reads node `id`'s output. */
function keptBeyond(id: number, readers: Map<number, number[]>, next = id + 1): boolean {
  return (readers.get(id) ?? []).some((reader) => reader !== next);
}

/** True when a node of `layers` other than the one right after `id` reads it. */
function keptWithin(id: number, layers: readonly CheckedLayer[], readers: Map<number, number[]>): boolean {
  const inside = new Set(layers.map((layer) => layer.index));
  const position = layers.findIndex((layer) => layer.index === id);
  const next = position >= 0 ? layers[position + 1]?.index : layers[0]?.index;
  return (readers.get(id) ?? []).some((reader) => inside.has(reader) && reader !== next);
}

function isSymmetric(layer: CheckedLayer): boolean {
  const [top, left, bottom, right] = convPadding(layer);
  return top === bottom && left === right;
}

const scratchBatchNormClass = [
  '',
  'class ScratchBatchNorm(nn.Module):',
  '    """Batch normalisation from its formulas, as netc\'s `bn impl=scratch` (d2l\'s from-scratch batch_norm).',
  '',
  '    Training normalises with the batch mean and biased variance (per feature of [N, F], per channel of',
  '    [N, C, H, W]) and moves the running statistics as moving = momentum * moving + (1 - momentum) * batch;',
  '    evaluation uses the running statistics. Its state dict has BatchNorm\'s keys.',
  '    """',
  '',
  '    def __init__(self, num_features, eps=1e-5, momentum=0.9):',
  '        super().__init__()',
  '        self.eps = eps',
  '        self.momentum = momentum',
  '        self.weight = nn.Parameter(torch.ones(num_features))',
  '        self.bias = nn.Parameter(torch.zeros(num_features))',
  "        self.register_buffer('running_mean', torch.zeros(num_features))",
  "        self.register_buffer('running_var', torch.ones(num_features))",
  '',
  '    def forward(self, x):',
  '        shape = (1, -1) + (1,) * (x.dim() - 2)',
  '        if self.training:',
  '            dims = [0] + list(range(2, x.dim()))',
  '            mean = x.mean(dim=dims)',
  '            var = ((x - mean.view(shape)) ** 2).mean(dim=dims)',
  '            with torch.no_grad():',
  '                self.running_mean.mul_(self.momentum).add_((1 - self.momentum) * mean)',
  '                self.running_var.mul_(self.momentum).add_((1 - self.momentum) * var)',
  '        else:',
  '            mean, var = self.running_mean, self.running_var',
  '        x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)',
  '        return self.weight.view(shape) * x_hat + self.bias.view(shape)',
];

const flattenClass = [
  '',
  'class FlattenChannelsLast(nn.Module):',
  '    """Flattens [N, C, H, W] in H, W, C order, as netc (TensorFlow.js, channels-last) does, so the weights of the',
  '    dense layer after it carry over from netc unchanged. nn.Flatten would give C, H, W order."""',
  '',
  '    def forward(self, x):',
  '        return x.permute(0, 2, 3, 1).flatten(1)',
];
