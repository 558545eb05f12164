/**
 * netc's weights (tfjs names and channels-last layouts) to a PyTorch state dict and back. Pure data: no tfjs, no
 * `node:*`, so the ONNX writer and the PyTorch engine share it.
 *
 *  - conv kernel [kh, kw, cin, cout] -> `conv_N.weight` [cout, cin, kh, kw]; bias -> `conv_N.bias`;
 *  - dense kernel [in, out] -> `dense_N.weight` [out, in]; bias -> `dense_N.bias` (flatten order needs no
 *    permutation: the exports flatten H, W, C as netc does, see graph.ts);
 *  - bn gamma, beta, moving_mean, moving_variance -> `bn_N.weight`, `.bias`, `.running_mean`, `.running_var`
 *    (netc's moving variance is the biased batch variance; it is copied as it is, so inference is identical),
 *    plus `bn_N.num_batches_tracked` (0) for PyTorch's own batch norm;
 *  - layernorm gamma, beta [H, W, C] (channels-last) or [F] -> `layernorm_N.weight`, `.bias` [C, H, W] or [F].
 */
import type { CheckedModel } from '../ir/model.js';
import { bnImpl, nodeName } from './graph.js';

/** One named float tensor, row-major. */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** One entry of a PyTorch state dict: float32, or the int64 counter PyTorch's batch norm keeps. */
export interface StateEntry {
  readonly key: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int64';
  readonly values: Float32Array;
}

/** Thrown when weights do not belong to the model (a checkpoint of another file); the CLI turns it into NN4003. */
export class WeightsMismatch extends Error {}

/** The state dict of `model` from netc's weights, in module order; every weight the model needs must be there. */
export function toStateDict(model: CheckedModel, weights: readonly NamedArray[], bn?: 'builtin' | 'scratch' | null): StateEntry[] {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const take = (name: string, shape: readonly number[]): NamedArray => {
    const w = byName.get(name);
    if (w === undefined) throw new WeightsMismatch(`weight '${name}' is missing`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new WeightsMismatch(`weight '${name}' is ${w.shape.join('x')} where the model needs ${shape.join('x')}`);
    }
    return w;
  };
  const out: StateEntry[] = [];
  const put = (key: string, shape: readonly number[], values: Float32Array, dtype: StateEntry['dtype'] = 'float32'): void =>
    void out.push({ key, shape, dtype, values });
  for (const layer of model.layers) {
    const name = nodeName(layer);
    const bias = layer.args['bias'] !== false;
    if (layer.op === 'conv') {
      const [kh, kw] = pairOf(layer.args['kernel']);
      const cin = layer.inputShape[0]!;
      const cout = layer.args['out'] as number;
      const kernel = take(`${name}/kernel`, [kh, kw, cin, cout]);
      put(`${name}.weight`, [cout, cin, kh, kw], transpose(kernel.values, [kh, kw, cin, cout], [3, 2, 0, 1]));
      if (bias) put(`${name}.bias`, [cout], take(`${name}/bias`, [cout]).values);
    } else if (layer.op === 'dense') {
      const inputs = layer.inputShape[0]!;
      const units = layer.args['out'] as number;
      const kernel = take(`${name}/kernel`, [inputs, units]);
      put(`${name}.weight`, [units, inputs], transpose(kernel.values, [inputs, units], [1, 0]));
      if (bias) put(`${name}.bias`, [units], take(`${name}/bias`, [units]).values);
    } else if (layer.op === 'bn') {
      const features = [layer.inputShape[0]!];
      put(`${name}.weight`, features, take(`${name}/gamma`, features).values);
      put(`${name}.bias`, features, take(`${name}/beta`, features).values);
      put(`${name}.running_mean`, features, take(`${name}/moving_mean`, features).values);
      put(`${name}.running_var`, features, take(`${name}/moving_variance`, features).values);
      if (bnImpl(layer, bn) === 'builtin') put(`${name}.num_batches_tracked`, [], new Float32Array([0]), 'int64');
    } else if (layer.op === 'layernorm') {
      const shape = layer.inputShape;
      const netcShape = shape.length === 3 ? [shape[1]!, shape[2]!, shape[0]!] : [...shape];
      for (const [tfName, key] of [['gamma', 'weight'], ['beta', 'bias']] as const) {
        const w = take(`${name}/${tfName}`, netcShape);
        put(`${name}.${key}`, shape, shape.length === 3 ? transpose(w.values, netcShape, [2, 0, 1]) : w.values);
      }
    }
  }
  return out;
}

