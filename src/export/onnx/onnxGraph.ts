/**
 * A checked model and its PyTorch-layout weights (stateDict.ts) as an ONNX ModelProto, in protobufjs's plain-object
 * form (encoded by onnxWriter.ts). Input `input` float32 [N, C, H, W] (or [N, F]) as in the .net file, output
 * `logits`; batch norm in inference mode (its moving statistics); dropout is the identity. Front-end safe.
 */
import type { CheckedLayer, CheckedModel } from '../../ir/model.js';
import { convPadding, flattenNeedsTranspose, joinOp, nodeName, pair } from '../graph.js';
import type { StateEntry } from '../stateDict.js';

/** The ONNX opset the export targets: 17, the first with LayerNormalization (onnxruntime 1.14+ reads it). */
export const onnxOpset = 17;
/** IR version 8 goes with opset 17. */
export const onnxIrVersion = 8;
/** The graph's input and output names. */
export const onnxInputName = 'input';
export const onnxOutputName = 'logits';

/** TensorProto.DataType values used here. */
const FLOAT = 1;

interface Attribute {
  readonly name: string;
  readonly type: number;
  readonly i?: number;
  readonly f?: number;
  readonly ints?: readonly number[];
}

interface OnnxNode {
  readonly name: string;
  readonly op_type: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly Attribute[];
}

/** AttributeProto.AttributeType values. */
const FLOAT_ATTR = 1;
const INT_ATTR = 2;
const INTS_ATTR = 7;

const int = (name: string, i: number): Attribute => ({ name, type: INT_ATTR, i });
const ints = (name: string, values: readonly number[]): Attribute => ({ name, type: INTS_ATTR, ints: values });
const float = (name: string, f: number): Attribute => ({ name, type: FLOAT_ATTR, f });

/** Why a node has no ONNX form, or null. */
export function onnxUnsupported(layer: CheckedLayer): string | null {
  return supported.has(layer.op) ? null : `layer kind '${layer.op}' has no ONNX export`;
}

const supported = new Set([
  'conv', 'dense', 'bn', 'avgpool', 'maxpool', 'flatten', 'sigmoid', 'relu', 'tanh', 'softmax', 'dropout', joinOp,
  'leakyrelu', 'gelu', 'globalavgpool', 'globalmaxpool', 'layernorm',
]);

/** What the ModelProto records about its origin. */
export interface OnnxModelOptions {
  readonly netcVersion: string;
  /** Where the weights came from, stored as the model's doc string. */
  readonly source: string;
}

