/**
 * Learning-rate schedules. Every schedule is evaluated per optimizer step (per batch), from the step's index alone,
 * so the rate in effect is a pure function of how far the run is: a resumed run, whose optimizer restores its step
 * count from the checkpoint, continues the schedule exactly. Each one is the PyTorch scheduler of the same name
 * stepped once per batch (test/train/pytorch_schedules.py prints PyTorch 1.13's values, which the tests compare):
 *
 * - `constant`: the base rate.
 * - `step`: StepLR(step_size = step epochs' steps, gamma).
 * - `cosine`: CosineAnnealingLR(T_max = the steps after the warmup, eta_min = 0).
 * - `onecycle`: OneCycleLR(max_lr = lr, total_steps, pct_start = warmup / epochs or 0.3, cosine annealing,
 *   div_factor 25, final_div_factor 1e4, cycle_momentum off).
 *
 * A warmup of W epochs (all but `onecycle`, whose rise is its warmup) is LinearLR(start_factor 0.01, total_iters =
 * W epochs' steps) followed by the schedule over the remaining steps, as PyTorch's SequentialLR composes them.
 */
import type { ScheduleName } from '../ir/catalogue.js';


/** A warmup starts at this fraction of the base rate (PyTorch LinearLR's start_factor). */
export const warmupStartFactor = 0.01;

/** OneCycleLR's defaults: the first rate is max_lr / 25, the last the first / 1e4. */
const onecycleDiv = 25;
const onecycleFinalDiv = 1e4;
const onecycleDefaultRise = 0.3;

/** Everything a schedule reads, in steps. */
export interface ScheduleSpec {
  readonly schedule: ScheduleName;
  /** The base (or, for onecycle, the peak) rate. */
  readonly lr: number;
  /** Warmup epochs (0 for none). */
  readonly warmup: number;
  /** Epochs between the `step` schedule's drops. */
  readonly step: number;
  /** The `step` schedule's factor per drop. */
  readonly gamma: number;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
}

/** The learning rate for the optimizer step with 0-based index `t`. Steps past the end keep the last rate. */
export function learningRateAt(spec: ScheduleSpec, t: number): number {
  const total = Math.max(1, Math.round(spec.epochs * spec.stepsPerEpoch));
  const step = Math.min(Math.max(0, t), total - 1);
  if (spec.schedule === 'onecycle') return onecycle(spec, step, total);
  const warmupSteps = Math.min(total - 1, Math.round(spec.warmup * spec.stepsPerEpoch));
  if (step < warmupSteps) {
    return spec.lr * (warmupStartFactor + ((1 - warmupStartFactor) * step) / warmupSteps);
  }
  const u = step - warmupSteps;
  const span = total - warmupSteps;
  switch (spec.schedule) {
    case 'constant':
      return spec.lr;
    case 'step': {
      const size = Math.max(1, Math.round(spec.step * spec.stepsPerEpoch));
      return spec.lr * spec.gamma ** Math.floor(u / size);
    }
    case 'cosine':
      return (spec.lr * (1 + Math.cos((Math.PI * u) / span))) / 2;
  }
}

/** OneCycleLR's two cosine phases: max_lr/25 up to max_lr, then down to max_lr/25/1e4 at the last step. */
function onecycle(spec: ScheduleSpec, step: number, total: number): number {
  const rise = spec.warmup > 0 ? spec.warmup / spec.epochs : onecycleDefaultRise;
  const initial = spec.lr / onecycleDiv;
  const final = initial / onecycleFinalDiv;
  const peakStep = rise * total - 1;
  const lastStep = total - 1;
  const anneal = (from: number, to: number, pct: number): number => to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1);
  if (step <= peakStep) return anneal(initial, spec.lr, step / peakStep);
  return anneal(spec.lr, final, (step - peakStep) / (lastStep - peakStep));
}
