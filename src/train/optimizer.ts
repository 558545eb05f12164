import * as tf from '@tensorflow/tfjs';
import { momentumUpdateKernel, sgdUpdateKernel, type UpdateAttrs } from '../backend/kernels/index.js';
import type { Hyperparameters } from './hyperparameters.js';
import { learningRateAt, type ScheduleSpec } from './schedule.js';

/** RMSprop's decay of its mean square: PyTorch's `alpha` default (tfjs's own default is 0.9). */
const rmspropDecay = 0.99;

/** PyTorch's `clip_grad_norm_` adds this to the norm before dividing. */
const clipEpsilon = 1e-6;

/** What `applyGradients` receives (tfjs does not export the type's parts by name). */
type VariableGradients = Parameters<tf.MomentumOptimizer['applyGradients']>[0];

/** The gradients of an update as (variable, gradient) pairs in the order given, those without a gradient left out. */
function pairs(variableGradients: VariableGradients): { index: number; variable: tf.Variable; gradient: tf.Tensor }[] {
  const list: { name: string; tensor: tf.Tensor }[] = Array.isArray(variableGradients)
    ? variableGradients
    : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
  const out: { index: number; variable: tf.Variable; gradient: tf.Tensor }[] = [];
  list.forEach(({ name, tensor }, index) => {
    const variable = tf.engine().registeredVariables[name];
    if (tensor != null && variable !== undefined) out.push({ index, variable, gradient: tensor });
  });
  return out;
}

/**
 * tfjs's SGD with every weight updated by one kernel call (netc's NetcSgdUpdate, where the backend has it: wasm and
 * cpu) instead of two per weight; the same float32 operations, so the same weights bit for bit.
 */
class FusedSGDOptimizer extends tf.SGDOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    if (tf.getKernel(sgdUpdateKernel, tf.getBackend()) === undefined) return super.applyGradients(variableGradients);
    const todo = pairs(variableGradients);
    const inputs: tf.NamedTensorMap = {};
    todo.forEach(({ variable, gradient }, i) => {
      inputs[`w${i}`] = variable;
      inputs[`g${i}`] = gradient;
    });
    const attrs: UpdateAttrs = { count: todo.length, c: -this.learningRate };
    tf.tidy(() => {
      const out = tf.engine().runKernel(sgdUpdateKernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      todo.forEach(({ variable }, i) => variable.assign(out[i]!));
    });
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
    if (tf.getKernel(momentumUpdateKernel, tf.getBackend()) === undefined) return super.applyGradients(variableGradients);
    // tfjs's own state: one accumulation per position in the update, named `${weight}/momentum` (checkpoints keep it).
    const state = this as unknown as { accumulations: { originalName: string; variable: tf.Variable }[] };
    const todo = pairs(variableGradients);
    const inputs: tf.NamedTensorMap = {};
    todo.forEach(({ index, variable, gradient }, i) => {
      state.accumulations[index] ??= {
        originalName: `${variable.name}/momentum`,
        variable: tf.tidy(() => tf.zerosLike(variable).variable(false)),
      };
      inputs[`w${i}`] = variable;
      inputs[`g${i}`] = gradient;
      inputs[`a${i}`] = state.accumulations[index]!.variable;
    });
    const attrs: UpdateAttrs = { count: todo.length, c: -this.learningRate, m: this.fusedMomentum, nesterov: this.fusedNesterov };
    tf.tidy(() => {
      const out = tf.engine().runKernel(momentumUpdateKernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      todo.forEach(({ index, variable }, i) => {
        state.accumulations[index]!.variable.assign(out[todo.length + i]!);
        variable.assign(out[i]!);
      });
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
      return tf.train.adam(h.lr);
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
