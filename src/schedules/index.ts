// The schedule registry: constant, multistep (step decay at epoch milestones), cosine, and
// recorded (per-step rates read from another run's steps.csv).
import { z } from 'zod';
import { Registry } from '../registry.js';
import { recordedSchedule } from './recorded.js';
import { withStretch, withWarmup, type LearningRateSchedule, type ScheduleContext, type ScheduleEntry } from './types.js';

const constantSchedule: ScheduleEntry<Record<string, never>> = {
  name: 'constant',
  description: 'the base learning rate throughout',
  params: z.object({}).strict(),
  create: (_p, { baseLr }) => () => baseLr,
};

const multistepParams = z
  .object({
    milestones: z.array(z.number().int().positive()).default([]).describe('epochs after which the rate is multiplied by gamma'),
    gamma: z.number().positive().max(1).default(0.1),
  })
  .strict();

const multistepSchedule: ScheduleEntry<z.infer<typeof multistepParams>> = {
  name: 'multistep',
  description: 'step decay: lr * gamma^k after the k-th milestone epoch (torch MultiStepLR), e.g. milestones [80, 120], gamma 0.1',
  params: multistepParams,
  create: ({ milestones, gamma }, { baseLr }) =>
    (progress) => baseLr * gamma ** milestones.filter((m) => Math.floor(progress + 1e-9) >= m).length,
};

const cosineParams = z.object({ min_lr: z.number().min(0).default(0) }).strict();

const cosineSchedule: ScheduleEntry<z.infer<typeof cosineParams>> = {
  name: 'cosine',
  description: 'cosine annealing from the base rate to min_lr over all epochs, per step (Loshchilov & Hutter 2017)',
  params: cosineParams,
  create: ({ min_lr }, { baseLr, epochs }) =>
    (progress) => min_lr + 0.5 * (baseLr - min_lr) * (1 + Math.cos((Math.PI * Math.min(progress, epochs)) / epochs)),
};

export const schedules = new Registry<ScheduleEntry>('schedule', [constantSchedule, multistepSchedule, cosineSchedule, recordedSchedule]);

/** What a config's schedule block holds besides the entry's own params. */
export interface ScheduleBlock {
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly warmup_epochs: number;
  readonly stretch?: number;
}

/**
 * The run's learning rate per fractional epoch: the named schedule with its warm-up, stretched.
 * A stretched schedule is made for epochs/k (the cosine period) and read at progress/k.
 */
export function scheduleFor(block: ScheduleBlock, context: ScheduleContext): LearningRateSchedule {
  const k = block.stretch ?? 1;
  const inner = schedules.get(block.name).create(block.params, { ...context, epochs: context.epochs / k });
  return withStretch(withWarmup(inner, block.warmup_epochs), k);
}
