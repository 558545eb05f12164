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

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap };
const f = Math.fround;

function update(name: 'wasm' | 'cpu', momentum: boolean) {
  return (args: KernelArgs): tf.TensorInfo[] => {
    const { count, c: cRaw, m: mRaw = 0, nesterov = false } = args.attrs as unknown as UpdateAttrs;
    const c = f(cRaw);
    const m = f(mRaw);
    const fb = flatBackend(args.backend, name);
    const inputs = args.inputs as Record<string, tf.TensorInfo>;
    const weights: tf.TensorInfo[] = [];
    const accumulations: tf.TensorInfo[] = [];
    for (let i = 0; i < count; i++) {
      const w = inputs[`w${i}`]!;
      const g = inputs[`g${i}`]!;
      if (w.dtype !== 'float32' || g.dtype !== 'float32' || !tf.util.arraysEqual(w.shape, g.shape)) {
        throw new Error(`netc ${momentum ? momentumUpdateKernel : sgdUpdateKernel}: weight ${i} is ${w.dtype} ${w.shape}, its gradient ${g.dtype} ${g.shape}`);
      }
      const nw = fb.alloc([...w.shape]);
      const na = momentum ? fb.alloc([...w.shape]) : null;
      // Views after the allocations (a wasm heap that grows detaches older ones).
      const wv = fb.view(w);
      const gv = fb.view(g);
      const out = fb.view(nw);
      if (na === null) {
        for (let j = 0; j < wv.length; j++) out[j] = f(f(c * gv[j]!) + wv[j]!);
      } else {
        const av = fb.view(inputs[`a${i}`]!);
        const outA = fb.view(na);
        for (let j = 0; j < wv.length; j++) {
          const a = f(f(m * av[j]!) + gv[j]!);
          outA[j] = a;
          const step = nesterov ? f(c * f(gv[j]! + f(a * m))) : f(c * a);
          out[j] = f(step + wv[j]!);
        }
        accumulations.push(na);
      }
      weights.push(nw);
    }
    return [...weights, ...accumulations];
  };
}

/** The fused updates for the wasm and cpu backends. */
export const optimizerUpdateKernels: readonly tf.KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((name) => [
  { kernelName: sgdUpdateKernel, backendName: name, kernelFunc: update(name, false) as unknown as tf.KernelFunc },
  { kernelName: momentumUpdateKernel, backendName: name, kernelFunc: update(name, true) as unknown as tf.KernelFunc },
]);
