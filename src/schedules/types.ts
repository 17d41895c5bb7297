// What a learning-rate schedule is: a pure function of training progress, so its position is
// just the step counter (nothing else to save for resume).
import type { z } from 'zod';
import type { NamedEntry } from '../registry.js';

/** Learning rate at a point of training measured in epochs (fractional: step / steps per epoch). */
export type LearningRateSchedule = (epochProgress: number) => number;

export interface ScheduleContext {
  readonly baseLr: number;
  readonly epochs: number;
  /** Optimizer steps per epoch: turns fractional epochs back into step numbers. */
  readonly stepsPerEpoch: number;
  /** The run's seed (a recorded schedule reads the matching seed's record). */
  readonly seed: number;
}

export interface ScheduleEntry<P = any> extends NamedEntry {
  readonly params: z.ZodType<P>;
  create(params: P, context: ScheduleContext): LearningRateSchedule;
}

/**
 * Linear warmup: the scheduled rate scaled by progress/warmupEpochs during the first epochs,
 * evaluated per step (as timm and Goyal et al. 2017 do).
 */
export function withWarmup(schedule: LearningRateSchedule, warmupEpochs: number): LearningRateSchedule {
  if (warmupEpochs <= 0) return schedule;
  return (progress) => (progress < warmupEpochs ? schedule(progress) * Math.max(progress / warmupEpochs, 1e-3) : schedule(progress));
}
