import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * The optimizer's update of every weight in one kernel call, instead of tfjs's 2 (SGD) or 4 (momentum) calls per
 * weight (a LeNet-BN step has 18 weights, resnet-mini 31). Each operation is rounded to float32 as tfjs's own
 * Mul and Add kernels round it (Math.fround after every product and sum), so the new weights are bit for bit
 * tfjs's:
 *   sgd       w' = c g + w                                         (c = -lr as a float32, tfjs's `c`)
 *   momentum  a' = m a + g;  w' = c a' + w, or with Nesterov  w' = c (g + m a') + w
 * Inputs are named w0, g0, a0 (momentum), w1, ...; the outputs are the new weights, then the new accumulations.
 */

/** Kernel name: SGD over `count` weights; attrs { count, c }. */
export const sgdUpdateKernel = 'NetcSgdUpdate';
/** Kernel name: momentum over `count` weights; attrs { count, c, m, nesterov }. */
export const momentumUpdateKernel = 'NetcMomentumUpdate';

/** The attributes of the update kernels. */
export interface UpdateAttrs {
  readonly count: number;
  /** -lr, rounded to float32 as tfjs's scalar holds it. */
  readonly c: number;
  /** The momentum, as a float32 (momentum only). */
  readonly m?: number;
  readonly nesterov?: boolean;
}

const f = Math.fround;

/** One weight's update: its value, gradient and (momentum) accumulation; the new weight and accumulation. */
export type WeightUpdate = (
  backend: object, w: tf.TensorInfo, g: tf.TensorInfo, a: tf.TensorInfo | undefined, attrs: Required<UpdateAttrs>,
) => [tf.TensorInfo, tf.TensorInfo | undefined];

/**
 * A fused update kernel: checks every weight against its gradient, runs `updateOne` on each, and returns the new
 * weights, then the new accumulations. The arithmetic is each backend's (this file's loops, or netc's native code).
 */
export function updateKernel(momentum: boolean, updateOne: WeightUpdate): tf.KernelFunc {
  return (args) => {
    const { count, c, m = 0, nesterov = false } = args.attrs as unknown as UpdateAttrs;
    const inputs = args.inputs as Record<string, tf.TensorInfo>;
    const weights: tf.TensorInfo[] = [];
    const accumulations: tf.TensorInfo[] = [];
    for (let i = 0; i < count; i++) {
      const w = inputs[`w${i}`]!;
      const g = inputs[`g${i}`]!;
      if (w.dtype !== 'float32' || g.dtype !== 'float32' || !tf.util.arraysEqual(w.shape, g.shape)) {
        throw new Error(`netc ${momentum ? momentumUpdateKernel : sgdUpdateKernel}: weight ${i} is ${w.dtype} ${w.shape}, its gradient ${g.dtype} ${g.shape}`);
      }
      const [nw, na] = updateOne(args.backend, w, g, momentum ? inputs[`a${i}`] : undefined, { count, c, m, nesterov });
      weights.push(nw);
      if (na !== undefined) accumulations.push(na);
    }
    return [...weights, ...accumulations];
  };
}

/** The update on flat arrays, every operation rounded to float32 (the wasm and cpu backends without native code). */
function flatUpdate(name: 'wasm' | 'cpu'): WeightUpdate {
  return (backend, w, g, a, attrs) => {
    const c = f(attrs.c);
    const m = f(attrs.m);
    const fb = flatBackend(backend, name);
    const nw = fb.alloc([...w.shape]);
    const na = a !== undefined ? fb.alloc([...w.shape]) : undefined;
    // Views after the allocations (a wasm heap that grows detaches older ones).
    const wv = fb.view(w);
    const gv = fb.view(g);
    const out = fb.view(nw);
    if (a === undefined || na === undefined) {
      for (let j = 0; j < wv.length; j++) out[j] = f(f(c * gv[j]!) + wv[j]!);
    } else {
      const av = fb.view(a);
      const outA = fb.view(na);
      for (let j = 0; j < wv.length; j++) {
        const acc = f(f(m * av[j]!) + gv[j]!);
        outA[j] = acc;
        const step = attrs.nesterov ? f(c * f(gv[j]! + f(acc * m))) : f(c * acc);
        out[j] = f(step + wv[j]!);
      }
    }
    return [nw, na];
  };
}

/** The fused updates for the wasm and cpu backends. */
export const optimizerUpdateKernels: readonly tf.KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((name) => [
  { kernelName: sgdUpdateKernel, backendName: name, kernelFunc: updateKernel(false, flatUpdate(name)) },
  { kernelName: momentumUpdateKernel, backendName: name, kernelFunc: updateKernel(true, flatUpdate(name)) },
]);
