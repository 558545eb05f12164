import * as tf from '@tensorflow/tfjs';
import { convGeometry, type ConvGeometry } from '../kernels/flat.js';
import { heapOffset, isWasmBackend, withSimdOverlay, type SimdOverlay, type WasmBackendLike } from '../simd/heap.js';
import { bnGradKernel, bnInferKernel, bnTrainKernel, poolGeometry } from '../simd/kernels.js';
import type { SimdExports, WasmMemory } from '../simd/module.js';
import { isInputGradientSkipped } from '../kernels/unusedGradient.js';
import { adamUpdateKernel, momentumUpdateKernel, sgdUpdateKernel, updateKernel, type WeightUpdate } from '../kernels/optimizerUpdate.js';
import { activationGradKernel, addActivationKernel } from './addActivation.js';
import { nativeKernels, type NativeKernels } from './native.js';

/*
 * tfjs kernels on the wasm backend backed by netc's native code: the forward convolution (with its bias and a relu
 * fused), its input gradient and its filter gradient, NHWC float32 with any stride and padding, matrix products (the
 * dense layers' and their gradients), a residual join with the relu after it (and its gradient), Add of equal
 * shapes, the optimizer's update, padding and cutting images, max and average pooling with their gradients, and the arithmetic of
 * the fast path's batch-norm kernels (their synchronisation across training threads unchanged: the SIMD module's
 * batch-norm functions are swapped for native ones during their calls). Anything else (dilations, other
 * activations, NCHW, a first layer's skipped input gradient) goes to the kernel they replace.
 */

function heapBackend(backend: object): WasmBackendLike {
  if (!isWasmBackend(backend)) throw new Error("netc native kernels: backend object is not tfjs's wasm backend");
  return backend;
}

/** n, h, w, c, oh, ow, o, kh, kw, sh, sw, top, left as the native functions take them. */
type GeometryArgs = [number, number, number, number, number, number, number, number, number, number, number, number, number];

function geometryArgs({ info, top, left }: ConvGeometry): GeometryArgs {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, top, left,
  ];
}

const undilated = (dilations: number | [number, number] | undefined): boolean =>
  dilations === undefined || (typeof dilations === 'number' ? dilations === 1 : dilations[0] === 1 && dilations[1] === 1);

/**
 * The per-channel sums and sums of squares of a convolution's output, made while the native kernel wrote it, by the
 * output's storage (tensors are immutable, so they stay true for it): the batch norm that reads the output takes its
 * batch statistics from them instead of two passes over the tensor.
 */
const channelSums = new WeakMap<object, Float64Array<ArrayBuffer>>();

/** Forward convolution; `fused` for FusedConv2D (bias and activation), else Conv2D. */
function forward(native: NativeKernels, fallback: tf.KernelFunc, fused: boolean): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    const activation = fused ? attrs.activation ?? 'linear' : 'linear';
    if (
      x === undefined || filter === undefined || x.dtype !== 'float32' || filter.dtype !== 'float32' || attrs.dataFormat !== 'NHWC' ||
      preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu') || !undilated(attrs.dilations)
    ) return fallback(args);
    const geometry = convGeometry(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
    const hasBias = fused && bias != null;
    if (hasBias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== geometry.info.outChannels)) return fallback(args);
    const backend = heapBackend(args.backend);
    const y = backend.makeOutput([...geometry.info.outShape], 'float32');
    const sums = new Float64Array(2 * geometry.info.outChannels);
    native.conv2dForward(
      backend.wasm.asm.memory.buffer, heapOffset(backend, x), heapOffset(backend, filter), hasBias ? heapOffset(backend, bias) : -1,
      heapOffset(backend, y), ...geometryArgs(geometry), activation === 'relu' ? 1 : 0, sums.buffer,
    );
    channelSums.set(y.dataId, sums);
    return y;
  };
}

function inputGrad(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (isInputGradientSkipped(filter) || attrs.dataFormat !== 'NHWC' || dy.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args);
    const geometry = convGeometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
    if (!tf.util.arraysEqual(geometry.info.outShape, dy.shape)) return fallback(args);
    const backend = heapBackend(args.backend);
    const dx = backend.makeOutput([...attrs.inputShape], 'float32');
    native.conv2dInputGrad(
      backend.wasm.asm.memory.buffer, heapOffset(backend, dy), heapOffset(backend, filter), heapOffset(backend, dx), ...geometryArgs(geometry),
    );
    return dx;
  };
}

