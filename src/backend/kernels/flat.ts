import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The attribute bag a kernel receives or passes on to another kernel. */
export type Attrs = tf.NamedAttrMap;

/** Inputs by name, as kernels receive them. */
export type Inputs = Record<string, tf.TensorInfo>;

/**
 * Zero-copy float32 access to tensor memory plus calls into the same backend's own kernels.
 * netc's kernels are written against this so that one loop serves the wasm heap and the cpu backend's arrays.
 */
export interface FlatBackend {
  /** The tfjs backend name, 'wasm' or 'cpu'. */
  readonly name: 'wasm' | 'cpu';
  /** The tensor's values in place. On wasm the view dies when the heap grows: take it after every allocation. */
  view(info: tf.TensorInfo): Float32Array;
  /** A new float32 tensor owned by the backend; its values are undefined until written (take `view` after allocating). */
  alloc(shape: number[]): tf.TensorInfo;
  /** Runs the backend's own (original, not netc's) kernel; the result belongs to the caller. */
  run(kernelName: string, inputs: Inputs, attrs?: Attrs): tf.TensorInfo;
  /** Releases an intermediate result made by `alloc` or `run`. */
  dispose(info: tf.TensorInfo): void;
}

/** Kernels netc replaced, kept so that composite kernels (and unregistering) can reach the backend's own. */
const originals = new Map<string, tf.KernelConfig>();

const key = (kernelName: string, backendName: string): string => `${backendName}/${kernelName}`;

/** Remembers the backend's own kernel before netc replaces it (first call wins, so re-registering is harmless). */
export function rememberOriginal(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  const k = key(kernelName, backendName);
  const known = originals.get(k);
  if (known !== undefined) return known;
  const config = tf.getKernel(kernelName, backendName);
  if (config !== undefined) originals.set(k, config);
  return config;
}

/** The backend's own kernel, whether or not netc has replaced it. */
export function originalKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  return originals.get(key(kernelName, backendName)) ?? tf.getKernel(kernelName, backendName);
}

/** The parts of tfjs's cpu backend used here (it keeps each tensor's values as a plain typed array). */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

function isWasm(backend: object): backend is BackendWasm {
  return 'wasm' in backend && 'dataIdMap' in backend && 'typedArrayFromHeap' in backend;
}

function isCpu(backend: object): backend is CpuBackendLike {
  return backend instanceof tf.MathBackendCPU;
}

/** Wraps a backend object handed to a kernel function; throws (a programmer error) for any other backend. */
export function flatBackend(backend: object, name: 'wasm' | 'cpu'): FlatBackend {
  const run = (kernelName: string, inputs: Inputs, attrs: Attrs = {}): tf.TensorInfo => {
    const config = originalKernel(kernelName, name);
    if (config === undefined) throw new Error(`netc kernels: the ${name} backend has no '${kernelName}' kernel`);
    const out = config.kernelFunc({ inputs, attrs, backend });
    if (Array.isArray(out)) throw new Error(`netc kernels: '${kernelName}' returned several outputs`);
    return out;
  };
  if (name === 'wasm' && isWasm(backend)) {
    return {
      name,
      view: (info) => {
        const values = backend.typedArrayFromHeap(info);
        if (!(values instanceof Float32Array)) throw new Error(`netc kernels: expected float32 values, got ${info.dtype}`);
        return values;
      },
      alloc: (shape) => backend.makeOutput(shape, 'float32'),
      run,
      dispose: (info) => {
        backend.disposeData(info.dataId);
      },
    };
  }
  if (name === 'cpu' && isCpu(backend)) {
    return {
      name,
      view: (info) => {
        const values = backend.data.get(info.dataId).values;
        if (values instanceof Float32Array) return values;
        // The cpu backend may keep a float32 tensor in another typed array (a cast from bool, say): read a copy.
        if (ArrayBuffer.isView(values) && !(values instanceof DataView)) return Float32Array.from(values as unknown as ArrayLike<number>);
        throw new Error(`netc kernels: tensor ${JSON.stringify(info.shape)} has no readable values`);
      },
      alloc: (shape) => backend.makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape))),
      run,
      dispose: (info) => {
        backend.disposeIntermediateTensorInfo(info);
      },
    };
  }
  throw new Error(`netc kernels: backend object is not tfjs's ${name} backend`);
}

/** A 2-D convolution's resolved shapes, with its top and left padding from any padding form tfjs accepts. */
export interface ConvGeometry {
  readonly info: tf.backend_util.Conv2DInfo;
  readonly top: number;
  readonly left: number;
}

/** Resolves a convolution's shapes and padding once, exactly as tfjs's own kernels do. */
export function convGeometry(
  inShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: tf.Conv2DBackpropFilterAttrs['pad'],
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return { info, top: info.padInfo.top, left: info.padInfo.left };
}