/** netc's weights (tfjs names and layouts) from a state dict, the inverse of `toStateDict` (the counter is dropped). */
export function fromStateDict(model: CheckedModel, entries: readonly NamedArray[]): NamedArray[] {
  const byKey = new Map(entries.map((e) => [e.name, e]));
  const take = (key: string, size: number): NamedArray => {
    const e = byKey.get(key);
    if (e === undefined) throw new WeightsMismatch(`state dict entry '${key}' is missing`);
    if (e.values.length !== size) throw new WeightsMismatch(`state dict entry '${key}' has ${e.values.length} values where the model needs ${size}`);
    return e;
  };
  const out: NamedArray[] = [];
  for (const layer of model.layers) {
    const name = nodeName(layer);
    const bias = layer.args['bias'] !== false;
    if (layer.op === 'conv') {
      const [kh, kw] = pairOf(layer.args['kernel']);
      const cin = layer.inputShape[0]!;
      const cout = layer.args['out'] as number;
      const weight = take(`${name}.weight`, cout * cin * kh * kw);
      out.push({ name: `${name}/kernel`, shape: [kh, kw, cin, cout], values: transpose(weight.values, [cout, cin, kh, kw], [2, 3, 1, 0]) });
      if (bias) out.push({ name: `${name}/bias`, shape: [cout], values: take(`${name}.bias`, cout).values });
    } else if (layer.op === 'dense') {
      const inputs = layer.inputShape[0]!;
      const units = layer.args['out'] as number;
      const weight = take(`${name}.weight`, units * inputs);
      out.push({ name: `${name}/kernel`, shape: [inputs, units], values: transpose(weight.values, [units, inputs], [1, 0]) });
      if (bias) out.push({ name: `${name}/bias`, shape: [units], values: take(`${name}.bias`, units).values });
    } else if (layer.op === 'bn') {
      const features = layer.inputShape[0]!;
      const keys = [['gamma', 'weight'], ['beta', 'bias'], ['moving_mean', 'running_mean'], ['moving_variance', 'running_var']] as const;
      for (const [tfName, torchKey] of keys) {
        out.push({ name: `${name}/${tfName}`, shape: [features], values: take(`${name}.${torchKey}`, features).values });
      }
    } else if (layer.op === 'layernorm') {
      const shape = layer.inputShape;
      const netcShape = shape.length === 3 ? [shape[1]!, shape[2]!, shape[0]!] : [...shape];
      const size = shape.reduce((a, b) => a * b, 1);
      for (const [tfName, key] of [['gamma', 'weight'], ['beta', 'bias']] as const) {
        const values = take(`${name}.${key}`, size).values;
        out.push({ name: `${name}/${tfName}`, shape: netcShape, values: shape.length === 3 ? transpose(values, shape, [1, 2, 0]) : values });
      }
    }
  }
  return out;
}

/** A row-major tensor of `shape` with its axes reordered: output axis i is input axis `perm[i]`. */
export function transpose(values: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  const outShape = perm.map((axis) => shape[axis]!);
  const outStrides = perm.map((axis) => strides[axis]!);
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let from = 0;
    for (let axis = 0; axis < rank; axis++) from += index[axis]! * outStrides[axis]!;
    out[i] = values[from]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]! += 1;
      if (index[axis]! < outShape[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}

function pairOf(value: unknown): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) return [value[0] as number, value[1] as number];
  throw new Error(`internal: not a pair: ${JSON.stringify(value)}`);
}