function filterGrad(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args);
    const geometry = convGeometry(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
    if (!tf.util.arraysEqual(geometry.info.outShape, dy.shape)) return fallback(args);
    const backend = heapBackend(args.backend);
    const dw = backend.makeOutput([...attrs.filterShape], 'float32');
    native.conv2dFilterGrad(
      backend.wasm.asm.memory.buffer, heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, dw), ...geometryArgs(geometry),
    );
    return dw;
  };
}

/**
 * BatchMatMul and _FusedMatMul (bias, relu) of float32 matrices with equal batch dimensions (a dense layer's
 * product and both its gradients); broadcasting batches, other activations and a first layer's skipped input
 * gradient go to the kernel replaced.
 */
function matmul(native: NativeKernels, fallback: tf.KernelFunc, fused: boolean): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs & { activation?: string };
    const activation = fused ? attrs.activation ?? 'linear' : 'linear';
    if (
      a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 ||
      a.shape.length !== b.shape.length || preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu') ||
      (!attrs.transposeA && attrs.transposeB && isInputGradientSkipped(b))
    ) return fallback(args);
    const rank = a.shape.length;
    const batchShape = a.shape.slice(0, -2);
    if (!tf.util.arraysEqual(batchShape, b.shape.slice(0, -2))) return fallback(args);
    const [m, ka] = attrs.transposeA ? [a.shape[rank - 1]!, a.shape[rank - 2]!] : [a.shape[rank - 2]!, a.shape[rank - 1]!];
    const [kb, n] = attrs.transposeB ? [b.shape[rank - 1]!, b.shape[rank - 2]!] : [b.shape[rank - 2]!, b.shape[rank - 1]!];
    const hasBias = fused && bias != null;
    if (ka !== kb || m === 0 || n === 0 || ka === 0 || (hasBias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n))) return fallback(args);
    const backend = heapBackend(args.backend);
    const out = backend.makeOutput([...batchShape, m, n], 'float32');
    native.matmul(
      backend.wasm.asm.memory.buffer, heapOffset(backend, a), heapOffset(backend, b), hasBias ? heapOffset(backend, bias) : -1, heapOffset(backend, out),
      tf.util.sizeFromShape(batchShape), m, n, ka, attrs.transposeA ? 1 : 0, attrs.transposeB ? 1 : 0, activation === 'relu' ? 1 : 0,
    );
    return out;
  };
}

/** act(a + b) or dy * act'(y) on three float32 tensors of one shape (`grad` picks which). */
function elementwise(native: NativeKernels, grad: boolean): tf.KernelFunc {
  return (args) => {
    const [first, second] = grad ? [args.inputs['dy']!, args.inputs['y']!] : [args.inputs['a']!, args.inputs['b']!];
    const activation = (args.attrs as { activation?: string } | undefined)?.activation ?? 'linear';
    if (activation !== 'relu' && activation !== 'linear') throw new Error(`netc ${grad ? activationGradKernel : addActivationKernel}: no activation '${activation}'`);
    if (first.dtype !== 'float32' || second.dtype !== 'float32' || !tf.util.arraysEqual(first.shape, second.shape)) {
      throw new Error(`netc ${grad ? activationGradKernel : addActivationKernel}: inputs of ${first.dtype} ${first.shape} and ${second.dtype} ${second.shape}`);
    }
    const backend = heapBackend(args.backend);
    const out = backend.makeOutput([...first.shape], 'float32');
    const run = grad ? native.activationGrad : native.addActivation;
    run(backend.wasm.asm.memory.buffer, heapOffset(backend, first), heapOffset(backend, second), heapOffset(backend, out), tf.util.sizeFromShape(first.shape), activation === 'relu' ? 1 : 0);
    return out;
  };
}

/** Add of two float32 tensors of one shape (a gradient summed over a residual's two paths): the rest is tfjs's. */
function add(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const size = tf.util.sizeFromShape(a.shape);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !tf.util.arraysEqual(a.shape, b.shape) || size < 4096) return fallback(args);
    const backend = heapBackend(args.backend);
    const out = backend.makeOutput([...a.shape], 'float32');
    native.addActivation(backend.wasm.asm.memory.buffer, heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out), size, 0);
    return out;
  };
}

