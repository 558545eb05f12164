import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropInputKernels } from '../kernels/conv2dBackpropInput.js';
import { convGeometry, flatBackend } from '../kernels/flat.js';
import { isInputGradientSkipped } from '../kernels/unusedGradient.js';
import { activeSyncGroup } from '../SyncGroup.js';
import { simdOverlaid, withCall } from './heap.js';
import { activationCodes, type FusedActivation, type PoolGeometryArgs } from './module.js';

/*
 * tfjs kernels backed by netc's SIMD module, for the wasm and cpu backends: the fast path. They replace netc's
 * JavaScript kernels (and the backends' own) for per-channel sums, pooling and the filter gradient, and add
 * three kernels of netc's own for batch normalisation fused with the activation after it.
 */

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };
type BackendName = 'wasm' | 'cpu';

/** Kernel name: batch norm in training mode plus activation; inputs x, gamma, beta; outputs y, mean, variance. */
export const bnTrainKernel = 'NetcBatchNormTrain';
/** Kernel name: batch norm with given statistics plus activation; inputs x, gamma, beta, mean, variance; output y. */
export const bnInferKernel = 'NetcBatchNormInfer';
/** Kernel name: the gradient of either; inputs dy, y, x, gamma, mean, variance; outputs dx, dgamma, dbeta. */
export const bnGradKernel = 'NetcBatchNormGrad';

/** Kernel name: both moving statistics moved towards the batch's in one call; outputs the new mean and variance. */
export const movingAverageKernel = 'NetcMovingAverage';

/** The attributes of netc's batch-norm kernels. */
export interface BatchNormAttrs {
  readonly epsilon: number;
  readonly activation: FusedActivation;
}

/** [rows, C] of a channels-last tensor: every axis but the last is a row. */
function rowsAndChannels(shape: readonly number[]): [number, number] {
  const c = shape[shape.length - 1] ?? 1;
  return [c === 0 ? 0 : tf.util.sizeFromShape([...shape]) / c, c];
}

function activationCode(attrs: tf.NamedAttrMap | undefined): number {
  const name = (attrs as unknown as BatchNormAttrs | undefined)?.activation ?? 'linear';
  const code = activationCodes[name];
  if (code === undefined) throw new Error(`netc batch norm: unknown activation '${String(name)}'`);
  return code;
}

/**
 * On wasm the sigmoid is left to the backend's own kernel (XNNPACK's, 0.9 ms on LeNet's first feature map against
 * 1.6 ms for the module's exponential) unless netc's native batch norm runs the call (it computes the sigmoid in
 * the same pass); every other activation, and every activation on cpu, runs in the module.
 */
function sigmoidApart(name: BackendName, attrs: tf.NamedAttrMap | undefined): boolean {
  return name === 'wasm' && !simdOverlaid() && (attrs as unknown as BatchNormAttrs | undefined)?.activation === 'sigmoid';
}

/** The module's activation code for a forward kernel: linear where the sigmoid is applied apart. */
function forwardActivation(name: BackendName, attrs: tf.NamedAttrMap | undefined): number {
  return sigmoidApart(name, attrs) ? activationCodes.linear : activationCode(attrs);
}

/** Applies the sigmoid left apart to the first output (the normalised values), in place of it. */
function finishForward(name: BackendName, backend: object, attrs: tf.NamedAttrMap | undefined, outputs: tf.TensorInfo[]): tf.TensorInfo[] {
  if (!sigmoidApart(name, attrs)) return outputs;
  const fb = flatBackend(backend, name);
  const y = fb.run('Sigmoid', { x: outputs[0]! });
  fb.dispose(outputs[0]!);
  return [y, ...outputs.slice(1)];
}

function bnTrain(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo[] => {
    const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    const { epsilon } = args.attrs as unknown as BatchNormAttrs;
    const [rows, c] = rowsAndChannels(x.shape);
    const group = activeSyncGroup();
    const act = forwardActivation(name, args.attrs);
    const outputs = withCall(args.backend, name, (call) => {
      const xp = call.input(x);
      const gp = call.input(gamma);
      const bp = call.input(beta);
      const y = call.output(x.shape);
      const mean = call.output([c]);
      const variance = call.output([c]);
      const scratch = call.scratch(call.k.channelScratchBytes(c));
      if (group === null) {
        call.k.bnTrain(xp, y, rows, c, gp, bp, mean, variance, epsilon, act, scratch);
        return;
      }
      // Synchronised batch norm: this worker's count, mean and sum of squares about it, combined with every
      // other worker's by Chan's rule (no cancellation), then the normalisation with the whole batch's statistics.
      const stats = call.scratch(16 * c);
      call.k.bnStats(xp, rows, c, stats, stats + 8 * c, scratch);
      const local = new Float64Array(1 + 2 * c);
      local[0] = rows;
      local.set(call.f64(stats, 2 * c), 1);
      const shares = group.allGather(local);
      const n = shares.reduce((sum, s) => sum + s[0]!, 0);
      const meanOut = call.f32(mean, c);
      const varianceOut = call.f32(variance, c);
      for (let ch = 0; ch < c; ch++) {
        const m = shares.reduce((sum, s) => sum + s[0]! * s[1 + ch]!, 0) / n;
        const m2 = shares.reduce((sum, s) => sum + s[1 + c + ch]! + s[0]! * (s[1 + ch]! - m) ** 2, 0);
        meanOut[ch] = m;
        varianceOut[ch] = m2 / n;
      }
      call.k.bnInfer(xp, y, rows, c, gp, bp, mean, variance, epsilon, act, scratch);
    });
    return finishForward(name, args.backend, args.attrs, outputs);
  };
}

