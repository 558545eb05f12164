import protobuf from 'protobufjs';
import { onnxSchema } from './onnxSchema.js';

let modelType: protobuf.Type | null = null;

/** onnx.ModelProto from the schema (built once). */
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(onnxSchema).lookupType('onnx.ModelProto');
  return modelType;
}

/** Encodes a ModelProto given as a plain object (onnxGraph.ts) to the bytes of a `.onnx` file; a field the schema lacks is a programmer error. */
export function encodeOnnxModel(model: Record<string, unknown>): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model);
  if (problem !== null) throw new Error(`internal: invalid ONNX model: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** Decodes `.onnx` bytes to a plain object (tests and `netc eval` read the input shape from it). */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as Record<string, unknown>;
}
