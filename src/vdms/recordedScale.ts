// `recorded_scale`: phi_t(L) = c_t*L, a deformation whose slope depends on the training step only.
// c_t comes from another run's recorded phi' (steps.csv, grad_scale), smoothed so that it no longer
// follows each batch's loss. It is the step-size control (src/experiments/controls.ts): the gradient
// is scaled by c_t exactly where the source's phi' sat, so momentum and weight decay see what they
// saw in the source run, and only the loss-dependence of phi' is gone.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { readStepsCsv, type StepRecord } from '../records/stepsCsv.js';
import type { VdmEntry } from './types.js';

export const SMOOTHINGS = ['epoch_mean', 'ema', 'none'] as const;
export type Smoothing = (typeof SMOOTHINGS)[number];

const recordedScaleParams = z
  .object({
    steps: z
      .string()
      .min(1)
      .describe("the source run's steps.csv (written with logging.steps_every 1); {seed} stands for a source seed"),
    seeds: z
      .array(z.number().int().min(0))
      .min(1)
      .refine((seeds) => new Set(seeds).size === seeds.length, 'a seed is listed twice')
      .optional()
      .describe("source seeds whose smoothed scales are averaged step by step (default: this run's seed)"),
    smoothing: z
      .enum(SMOOTHINGS)
      .default('epoch_mean')
      .describe("epoch_mean: each epoch's mean phi'; ema: moving average of the steps before t; none: the recorded phi' itself (a replay)"),
    ema_steps: z.number().int().min(1).default(100).describe('time constant of the ema smoothing, in steps'),
  })
  .strict();
type RecordedScaleParams = z.infer<typeof recordedScaleParams>;

function epochMeans(record: StepRecord): Float64Array {
  const sums = new Map<number, { sum: number; count: number }>();
  record.epoch.forEach((epoch, i) => {
    const entry = sums.get(epoch) ?? { sum: 0, count: 0 };
    entry.sum += record.gradScale[i];
    entry.count++;
    sums.set(epoch, entry);
  });
  return Float64Array.from(record.epoch, (epoch) => sums.get(epoch)!.sum / sums.get(epoch)!.count);
}

/**
 * c_t from the scales of the steps before t only (t's own batch, the one the control trains on
 * under the same seed, never enters), started at the mean of the first ema_steps steps.
 */
function movingAverage(scales: Float64Array, steps: number): Float64Array {
  const head = scales.subarray(0, Math.min(steps, scales.length));
  let average = head.reduce((a, b) => a + b, 0) / head.length;
  return scales.map((scale) => {
    const current = average;
    average += (scale - average) / steps;
    return current;
  });
}

/** One source's per-step slopes under a smoothing. */
export function smoothScales(record: StepRecord, smoothing: Smoothing, emaSteps: number): Float64Array {
  if (smoothing === 'epoch_mean') return epochMeans(record);
  if (smoothing === 'ema') return movingAverage(record.gradScale, emaSteps);
  return Float64Array.from(record.gradScale);
}

/** The step-by-step mean over the sources of their smoothed slopes. */
export function pooledSlopes(records: readonly StepRecord[], smoothing: Smoothing, emaSteps: number): Float64Array {
  const smoothed = records.map((record) => smoothScales(record, smoothing, emaSteps));
  return smoothed[0].map((_, t) => smoothed.reduce((sum, slopes) => sum + slopes[t], 0) / smoothed.length);
}

export const recordedScaleVdm: VdmEntry<RecordedScaleParams> = {
  name: 'recorded_scale',
  description: "c_t*L with c_t another run's phi' at step t, smoothed: the step-size control (step sizes without their loss-dependence)",
  formula: 'c_t*L',
  derivativeFormula: "c_t (the source runs' recorded phi', smoothed)",
  params: recordedScaleParams,
  // The load-time check and `vdm list` see the slope 1; training uses stepSlopes.
  phi: (loss) => tf.clone(loss),
  dphi: (loss) => tf.onesLike(loss),
  stepSlopes({ steps, seeds, smoothing, ema_steps }, { seed, epochs, stepsPerEpoch }) {
    const records = (seeds ?? [seed]).map((source) => readStepsCsv(steps.replaceAll('{seed}', String(source)), epochs * stepsPerEpoch));
    return pooledSlopes(records, smoothing, ema_steps);
  },
};