/** PadV2 of float32 images along their rows and columns only (the padding before a strided convolution). */
function pad(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { paddings, constantValue } = args.attrs as unknown as tf.PadV2Attrs;
    if (x.dtype !== 'float32' || x.shape.length !== 4 || tf.util.sizeFromShape(x.shape) === 0) return fallback(args);
    const [[nb, na], [top, bottom], [left, right], [cb, ca]] = paddings as [number, number][];
    if (nb !== 0 || na !== 0 || cb !== 0 || ca !== 0 || top! < 0 || bottom! < 0 || left! < 0 || right! < 0) return fallback(args);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const backend = heapBackend(args.backend);
    const out = backend.makeOutput([n, h + top! + bottom!, w + left! + right!, c], 'float32');
    native.padImages(backend.wasm.asm.memory.buffer, heapOffset(backend, x), heapOffset(backend, out), n, h, w, c, top!, bottom!, left!, right!, constantValue);
    return out;
  };
}

/** Slice of float32 images along their rows and columns only (the gradient of that padding). */
function slice(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.SliceAttrs;
    if (x.dtype !== 'float32' || x.shape.length !== 4 || tf.util.sizeFromShape(x.shape) === 0) return fallback(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin, attrs.size);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (begin[0] !== 0 || size[0] !== n || begin[3] !== 0 || size[3] !== c || size[1]! < 1 || size[2]! < 1) return fallback(args);
    const backend = heapBackend(args.backend);
    const out = backend.makeOutput([...size], 'float32');
    native.cropImages(backend.wasm.asm.memory.buffer, heapOffset(backend, x), heapOffset(backend, out), n, h, w, c, begin[1]!, begin[2]!, size[1]!, size[2]!);
    return out;
  };
}

/** The optimizer's update of one weight (netc's fused SGD, momentum and Adam kernels call it for each), natively. */
function optimizerUpdate(native: NativeKernels): WeightUpdate {
  return (b, rule, w, g, state, k) => {
    const backend = heapBackend(b);
    const n = tf.util.sizeFromShape(w.shape);
    const nw = backend.makeOutput([...w.shape], 'float32');
    const ns = state.map(() => backend.makeOutput([...w.shape], 'float32'));
    const at = (t: tf.TensorInfo): number => heapOffset(backend, t);
    const heap = backend.wasm.asm.memory.buffer;
    if (rule === sgdUpdateKernel) native.sgdUpdate(heap, at(w), at(g), at(nw), n, k.c);
    else if (rule === momentumUpdateKernel) native.momentumUpdate(heap, at(w), at(g), at(state[0]!), at(nw), at(ns[0]!), n, k.c, k.m, k.nesterov ? 1 : 0);
    else {
      native.adamUpdate(
        heap, at(w), at(g), at(state[0]!), at(state[1]!), at(nw), at(ns[0]!), at(ns[1]!), n, k.c, k.b1, k.b2, k.o1, k.o2, k.d1, k.d2, k.eps,
      );
    }
    return [nw, ns];
  };
}

/** MaxPool or AvgPool of a float32 [N, H, W, C] tensor (`pool` the native function). */
function pool(run: NativeKernels['maxPool'], fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const g = poolGeometry(x.shape, args.attrs);
    if (g === null || x.dtype !== 'float32') return fallback(args);
    const backend = heapBackend(args.backend);
    const y = backend.makeOutput([...g.info.outShape], 'float32');
    run(backend.wasm.asm.memory.buffer, heapOffset(backend, x), heapOffset(backend, y), ...g.args);
    return y;
  };
}

function avgPoolGrad(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const g = poolGeometry(input.shape, args.attrs);
    if (g === null || dy.dtype !== 'float32' || !tf.util.arraysEqual(g.info.outShape, dy.shape)) return fallback(args);
    const backend = heapBackend(args.backend);
    const dx = backend.makeOutput([...input.shape], 'float32');
    native.avgPoolGrad(backend.wasm.asm.memory.buffer, heapOffset(backend, dy), heapOffset(backend, dx), ...g.args);
    return dx;
  };
}

function maxPoolGrad(native: NativeKernels, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const g = poolGeometry(input.shape, args.attrs);
    if (g === null || dy.dtype !== 'float32' || input.dtype !== 'float32' || !tf.util.arraysEqual(g.info.outShape, dy.shape)) return fallback(args);
    const backend = heapBackend(args.backend);
    const dx = backend.makeOutput([...input.shape], 'float32');
    native.maxPoolGrad(backend.wasm.asm.memory.buffer, heapOffset(backend, dy), heapOffset(backend, input), heapOffset(backend, dx), ...g.args);
    return dx;
  };
}