function bnInfer(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x, gamma, beta, mean, variance } = args.inputs as Record<'x' | 'gamma' | 'beta' | 'mean' | 'variance', tf.TensorInfo>;
    const { epsilon } = args.attrs as unknown as BatchNormAttrs;
    const [rows, c] = rowsAndChannels(x.shape);
    const outputs = withCall(args.backend, name, (call) => {
      const ptrs = [x, gamma, beta, mean, variance].map((t) => call.input(t)) as [number, number, number, number, number];
      const y = call.output(x.shape);
      call.k.bnInfer(ptrs[0], y, rows, c, ptrs[1], ptrs[2], ptrs[3], ptrs[4], epsilon, forwardActivation(name, args.attrs), call.scratch(call.k.channelScratchBytes(c)));
    });
    return finishForward(name, args.backend, args.attrs, outputs)[0]!;
  };
}

function bnGrad(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo[] => {
    const { dy, y, x, gamma, mean, variance } = args.inputs as Record<'dy' | 'y' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
    const { epsilon, training } = args.attrs as unknown as BatchNormAttrs & { training: boolean };
    const [rows, c] = rowsAndChannels(x.shape);
    const group = training ? activeSyncGroup() : null;
    return withCall(args.backend, name, (call) => {
      const p = [dy, y, x, gamma, mean, variance].map((t) => call.input(t)) as [number, number, number, number, number, number];
      const dx = call.output(x.shape);
      const dgamma = call.output([c]);
      const dbeta = call.output([c]);
      const scratch = call.scratch(call.k.channelScratchBytes(c));
      const act = activationCode(args.attrs);
      if (group === null) {
        call.k.bnGrad(p[0], p[1], p[2], rows, c, p[3], p[4], p[5], epsilon, act, training ? 1 : 0, dx, dgamma, dbeta, scratch);
        return;
      }
      // Synchronised: dx needs the whole batch's sums of dz and dz * (x - mean); dgamma and dbeta stay this
      // worker's share, since the step adds every worker's weight gradients afterwards.
      const sums = call.scratch(16 * c);
      call.k.bnGradSums(p[0], p[1], p[2], rows, c, p[4], act, sums, sums + 8 * c, scratch);
      const local = new Float64Array(1 + 2 * c);
      local[0] = rows;
      local.set(call.f64(sums, 2 * c), 1);
      const total = group.allReduce(local);
      call.f64(sums, 2 * c).set(total.subarray(1));
      call.k.bnGradApply(p[0], p[1], p[2], rows, c, p[3], p[4], p[5], epsilon, act, 1, total[0]!, sums, sums + 8 * c, dx, dgamma, dbeta, scratch);
      const v = call.f32(p[5], c);
      const dg = call.f32(dgamma, c);
      const db = call.f32(dbeta, c);
      for (let ch = 0; ch < c; ch++) {
        db[ch] = local[1 + ch]!;
        dg[ch] = local[1 + c + ch]! / Math.sqrt(v[ch]! + epsilon);
      }
    });
  };
}

/**
 * moving = momentum * moving + (1 - momentum) * batch, for mean and variance at once, rounded to float32 after
 * every operation as the tfjs ops it replaces round. The `builtin` rule rounds as tfjs's batch-norm layer does, moving - (moving - batch) * (1 - momentum),
 * so the fast path's moving statistics are those of the layer it replaces to the last bit.
 */
function movingAverage(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo[] => {
    const inputs = args.inputs as Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', tf.TensorInfo>;
    const { momentum, rule } = args.attrs as unknown as { momentum: number; rule: 'builtin' | 'scratch' };
    const fb = flatBackend(args.backend, name);
    const m = Math.fround(momentum);
    const decay = Math.fround(1 - momentum);
    const move = (moving: tf.TensorInfo, batch: tf.TensorInfo): tf.TensorInfo => {
      const out = fb.alloc([...moving.shape]);
      const [o, mv, b] = [fb.view(out), fb.view(moving), fb.view(batch)];
      for (let i = 0; i < o.length; i++) {
        o[i] = rule === 'builtin'
          ? Math.fround(mv[i]! - Math.fround(Math.fround(mv[i]! - b[i]!) * decay))
          : Math.fround(Math.fround(mv[i]! * m) + Math.fround(b[i]! * decay));
      }
      return out;
    };
    return [move(inputs.movingMean, inputs.mean), move(inputs.movingVariance, inputs.variance)];
  };
}

