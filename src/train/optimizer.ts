import * as tf from '@tensorflow/tfjs';
import { adamUpdateKernel, momentumUpdateKernel, sgdUpdateKernel, type UpdateAttrs } from '../backend/kernels/index.js';
import type { Hyperparameters } from './hyperparameters.js';
import { learningRateAt, type ScheduleSpec } from './schedule.js';

/** RMSprop's decay of its mean square: PyTorch's `alpha` default (tfjs's own default is 0.9). */
const rmspropDecay = 0.99;

/** PyTorch's `clip_grad_norm_` adds this to the norm before dividing. */
const clipEpsilon = 1e-6;

/** What `applyGradients` receives (tfjs does not export the type's parts by name). */
type VariableGradients = Parameters<tf.MomentumOptimizer['applyGradients']>[0];

/** A tfjs optimizer's per-weight state tensor, under the name its checkpoints keep (`${weight}/momentum`, ...). */
interface OptimizerVariable {
  originalName: string;
  variable: tf.Variable;
}

/** One kind of per-weight state: the fused kernel's input name for it, the tfjs optimizer's list, the name suffix. */
interface StateSlot {
  readonly input: string;
  readonly list: OptimizerVariable[];
  readonly suffix: string;
}

/**
 * One fused update of every weight (`kernel`), with tfjs's own bookkeeping: each listed weight's state is made at
 * its position in the update on first sight (zeros, named as tfjs names it), whether or not it has a gradient this
 * step; the weights with a gradient go through one kernel call, and the new weights and state are assigned.
 */
function applyFused(
  kernel: string, variableGradients: VariableGradients, slots: readonly StateSlot[], attrs: Omit<UpdateAttrs, 'count'>,
): void {
  const list: { name: string; tensor: tf.Tensor | null }[] = Array.isArray(variableGradients)
    ? variableGradients
    : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
  const todo: { index: number; variable: tf.Variable; gradient: tf.Tensor }[] = [];
  list.forEach(({ name, tensor }, index) => {
    const variable = tf.engine().registeredVariables[name];
    if (variable === undefined) return;
    for (const slot of slots) {
      slot.list[index] ??= { originalName: `${name}/${slot.suffix}`, variable: tf.tidy(() => tf.zerosLike(variable).variable(false)) };
    }
    if (tensor != null) todo.push({ index, variable, gradient: tensor });
  });
  const inputs: tf.NamedTensorMap = {};
  todo.forEach(({ index, variable, gradient }, i) => {
    inputs[`w${i}`] = variable;
    inputs[`g${i}`] = gradient;
    for (const slot of slots) inputs[`${slot.input}${i}`] = slot.list[index]!.variable;
  });
  tf.tidy(() => {
    const out = tf.engine().runKernel(kernel, inputs, { ...attrs, count: todo.length } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    todo.forEach(({ index, variable }, i) => {
      slots.forEach((slot, k) => slot.list[index]!.variable.assign(out[(k + 1) * todo.length + i]!));
      variable.assign(out[i]!);
    });
  });
}

/** Whether the current backend has the fused kernel (wasm and cpu with netc's kernels registered). */
const fusedHere = (kernel: string): boolean => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/**
 * tfjs's SGD with every weight updated by one kernel call (netc's NetcSgdUpdate, where the backend has it: wasm and
 * cpu) instead of two per weight; the same float32 operations, so the same weights bit for bit.
 */
class FusedSGDOptimizer extends tf.SGDOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    if (!fusedHere(sgdUpdateKernel)) return super.applyGradients(variableGradients);
    applyFused(sgdUpdateKernel, variableGradients, [], { c: -this.learningRate });
    this.incrementIterations();
  }
}

/** tfjs's momentum (and Nesterov) optimizer with every weight updated by one call (NetcMomentumUpdate), as above. */
class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  constructor(
    learningRate: number,
    private readonly fusedMomentum: number,
    private readonly fusedNesterov: boolean,
  ) {
    super(learningRate, fusedMomentum, fusedNesterov);
  }

  override applyGradients(variableGradients: VariableGradients): void {
    if (!fusedHere(momentumUpdateKernel)) return super.applyGradients(variableGradients);
    // tfjs's own state, which checkpoints keep.
    const { accumulations } = this as unknown as { accumulations: OptimizerVariable[] };
    const slots = [{ input: 'a', list: accumulations, suffix: 'momentum' }];
    applyFused(momentumUpdateKernel, variableGradients, slots, { c: -this.learningRate, m: this.fusedMomentum, nesterov: this.fusedNesterov });
    this.incrementIterations();
  }
}

