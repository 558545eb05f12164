import * as tf from '@tensorflow/tfjs';
import { simdOn, wasmApi, type SimdExports, type WasmMemory } from './module.js';

/**
 * One kernel call's view of tensor memory for the SIMD module. On tfjs's wasm backend a tensor is already in
 * the module's memory (its `memoryOffset`), outputs are the backend's own tensors and scratch comes from its
 * malloc: nothing is copied. On the cpu backend inputs are copied into a private memory, and outputs copied
 * out to new cpu tensors when the call is done.
 */
export interface SimdCall {
  /** The kernels, bound to this call's memory. */
  readonly k: SimdExports;
  /** Where an input tensor's values lie (float32 or int32). */
  input(info: tf.TensorInfo): number;
  /** A new float32 output; the kernel writes its values at the returned pointer. */
  output(shape: readonly number[]): number;
  /** Scratch bytes, 16-byte aligned, valid until `done`. */
  scratch(bytes: number): number;
  /** A float64 view of the module's memory (take it after the last allocation: growing the memory detaches it). */
  f64(ptr: number, length: number): Float64Array;
  /** A float32 view of the module's memory, as `f64`. */
  f32(ptr: number, length: number): Float32Array;
  /** Ends the call: frees scratch and returns the outputs in the order they were made. */
  done(): tf.TensorInfo[];
  /** Frees everything after a failure (outputs included). */
  abandon(): void;
}

/** The parts of tfjs's wasm backend used here (and by netc's native kernels, which work on the same heap). */
export interface WasmBackendLike {
  wasm: { asm: { memory: WasmMemory }; _malloc(bytes: number): number; _free(ptr: number): void };
  dataIdMap: { get(id: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(id: tf.DataId): boolean;
}

/** The parts of tfjs's cpu backend used here. */
interface CpuBackendLike {
  data: { get(id: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** Whether a kernel's backend object is tfjs's wasm backend. */
export function isWasmBackend(backend: object): backend is WasmBackendLike {
  const wasm = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm;
  return wasm?.asm?.memory instanceof wasmApi.Memory && 'dataIdMap' in backend && 'makeOutput' in backend;
}

/** Where a tensor's values lie on the wasm heap (a byte offset). */
export function heapOffset(backend: WasmBackendLike, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('netc kernels: a tensor has no data on the wasm backend');
  return data.memoryOffset;
}

/** Opens a call on the backend object a kernel function receives ('wasm' or 'cpu'). */
export function openCall(backend: object, name: 'wasm' | 'cpu'): SimdCall {
  if (name === 'wasm') {
    if (!isWasmBackend(backend)) throw new Error("netc SIMD kernels: backend object is not tfjs's wasm backend");
    return wasmCall(backend);
  }
  if (!(backend instanceof tf.MathBackendCPU)) throw new Error("netc SIMD kernels: backend object is not tfjs's cpu backend");
  return cpuCall(backend as unknown as CpuBackendLike);
}

/** Functions that stand in for some of the module's on a given memory (netc's native kernels), while one is set. */
export type SimdOverlay = (memory: WasmMemory, module: SimdExports) => SimdExports;

let overlay: SimdOverlay | null = null;

/** Runs `f` with the wasm calls it opens using `replacement`'s functions in place of the module's. */
export function withSimdOverlay<T>(replacement: SimdOverlay, f: () => T): T {
  const previous = overlay;
  overlay = replacement;
  try {
    return f();
  } finally {
    overlay = previous;
  }
}

/**
 * Whether the calls opened now run natively (an overlay is set): the native batch norm computes its sigmoid in
 * vectors within its pass, where the module's exponential loses to the backend's own Sigmoid kernel.
 */
export function simdOverlaid(): boolean {
  return overlay !== null;
}

function wasmCall(backend: WasmBackendLike): SimdCall {
  const memory = backend.wasm.asm.memory;
  const k = overlay === null ? simdOn(memory) : overlay(memory, simdOn(memory));
  const outputs: tf.TensorInfo[] = [];
  const blocks: number[] = [];
  const free = (): void => {
    for (const b of blocks) backend.wasm._free(b);
    blocks.length = 0;
  };
  return {
    k,
    input: (info) => heapOffset(backend, info),
    output: (shape) => {
      const info = backend.makeOutput([...shape], 'float32');
      outputs.push(info);
      return heapOffset(backend, info);
    },
    scratch: (bytes) => {
      const raw = backend.wasm._malloc(bytes + 16);
      blocks.push(raw);
      return (raw + 15) & ~15;
    },
    f64: (ptr, length) => new Float64Array(backend.wasm.asm.memory.buffer, ptr, length),
    f32: (ptr, length) => new Float32Array(backend.wasm.asm.memory.buffer, ptr, length),
    done: () => {
      free();
      return outputs;
    },
    abandon: () => {
      free();
      for (const o of outputs) backend.disposeData(o.dataId);
    },
  };
}

/** The cpu backend's private memory, grown as calls need; every call starts again from its bottom. */
let cpuMemory: WasmMemory | null = null;

function cpuCall(backend: CpuBackendLike): SimdCall {
  cpuMemory ??= new wasmApi.Memory({ initial: 16 });
  const memory = cpuMemory;
  const k = simdOn(memory);
  // Offset 0 is never handed out, so that a zero pointer always means a bug.
  let top = 16;
  const reserve = (bytes: number): number => {
    const at = (top + 15) & ~15;
    top = at + bytes;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    return at;
  };
  const outputs: { at: number; shape: number[] }[] = [];
  return {
    k,
    input: (info) => {
      let values = backend.data.get(info.dataId).values;
      // The cpu backend may keep a tensor's values in another typed array than its dtype says (a cast from bool).
      if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
        const kind = info.dtype === 'int32' ? Int32Array : Float32Array;
        if (!(values instanceof kind)) values = kind.from(values as unknown as ArrayLike<number>);
      }
      if (!(values instanceof Float32Array || values instanceof Int32Array)) {
        throw new Error(`netc SIMD kernels: a cpu tensor of ${info.dtype} has no readable values`);
      }
      const at = reserve(values.byteLength);
      new Uint8Array(memory.buffer, at, values.byteLength).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      return at;
    },
    output: (shape) => {
      const at = reserve(tf.util.sizeFromShape([...shape]) * 4);
      outputs.push({ at, shape: [...shape] });
      return at;
    },
    scratch: (bytes) => reserve(bytes),
    f64: (ptr, length) => new Float64Array(memory.buffer, ptr, length),
    f32: (ptr, length) => new Float32Array(memory.buffer, ptr, length),
    done: () =>
      outputs.map(({ at, shape }) => {
        const size = tf.util.sizeFromShape(shape);
        return backend.makeTensorInfo(shape, 'float32', new Float32Array(memory.buffer, at, size).slice());
      }),
    abandon: () => undefined,
  };
}

/** Runs `body` in a call and returns its outputs; on a throw, everything the call made is freed. */
export function withCall(backend: object, name: 'wasm' | 'cpu', body: (call: SimdCall) => void): tf.TensorInfo[] {
  const call = openCall(backend, name);
  try {
    body(call);
  } catch (error) {
    call.abandon();
    throw error;
  }
  return call.done();
}