/** How many leading axes `axis` reduces, or -1 when it reduces anything else. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(tf.util.parseAxisParam(axis, new Array<number>(rank).fill(1)))].sort((p, q) => p - q);
  return axes.every((a, i) => a === i) ? axes.length : -1;
}

/** Sum and Mean over leading axes (bias gradients, batch statistics); any other reduction is the backend's. */
function reduce(kernelName: 'Sum' | 'Mean', name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const lead = leadingAxes(axis, x.shape.length);
    const size = tf.util.sizeFromShape(x.shape);
    if (x.dtype !== 'float32' || lead <= 0 || size === 0) return flatBackend(args.backend, name).run(kernelName, { x }, args.attrs);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, lead));
    const kept = x.shape.slice(lead);
    const c = size / rows;
    const outShape = keepDims ? [...new Array<number>(lead).fill(1), ...kept] : kept;
    return withCall(args.backend, name, (call) => {
      const xp = call.input(x);
      const out = call.output(outShape);
      call.k.sumRows(xp, rows, c, out, kernelName === 'Mean' ? rows : 1, call.scratch(call.k.channelScratchBytes(c)));
    })[0]!;
  };
}

/** A pooling's geometry, or null for what these kernels leave to the backend (dilation, another layout). */
export function poolGeometry(xShape: readonly number[], attrs: tf.NamedAttrMap | undefined): { info: tf.backend_util.Conv2DInfo; args: PoolGeometryArgs } | null {
  const a = attrs as unknown as tf.AvgPoolAttrs;
  if (xShape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return {
    info,
    args: [
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    ],
  };
}

function pool(kernelName: 'AvgPool' | 'MaxPool', name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const g = poolGeometry(x.shape, args.attrs);
    if (g === null || x.dtype !== 'float32') return flatBackend(args.backend, name).run(kernelName, { x }, args.attrs);
    return withCall(args.backend, name, (call) => {
      const xp = call.input(x);
      const y = call.output(g.info.outShape);
      if (kernelName === 'AvgPool') call.k.avgPool(xp, y, ...g.args);
      else call.k.maxPool(xp, y, ...g.args);
    })[0]!;
  };
}

function avgPoolGrad(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const g = poolGeometry(input.shape, args.attrs);
    if (g === null || !tf.util.arraysEqual(g.info.outShape, dy.shape)) return flatBackend(args.backend, name).run('AvgPoolGrad', { dy, input }, args.attrs);
    return withCall(args.backend, name, (call) => {
      const dyp = call.input(dy);
      const dx = call.output(input.shape);
      call.k.avgPoolGrad(dyp, dx, ...g.args, call.scratch(8 * g.info.inWidth + 16));
    })[0]!;
  };
}

function maxPoolGrad(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, input, output } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
    const g = poolGeometry(input.shape, args.attrs);
    if (g === null || !tf.util.arraysEqual(g.info.outShape, dy.shape)) {
      return flatBackend(args.backend, name).run('MaxPoolGrad', { dy, input, output }, args.attrs);
    }
    return withCall(args.backend, name, (call) => {
      const dyp = call.input(dy);
      const xp = call.input(input);
      const dx = call.output(input.shape);
      call.k.maxPoolGrad(dyp, xp, dx, ...g.args);
    })[0]!;
  };
}

function conv2dBackpropFilter(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat !== 'NHWC') throw new Error(`netc Conv2DBackpropFilter: only NHWC, got ${attrs.dataFormat}`);
    const { info, top, left } = convGeometry(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
    if (!tf.util.arraysEqual(info.outShape, dy.shape)) {
      throw new Error(`netc Conv2DBackpropFilter: dy is ${dy.shape}, the convolution gives ${info.outShape}`);
    }
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: o } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    // Few output channels on wide rows (LeNet's first layer): lanes along the columns waste nothing there.
    const columns = sh === 1 && sw === 1 && ow >= 16 && o < 16;
    return withCall(args.backend, name, (call) => {
      const xp = call.input(x);
      const dyp = call.input(dy);
      const out = call.output([kh, kw, c, o]);
      if (columns) {
        const scratch = call.scratch(call.k.filterGradColumnsScratchBytes(h, c, oh, ow, o, kh, kw));
        call.k.conv2dFilterGradColumns(xp, dyp, out, n, h, w, c, oh, ow, o, kh, kw, top, left, scratch);
        return;
      }
      const scratch = call.scratch(call.k.filterGradScratchBytes(n, oh, ow, o, kh, kw, c));
      call.k.conv2dFilterGrad(xp, dyp, out, n, h, w, c, oh, ow, o, kh, kw, sh, sw, top, left, scratch);
    })[0]!;
  };
}

