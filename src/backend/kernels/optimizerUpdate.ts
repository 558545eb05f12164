import * as tf from '@tensorflow/tfjs';
import { flatBackend } from './flat.js';

/*
 * The optimizer's update of every weight in one kernel call, instead of tfjs's 2 (SGD), 4 (momentum) or 14 (Adam)
 * calls per weight (a LeNet-BN step has 18 weights, resnet-mini 31). Each operation is rounded to float32 as tfjs's
 * own Mul, Add, Div and Sqrt kernels round it (Math.fround after every product, sum, quotient and root), so the new
 * weights and state are bit for bit tfjs's:
 *   sgd       w' = c g + w                                         (c = -lr as a float32, tfjs's `c`)
 *   momentum  a' = m a + g;  w' = c a' + w, or with Nesterov  w' = c (g + m a') + w
 *   adam      m' = b1 m + o1 g;  v' = b2 v + o2 g^2;  w' = c ((m'/d1) / (sqrt(v'/d2) + eps)) + w
 *             (o1 = 1 - b1 and o2 = 1 - b2 as tfjs takes them from the JavaScript numbers, d1 = 1 - b1^t and
 *             d2 = 1 - b2^t as the float32 values tfjs's accumulated betas give)
 * Inputs are named w0, g0 and each state tensor of the rule (a0 for momentum, m0 and v0 for Adam), w1, ...; the
 * outputs are the new weights, then each state's new tensors in turn (all new a, or all new m then all new v).
 */

/** Kernel name: SGD over `count` weights; attrs { count, c }. */
export const sgdUpdateKernel = 'NetcSgdUpdate';
/** Kernel name: momentum over `count` weights; attrs { count, c, m, nesterov }. */
export const momentumUpdateKernel = 'NetcMomentumUpdate';
/** Kernel name: Adam over `count` weights; attrs { count, c, b1, b2, o1, o2, d1, d2, eps }. */
export const adamUpdateKernel = 'NetcAdamUpdate';

/** The update rules, and the state tensors each keeps per weight (the names of their inputs). */
const rules = {
  [sgdUpdateKernel]: [],
  [momentumUpdateKernel]: ['a'],
  [adamUpdateKernel]: ['m', 'v'],
} as const satisfies Record<string, readonly string[]>;

/** One of the fused update kernels' names. */
export type UpdateKernelName = keyof typeof rules;

/** The attributes of the update kernels. Numbers are the float32 values tfjs's scalars hold. */
export interface UpdateAttrs {
  readonly count: number;
  /** -lr. */
  readonly c: number;
  /** The momentum (momentum only). */
  readonly m?: number;
  readonly nesterov?: boolean;
  /** Adam's betas, 1 minus each, and the bias corrections 1 - beta^t for this step (Adam only). */
  readonly b1?: number;
  readonly b2?: number;
  readonly o1?: number;
  readonly o2?: number;
  readonly d1?: number;
  readonly d2?: number;
  /** Adam's epsilon. */
  readonly eps?: number;
}

const f = Math.fround;

/** The attributes rounded to float32 as tfjs's scalars hold them, absent ones 0. */
export type RoundedAttrs = Required<Omit<UpdateAttrs, 'count'>>;

function rounded(attrs: UpdateAttrs): RoundedAttrs {
  const { c, m = 0, nesterov = false, b1 = 0, b2 = 0, o1 = 1, o2 = 1, d1 = 1, d2 = 1, eps = 0 } = attrs;
  return { c: f(c), m: f(m), nesterov, b1: f(b1), b2: f(b2), o1: f(o1), o2: f(o2), d1: f(d1), d2: f(d2), eps: f(eps) };
}

/**
 * One weight's update: its value, gradient and state tensors (none, [a] or [m, v]); the new weight and new state
 * tensors in the same order.
 */
export type WeightUpdate = (
  backend: object, rule: UpdateKernelName, w: tf.TensorInfo, g: tf.TensorInfo, state: tf.TensorInfo[], attrs: RoundedAttrs,
) => [tf.TensorInfo, tf.TensorInfo[]];

