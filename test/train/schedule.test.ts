import { describe, expect, test } from 'vitest';
import { scheduleNames } from '../../src/ir/catalogue.js';
import { learningRateAt, type ScheduleSpec } from '../../src/train/schedule.js';

/** PyTorch 1.13 per-step rates: output of `/usr/bin/python3 test/train/pytorch_schedules.py` (4 epochs of 5 steps, lr 0.1). */
const pytorch: Record<string, number[]> = {
  "constant": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  "constant warmup=1": [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  "step step=1 gamma=0.5": [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.0125, 0.0125],
  "step warmup=1 step=2 gamma=0.1": [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.01],
  "cosine": [0.1, 0.09938441703, 0.09755282581, 0.09455032621, 0.09045084972, 0.08535533906, 0.07938926261, 0.07269952499, 0.06545084972, 0.05782172325, 0.05, 0.04217827675, 0.03454915028, 0.02730047501, 0.02061073739, 0.01464466094, 0.009549150281, 0.005449673791, 0.002447174185, 0.0006155829702],
  "cosine warmup=1": [0.001, 0.0208, 0.0406, 0.0604, 0.0802, 0.1, 0.09890738004, 0.09567727288, 0.09045084972, 0.08345653032, 0.075, 0.06545084972, 0.05522642316, 0.04477357684, 0.03454915028, 0.025, 0.01654346968, 0.009549150281, 0.004322727118, 0.001092619963],
  "onecycle": [0.004, 0.01316718427, 0.03716718427, 0.06683281573, 0.09083281573, 0.1, 0.09874640062, 0.0950484632, 0.08909161776, 0.08117456539, 0.07169430018, 0.06112620219, 0.0500002, 0.03887419781, 0.02830609982, 0.01882583461, 0.01090878224, 0.004951936799, 0.001253999376, 4e-7],
  "onecycle warmup=1": [0.004, 0.0180588745, 0.052, 0.0859411255, 0.1, 0.09890738441, 0.09567729017, 0.09045088792, 0.08345659649, 0.0750001, 0.06545098792, 0.05522660226, 0.04477379774, 0.03454941208, 0.0250003, 0.01654380351, 0.009549512085, 0.004323109827, 0.001093015593, 4e-7],
};

/** `cosine warmup=1` -> the spec netc builds for that train line, 4 epochs of 5 steps. */
function specOf(name: string): ScheduleSpec {
  const [schedule, ...options] = name.split(' ');
  const get = (key: string, fallback: number): number => {
    const found = options.find((o) => o.startsWith(`${key}=`));
    return found === undefined ? fallback : Number(found.slice(key.length + 1));
  };
  return {
    schedule: schedule as ScheduleSpec['schedule'],
    lr: 0.1,
    warmup: get('warmup', 0),
    step: get('step', 1),
    gamma: get('gamma', 0.1),
    epochs: 4,
    stepsPerEpoch: 5,
  };
}

describe('learningRateAt', () => {
  test.each(Object.keys(pytorch))('%s equals PyTorch 1.13 stepped per batch', (name) => {
    const spec = specOf(name);
    const ours = pytorch[name]!.map((_, t) => learningRateAt(spec, t));
    ours.forEach((lr, t) => expect(lr, `step ${t}`).toBeCloseTo(pytorch[name]![t]!, 8));
  });

  test('every schedule has a PyTorch case', () => {
    for (const name of scheduleNames) expect(Object.keys(pytorch).some((c) => c.split(' ')[0] === name)).toBe(true);
  });

  test('steps past the end keep the last rate; a negative step is the first', () => {
    const spec = specOf('cosine');
    expect(learningRateAt(spec, 25)).toBe(learningRateAt(spec, 19));
    expect(learningRateAt(spec, -3)).toBe(0.1);
  });

  test('fractional steps per epoch (a short last batch) still end the schedule on the last step', () => {
    const spec = { ...specOf('cosine warmup=1'), stepsPerEpoch: 235 };
    expect(learningRateAt(spec, 234)).toBeCloseTo(0.1 * (0.01 + (0.99 * 234) / 235), 12);
    expect(learningRateAt(spec, 235)).toBe(0.1);
    expect(learningRateAt(spec, 4 * 235 - 1)).toBeGreaterThan(0);
    expect(learningRateAt(spec, 4 * 235 - 1)).toBeLessThan(1e-5);
  });
});