/**
 * The input gradient of a stride-1 convolution (every convolution netc compiles but a strided one); zeros for a
 * model's first layer, whose input gradient nobody reads (see unusedGradient.ts); other strides go to netc's
 * XNNPACK-based kernel.
 */
function conv2dBackpropInput(name: BackendName) {
  const fallback = conv2dBackpropInputKernels.find((k) => k.backendName === name)!.kernelFunc;
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (isInputGradientSkipped(filter) || attrs.dataFormat !== 'NHWC' || dy.dtype !== 'float32') return fallback(args) as tf.TensorInfo;
    const { info, top, left } = convGeometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || !tf.util.arraysEqual(info.outShape, dy.shape)) return fallback(args) as tf.TensorInfo;
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: o } = info;
    const { filterHeight: kh, filterWidth: kw } = info;
    return withCall(args.backend, name, (call) => {
      const dyp = call.input(dy);
      const fp = call.input(filter);
      const dx = call.output([n, h, w, c]);
      const scratch = call.scratch(call.k.inputGradScratchBytes(n, h, w, c, oh, ow, o, kw));
      call.k.conv2dInputGrad(dyp, fp, dx, n, h, w, c, oh, ow, o, kh, kw, top, left, scratch);
    })[0]!;
  };
}

/**
 * A convolution with bias (tfjs-layers' Conv2D) when it reads at most 4 channels with stride 1 and no activation
 * (LeNet's first layer: XNNPACK runs it at a third of its speed on wider inputs); anything else is the backend's.
 */
function fusedConv2d(name: BackendName) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<'x' | 'filter' | 'bias' | 'preluActivationWeights', tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    const fallback = (): tf.TensorInfo => flatBackend(args.backend, name).run('FusedConv2D', args.inputs as Record<string, tf.TensorInfo>, args.attrs);
    const dilations = typeof attrs.dilations === 'number' ? [attrs.dilations, attrs.dilations] : attrs.dilations ?? [1, 1];
    if (
      x === undefined || filter === undefined || x.dtype !== 'float32' || attrs.dataFormat !== 'NHWC' || preluActivationWeights != null ||
      (attrs.activation ?? 'linear') !== 'linear' || dilations[0] !== 1 || dilations[1] !== 1
    ) return fallback();
    const { info, top, left } = convGeometry(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
    const o = info.outChannels;
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.inChannels > 4 || (bias != null && tf.util.sizeFromShape(bias.shape) !== o)) return fallback();
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
    return withCall(args.backend, name, (call) => {
      const xp = call.input(x);
      const fp = call.input(filter);
      const bp = bias == null ? 0 : call.input(bias);
      const y = call.output(info.outShape);
      call.k.conv2dSmallChannels(xp, fp, bp, y, n, h, w, c, oh, ow, o, kh, kw, top, left, call.scratch(call.k.smallChannelsScratchBytes(h, c, ow, kw)));
    })[0]!;
  };
}

/** Kernel functions of the SIMD set for one backend. */
function kernelsFor(name: BackendName): tf.KernelConfig[] {
  const make = (kernelName: string, kernelFunc: tf.KernelFunc): tf.KernelConfig => ({ kernelName, backendName: name, kernelFunc });
  return [
    make(bnTrainKernel, bnTrain(name) as unknown as tf.KernelFunc),
    make(bnInferKernel, bnInfer(name)),
    make(bnGradKernel, bnGrad(name) as unknown as tf.KernelFunc),
    make(movingAverageKernel, movingAverage(name) as unknown as tf.KernelFunc),
    make('Sum', reduce('Sum', name)),
    make('Mean', reduce('Mean', name)),
    make('AvgPool', pool('AvgPool', name)),
    make('MaxPool', pool('MaxPool', name)),
    make('AvgPoolGrad', avgPoolGrad(name)),
    make('MaxPoolGrad', maxPoolGrad(name)),
    make('Conv2DBackpropFilter', conv2dBackpropFilter(name)),
    make('Conv2DBackpropInput', conv2dBackpropInput(name)),
    make('FusedConv2D', fusedConv2d(name)),
  ];
}

/** netc's SIMD kernels for the wasm and cpu backends (the fast path). */
export const simdKernels: readonly tf.KernelConfig[] = [...kernelsFor('wasm'), ...kernelsFor('cpu')];

/** Names of netc's own batch-norm kernels, which exist only on the fast path. */
export const fusedKernelNames: readonly string[] = [bnTrainKernel, bnInferKernel, bnGradKernel, movingAverageKernel];