/**
 * A fused update kernel: checks every weight against its gradient and state, runs `updateOne` on each, and returns
 * the new weights, then each state's new tensors. The arithmetic is each backend's (this file's loops, or netc's
 * native code).
 */
export function updateKernel(rule: UpdateKernelName, updateOne: WeightUpdate): tf.KernelFunc {
  const stateNames = rules[rule];
  return (args) => {
    const count = (args.attrs as unknown as UpdateAttrs).count;
    const attrs = rounded(args.attrs as unknown as UpdateAttrs);
    const inputs = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const weights: tf.TensorInfo[] = [];
    const states: tf.TensorInfo[][] = stateNames.map(() => []);
    for (let i = 0; i < count; i++) {
      const w = inputs[`w${i}`];
      const g = inputs[`g${i}`];
      const state = stateNames.map((name) => inputs[`${name}${i}`]);
      const operands = [w, g, ...state];
      if (operands.some((t) => t === undefined || t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, w!.shape))) {
        const described = operands.map((t) => (t === undefined ? 'missing' : `${t.dtype} [${t.shape.join(', ')}]`));
        throw new Error(`netc ${rule}: weight ${i} and its gradient and state must be float32 of one shape, not ${described.join(', ')}`);
      }
      const [nw, ns] = updateOne(args.backend, rule, w!, g!, state as tf.TensorInfo[], attrs);
      weights.push(nw);
      ns.forEach((t, k) => states[k]!.push(t));
    }
    return [...weights, ...states.flat()];
  };
}

/** The update on flat arrays, every operation rounded to float32 (the wasm and cpu backends without native code). */
function flatUpdate(name: 'wasm' | 'cpu'): WeightUpdate {
  return (backend, rule, w, g, state, { c, m, nesterov, b1, b2, o1, o2, d1, d2, eps }) => {
    const fb = flatBackend(backend, name);
    const nw = fb.alloc([...w.shape]);
    const ns = state.map(() => fb.alloc([...w.shape]));
    // Views after the allocations (a wasm heap that grows detaches older ones).
    const wv = fb.view(w);
    const gv = fb.view(g);
    const out = fb.view(nw);
    const sv = state.map((t) => fb.view(t));
    const outS = ns.map((t) => fb.view(t));
    if (rule === sgdUpdateKernel) {
      for (let j = 0; j < wv.length; j++) out[j] = f(f(c * gv[j]!) + wv[j]!);
    } else if (rule === momentumUpdateKernel) {
      const [av, outA] = [sv[0]!, outS[0]!];
      for (let j = 0; j < wv.length; j++) {
        const acc = f(f(m * av[j]!) + gv[j]!);
        outA[j] = acc;
        const step = nesterov ? f(c * f(gv[j]! + f(acc * m))) : f(c * acc);
        out[j] = f(step + wv[j]!);
      }
    } else {
      const [mv, vv, outM, outV] = [sv[0]!, sv[1]!, outS[0]!, outS[1]!];
      for (let j = 0; j < wv.length; j++) {
        const gj = gv[j]!;
        const m1 = f(f(mv[j]! * b1) + f(gj * o1));
        const v1 = f(f(vv[j]! * b2) + f(f(gj * gj) * o2));
        outM[j] = m1;
        outV[j] = v1;
        const step = f(f(f(m1 / d1) / f(f(Math.sqrt(f(v1 / d2))) + eps)) * c);
        out[j] = f(step + wv[j]!);
      }
    }
    return [nw, ns];
  };
}

/** The fused updates for the wasm and cpu backends. */
export const optimizerUpdateKernels: readonly tf.KernelConfig[] = (['wasm', 'cpu'] as const).flatMap((name) =>
  (Object.keys(rules) as UpdateKernelName[]).map((rule) => ({ kernelName: rule, backendName: name, kernelFunc: updateKernel(rule, flatUpdate(name)) })),
);
