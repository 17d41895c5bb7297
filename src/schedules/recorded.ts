// The `recorded` schedule: a per-step learning rate read from another run's steps.csv, that run's
// lr (× its applied gradient scale φ′ at the same step, by default). Training with it repeats
// another run's step sizes as a learning rate; the step-size control does not use it (it scales the
// gradient where φ′ sits instead: src/vdms/recordedScale.ts), since a learning rate also scales
// the momentum buffer and the weight decay.
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { readStepsCsv, type StepRecord } from '../records/stepsCsv.js';
import type { ScheduleEntry } from './types.js';

const recordedParams = z
  .object({
    steps: z
      .string()
      .min(1)
      .describe("the source run's steps.csv (written with logging.steps_every 1); {seed} stands for this run's seed"),
    scale: z.enum(['grad_scale', 'none']).default('grad_scale').describe("grad_scale: lr × the recorded φ′; none: the recorded lr alone"),
  })
  .strict();
type RecordedParams = z.infer<typeof recordedParams>;

/** The rate of each step (index = global step, 0-based). */
export function recordedRates(record: StepRecord, scale: RecordedParams['scale']): Float64Array {
  const rates = record.lr.map((lr, i) => lr * (scale === 'grad_scale' ? record.gradScale[i] : 1));
  const bad = rates.findIndex((rate) => !Number.isFinite(rate));
  if (bad >= 0) throw new UsageError(`${record.file}: step ${bad + 1} gives learning rate ${rates[bad]}, not a finite rate`);
  return rates;
}

export const recordedSchedule: ScheduleEntry<RecordedParams> = {
  name: 'recorded',
  description: "per-step lr read from a run's steps.csv: its lr (× its φ′, grad_scale, by default) at each step",
  params: recordedParams,
  stretchable: false,
  create({ steps, scale }, { epochs, stepsPerEpoch, seed }) {
    const file = steps.replaceAll('{seed}', String(seed));
    const rates = recordedRates(readStepsCsv(file, epochs * stepsPerEpoch), scale);
    // The trainer asks for progress = step / stepsPerEpoch; rounding undoes that division exactly.
    return (progress) => rates[Math.min(rates.length - 1, Math.max(0, Math.round(progress * stepsPerEpoch)))]!;
  },
};