/** The ModelProto as a plain object for `onnx.ModelProto.fromObject`. */
export function onnxModel(model: CheckedModel, state: readonly StateEntry[], options: OnnxModelOptions): Record<string, unknown> {
  const weights = new Map(state.map((entry) => [entry.key, entry]));
  const initializers: Record<string, unknown>[] = [];
  const nodes: OnnxNode[] = [];
  const outputs = new Map<number, string>([[-1, onnxInputName]]);
  const weight = (key: string): string => {
    const entry = weights.get(key);
    if (entry === undefined) throw new Error(`internal: no weight '${key}' for the ONNX export`);
    initializers.push(floatTensor(key, entry.shape, entry.values));
    return key;
  };
  const constant = (name: string, value: number): void => void initializers.push(floatTensor(name, [], Float32Array.of(value)));
  const last = model.layers[model.layers.length - 1]!;
  for (const layer of model.layers) {
    const name = nodeName(layer);
    const out = layer === last ? onnxOutputName : name;
    let x = layer.inputs.map((id) => outputs.get(id)!);
    if (layer.op !== joinOp && x.length > 1) {
      nodes.push({ name: `${name}_sum`, op_type: 'Sum', input: x, output: [`${name}_sum`], attribute: [] });
      x = [`${name}_sum`];
    }
    const node = (opType: string, input: readonly string[], attribute: readonly Attribute[] = [], output = out): void =>
      void nodes.push({ name: output === out ? name : output, op_type: opType, input, output: [output], attribute });
    switch (layer.op) {
      case joinOp:
        node(x.length === 2 ? 'Add' : 'Sum', x);
        break;
      case 'conv': {
        const w = weight(`${name}.weight`);
        const inputs = layer.args['bias'] === false ? [x[0]!, w] : [x[0]!, w, weight(`${name}.bias`)];
        node('Conv', inputs, [
          ints('kernel_shape', pair(layer, 'kernel')),
          ints('strides', pair(layer, 'stride')),
          ints('pads', convPadding(layer)),
          ints('dilations', [1, 1]),
          int('group', 1),
        ]);
        break;
      }
      case 'dense': {
        const w = weight(`${name}.weight`);
        const inputs = layer.args['bias'] === false ? [x[0]!, w] : [x[0]!, w, weight(`${name}.bias`)];
        node('Gemm', inputs, [int('transB', 1)]);
        break;
      }
      case 'bn':
        node(
          'BatchNormalization',
          [x[0]!, weight(`${name}.weight`), weight(`${name}.bias`), weight(`${name}.running_mean`), weight(`${name}.running_var`)],
          [float('epsilon', layer.args['eps'] as number)],
        );
        break;
      case 'avgpool':
      case 'maxpool': {
        const [ph, pw] = pair(layer, 'pad');
        const attributes = [ints('kernel_shape', pair(layer, 'kernel')), ints('strides', pair(layer, 'stride')), ints('pads', [ph, pw, ph, pw])];
        // PyTorch's and netc's average divides by the whole window, padding included.
        if (layer.op === 'avgpool') node('AveragePool', x, [...attributes, int('count_include_pad', 1)]);
        else node('MaxPool', x, attributes);
        break;
      }
      case 'flatten':
        if (flattenNeedsTranspose(layer)) {
          // netc flattens channels-last (H, W, C order): transpose first so the dense weights need no permutation.
          node('Transpose', x, [ints('perm', [0, 2, 3, 1])], `${name}_nhwc`);
          node('Flatten', [`${name}_nhwc`], [int('axis', 1)]);
        } else node('Flatten', x, [int('axis', 1)]);
        break;
      case 'sigmoid':
        node('Sigmoid', x);
        break;
      case 'relu':
        node('Relu', x);
        break;
      case 'tanh':
        node('Tanh', x);
        break;
      case 'softmax':
        node('Softmax', x, [int('axis', 1)]);
        break;
      case 'dropout':
        node('Identity', x);
        break;
      case 'leakyrelu':
        node('LeakyRelu', x, [float('alpha', layer.args['alpha'] as number)]);
        break;
      case 'gelu': {
        // Opset 17 has no Gelu (it came in 20): x * (1 + erf(x / sqrt 2)) / 2, the exact form netc and PyTorch use.
        constant(`${name}.sqrt2`, Math.SQRT2);
        constant(`${name}.one`, 1);
        constant(`${name}.half`, 0.5);
        node('Div', [x[0]!, `${name}.sqrt2`], [], `${name}_scaled`);
        node('Erf', [`${name}_scaled`], [], `${name}_erf`);
        node('Add', [`${name}_erf`, `${name}.one`], [], `${name}_cdf2`);
        node('Mul', [x[0]!, `${name}_cdf2`], [], `${name}_x_cdf2`);
        node('Mul', [`${name}_x_cdf2`, `${name}.half`]);
        break;
      }
      case 'globalavgpool':
      case 'globalmaxpool':
        node(layer.op === 'globalavgpool' ? 'GlobalAveragePool' : 'GlobalMaxPool', x, [], `${name}_pooled`);
        node('Flatten', [`${name}_pooled`], [int('axis', 1)]);
        break;
      case 'layernorm':
        // Over every axis but the batch's, scale and shift per value ([C, H, W] or [F]).
        node('LayerNormalization', [x[0]!, weight(`${name}.weight`), weight(`${name}.bias`)], [
          int('axis', 1),
          float('epsilon', layer.args['eps'] as number),
        ]);
        break;
      default:
        throw new Error(`internal: ${onnxUnsupported(layer)}`);
    }
    outputs.set(layer.index, out);
  }
  return {
    ir_version: onnxIrVersion,
    producer_name: 'netc',
    producer_version: options.netcVersion,
    model_version: 1,
    doc_string: `${model.name}, exported by netc from ${options.source}`,
    opset_import: [{ domain: '', version: onnxOpset }],
    graph: {
      name: model.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo(onnxInputName, model.input)],
      output: [valueInfo(onnxOutputName, last.outputShape)],
    },
  };
}

/** A float32 initializer with its values as little-endian raw bytes. */
function floatTensor(name: string, shape: readonly number[], values: Float32Array): Record<string, unknown> {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims: [...shape], data_type: FLOAT, raw_data: raw };
}

/** A float32 graph input or output of shape [N, ...shape] with a symbolic batch dimension. */
function valueInfo(name: string, shape: readonly number[]): Record<string, unknown> {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: FLOAT,
        shape: { dim: [{ dim_param: 'N' }, ...shape.map((d) => ({ dim_value: d }))] },
      },
    },
  };
}
