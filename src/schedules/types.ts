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
  /** false for a schedule that is a list of per-step rates (recorded): `stretch` is refused. */
  readonly stretchable?: false;
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

/**
 * The schedule stretched along the epoch axis by k: its rate at epoch p is the original's at p/k,
 * so multistep milestones, the cosine period and the warm-up all land at k times their epoch.
 * Built around a schedule made for epochs/k (see scheduleFor); k = 1 returns it unchanged, so a
 * stretch of 1 trains bit for bit as no stretch.
 */
export function withStretch(schedule: LearningRateSchedule, k: number): LearningRateSchedule {
  if (k === 1) return schedule;
  return (progress) => schedule(progress / k);
}
