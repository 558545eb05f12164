/**
 * Facts about a checked model that every exporter shares (PyTorch source, state dict, ONNX): node names, the
 * padding a `same` convolution gets, which flatten must reorder, the batch-norm implementation in force.
 * Front-end safe: no tfjs, no `node:*`.
 */
import type { CheckedLayer, CheckedModel } from '../ir/model.js';

/** The op of a residual join node (src/check/graph.ts's addOp; repeated here so the exporters load no checker code). */
export const joinOp = 'add';

/**
 * A node's name in every export: `conv_1`, `bn_2`, ... numbered like the rows of `netc summary`. It equals the tfjs
 * layer name the compiler gives the node (src/compile/compile.ts `nodeLayerName`; a test keeps them equal), so the
 * weights of checkpoint layer `conv_1` are PyTorch's `conv_1.weight` and ONNX's `conv_1.weight`.
 */
export function nodeName(layer: Pick<CheckedLayer, 'op' | 'index'>): string {
  return `${layer.op}_${layer.index + 1}`;
}

/** Which batch norm a `bn` node is, after a `--bn` override (a run's hyperparameters) if any. */
export function bnImpl(layer: CheckedLayer, override: 'builtin' | 'scratch' | null | undefined): 'builtin' | 'scratch' {
  if (override === 'builtin' || override === 'scratch') return override;
  return layer.args['impl'] === 'scratch' ? 'scratch' : 'builtin';
}

/** A pair argument (`kernel`, `stride`, explicit `pad`) as two numbers. */
export function pair(layer: CheckedLayer, name: string): [number, number] {
  const value = layer.args[name];
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) return [value[0] as number, value[1] as number];
  throw new Error(`internal: ${nodeName(layer)} has no pair argument '${name}'`);
}

/**
 * Zero padding of a convolution as [top, left, bottom, right]. An explicit `pN` is symmetric; `p=same` pads as
 * TensorFlow does (what netc trains with): total = max((ceil(in / s) - 1) * s + k - in, 0), the odd row or
 * column at the bottom or right.
 */
export function convPadding(layer: CheckedLayer): [number, number, number, number] {
  const pad = layer.args['pad'];
  if (pad !== 'same') {
    const [ph, pw] = pair(layer, 'pad');
    return [ph, pw, ph, pw];
  }
  const [kh, kw] = pair(layer, 'kernel');
  const [sh, sw] = pair(layer, 'stride');
  const total = (size: number, k: number, s: number): number => Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  const th = total(layer.inputShape[1]!, kh, sh);
  const tw = total(layer.inputShape[2]!, kw, sw);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

/**
 * True when a `flatten` must reorder to match netc: TensorFlow.js flattens a channels-last map in H, W, C order,
 * PyTorch and ONNX flatten C, H, W. The exports transpose to H, W, C before flattening (so the dense weights carry
 * over unpermuted); a map of 1x1 (after global pooling) or a flat input needs nothing.
 */
export function flattenNeedsTranspose(layer: CheckedLayer): boolean {
  const shape = layer.inputShape;
  return shape.length === 3 && shape[1]! * shape[2]! > 1 && shape[0]! > 1;
}

/** For each node id (-1 the input), the ids of the nodes that read its output. */
export function readersOf(model: CheckedModel): Map<number, number[]> {
  const readers = new Map<number, number[]>();
  for (const layer of model.layers) {
    for (const input of layer.inputs) readers.set(input, [...(readers.get(input) ?? []), layer.index]);
  }
  return readers;
}