/** The SIMD module's functions with its batch-norm ones replaced by the native ones, per memory (made once each). */
function batchNormOverlay(native: NativeKernels): SimdOverlay {
  const made = new WeakMap<WasmMemory, SimdExports>();
  return (memory, module) => {
    const known = made.get(memory);
    if (known !== undefined) return known;
    // The heap's buffer is read at each call: a grown memory has a new one.
    const exports: SimdExports = {
      ...module,
      bnStats: (...a) => native.bnStats(memory.buffer, ...a),
      bnTrain: (...a) => native.bnTrain(memory.buffer, ...a),
      bnInfer: (...a) => native.bnInfer(memory.buffer, ...a),
      bnGradSums: (...a) => native.bnGradSums(memory.buffer, ...a),
      bnGradApply: (...a) => native.bnGradApply(memory.buffer, ...a),
      bnGrad: (...a) => native.bnGrad(memory.buffer, ...a),
    };
    made.set(memory, exports);
    return exports;
  };
}

/** A fast-path batch-norm kernel (its synchronisation and bookkeeping unchanged) running the native arithmetic. */
function batchNorm(native: NativeKernels, overlay: SimdOverlay, fallback: tf.KernelFunc, train: boolean): tf.KernelFunc {
  return (args) => {
    const x = args.inputs['x'];
    const c = x?.shape[x.shape.length - 1];
    const sums = train && x !== undefined ? channelSums.get(x.dataId) : undefined;
    if (sums === undefined || sums.length !== 2 * (c ?? 0)) return withSimdOverlay(overlay, () => fallback(args));
    // A convolution's output: the batch statistics come from its sums (training mode, one process or a group).
    const fromSums: SimdOverlay = (memory, module) => ({
      ...overlay(memory, module),
      bnTrain: (...a) => native.bnTrainFromSums(memory.buffer, ...a, sums.buffer),
      bnStats: (...a) => native.bnStatsFromSums(memory.buffer, ...a, sums.buffer),
    });
    return withSimdOverlay(fromSums, () => fallback(args));
  };
}

/**
 * The native kernels for the wasm backend, each falling back to `replaced(name)` (the kernel it takes
 * the place of); empty when the native module is not available here.
 */
export function nativeWasmKernels(replaced: (kernelName: string) => tf.KernelFunc): tf.KernelConfig[] {
  const native = nativeKernels();
  if (native === null) return [];
  const overlay = batchNormOverlay(native);
  const make = (kernelName: string, kernelFunc: tf.KernelFunc): tf.KernelConfig => ({ kernelName, backendName: 'wasm', kernelFunc });
  return [
    make('FusedConv2D', forward(native, replaced('FusedConv2D'), true)),
    make('Conv2D', forward(native, replaced('Conv2D'), false)),
    make('Conv2DBackpropInput', inputGrad(native, replaced('Conv2DBackpropInput'))),
    make('Conv2DBackpropFilter', filterGrad(native, replaced('Conv2DBackpropFilter'))),
    make('BatchMatMul', matmul(native, replaced('BatchMatMul'), false)),
    make('_FusedMatMul', matmul(native, replaced('_FusedMatMul'), true)),
    make('Add', add(native, replaced('Add'))),
    make('PadV2', pad(native, replaced('PadV2'))),
    make('Slice', slice(native, replaced('Slice'))),
    ...([sgdUpdateKernel, momentumUpdateKernel, adamUpdateKernel] as const).map((rule) => make(rule, updateKernel(rule, optimizerUpdate(native)))),
    make(addActivationKernel, elementwise(native, false)),
    make(activationGradKernel, elementwise(native, true)),
    make('MaxPool', pool(native.maxPool, replaced('MaxPool'))),
    make('AvgPool', pool(native.avgPool, replaced('AvgPool'))),
    make('AvgPoolGrad', avgPoolGrad(native, replaced('AvgPoolGrad'))),
    make('MaxPoolGrad', maxPoolGrad(native, replaced('MaxPoolGrad'))),
    ...[bnTrainKernel, bnInferKernel, bnGradKernel].map((name) => make(name, batchNorm(native, overlay, replaced(name), name === bnTrainKernel))),
  ];
}