/** tfjs's private Adam state: the moments, the betas raised to the step count, and its constants. */
interface AdamState {
  accumulatedFirstMoment: OptimizerVariable[];
  accumulatedSecondMoment: OptimizerVariable[];
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** tfjs's Adam with every weight updated by one call (NetcAdamUpdate, instead of 14 per weight), as above. */
class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    if (!fusedHere(adamUpdateKernel)) return super.applyGradients(variableGradients);
    const state = this as unknown as AdamState;
    const slots = [
      { input: 'm', list: state.accumulatedFirstMoment, suffix: 'm' },
      { input: 'v', list: state.accumulatedSecondMoment, suffix: 'v' },
    ];
    // tfjs divides by 1 - beta^t computed in float32 from its accumulated betas (scalars read back here).
    const [a1, a2] = [state.accBeta1.dataSync()[0]!, state.accBeta2.dataSync()[0]!];
    const f = Math.fround;
    applyFused(adamUpdateKernel, variableGradients, slots, {
      c: -state.learningRate, b1: state.beta1, b2: state.beta2, o1: 1 - state.beta1, o2: 1 - state.beta2,
      d1: f(1 - a1), d2: f(1 - a2), eps: state.epsilon,
    });
    tf.tidy(() => {
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    this.incrementIterations();
  }
}

/** The tfjs optimizer that does the update itself, its rate set before every step. */
function innerOptimizer(h: Hyperparameters): tf.Optimizer {
  switch (h.optimizer) {
    case 'sgd':
      return new FusedSGDOptimizer(h.lr);
    case 'momentum':
      return new FusedMomentumOptimizer(h.lr, h.momentum, h.nesterov);
    case 'adam':
    case 'adamw':
      // tf.train.adam's defaults: betas 0.9 and 0.999, the backend's epsilon.
      return new FusedAdamOptimizer(h.lr, 0.9, 0.999);
    case 'rmsprop':
      return tf.train.rmsprop(h.lr, rmspropDecay);
  }
}

/**
 * A run's optimizer: the recipe around a tfjs optimizer. Before each update it sets the scheduled rate for the
 * step (counted by the tfjs optimizer, whose count is saved with its state, so a resumed run continues the
 * schedule), clips the gradients' global norm (PyTorch's `clip_grad_norm_`), adds L2 weight decay to the gradients
 * (sgd, momentum, adam, rmsprop: PyTorch's `weight_decay`), or for adamw shrinks the weights by `lr * wd` first
 * (PyTorch's AdamW, decoupled). Decay skips rank-1 weights (biases, normalisation scales and shifts) unless `wdAll`.
 * Its state (`getWeights`) is exactly the tfjs optimizer's, so checkpoints keep their layout.
 */
export class RecipeOptimizer extends tf.Optimizer {
  static readonly className = 'NetcRecipeOptimizer';
  private readonly inner: tf.Optimizer;
  private readonly spec: ScheduleSpec;

  constructor(
    private readonly h: Hyperparameters,
    readonly stepsPerEpoch: number,
  ) {
    super();
    this.inner = innerOptimizer(h);
    this.spec = { schedule: h.schedule, lr: h.lr, warmup: h.warmup, step: h.step, gamma: h.gamma, epochs: h.epochs, stepsPerEpoch };
  }

  /** Optimizer steps taken so far (restored from a checkpoint on resume). */
  get steps(): number {
    return this.inner.iterations;
  }

  /** The rate the next step uses. */
  learningRate(): number {
    return learningRateAt(this.spec, this.inner.iterations);
  }

  /** The rate of step `t` (0-based) of the run. */
  learningRateAt(t: number): number {
    return learningRateAt(this.spec, t);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const named: tf.NamedTensorMap = Array.isArray(variableGradients)
      ? Object.fromEntries(variableGradients.map((g) => [g.name, g.tensor]))
      : variableGradients;
    const lr = this.learningRate();
    setRate(this.inner, lr);
    const h = this.h;
    tf.tidy(() => {
      let grads = named;
      if (h.clip !== null) grads = clipGlobalNorm(grads, h.clip);
      if (h.wd > 0) {
        const registered = tf.engine().registeredVariables;
        const decoupled = h.optimizer === 'adamw';
        const decayed: tf.NamedTensorMap = {};
        for (const [name, grad] of Object.entries(grads)) {
          const variable = registered[name];
          const decays = variable !== undefined && (h.wdAll || variable.rank >= 2);
          if (!decays) decayed[name] = grad;
          else if (decoupled) {
            variable.assign(tf.mul(variable, 1 - lr * h.wd));
            decayed[name] = grad;
          } else decayed[name] = tf.add(grad, tf.mul(variable, h.wd));
        }
        grads = decayed;
      }
      this.inner.applyGradients(grads);
    });
  }

  override async getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    return this.inner.getWeights();
  }

  override async setWeights(weightValues: { name: string; tensor: tf.Tensor }[]): Promise<void> {
    await this.inner.setWeights(weightValues);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.inner.getConfig(), stepsPerEpoch: this.stepsPerEpoch };
  }

  override dispose(): void {
    this.inner.dispose();
    super.dispose();
  }
}

/** The tfjs optimizers keep their rate in a field that `applyGradients` reads; SGD and momentum cache it as a scalar. */
function setRate(optimizer: tf.Optimizer, lr: number): void {
  // Not `instanceof`: tfjs makes every optimizer an instance of every optimizer class (Symbol.hasInstance).
  const held = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (held.learningRate === lr) return;
  if (typeof held.setLearningRate === 'function') held.setLearningRate(lr);
  else held.learningRate = lr;
}

/** Gradients scaled so that their global L2 norm is at most `maxNorm` (unchanged when it already is). */
export function clipGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const tensors = Object.values(grads);
  if (tensors.length === 0) return grads;
  const norm = tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, clipEpsilon)));
  return Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, scale)]));
}

/** The optimizer for a run; `stepsPerEpoch` places each step on the schedule (1 where no schedule is read). */
export function createOptimizer(h: Hyperparameters, stepsPerEpoch = 1): RecipeOptimizer {
  return new RecipeOptimizer(h, stepsPerEpoch);
}
