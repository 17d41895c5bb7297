// The `recorded` schedule: a per-step learning rate read from another run's steps.csv, equal to
// that run's lr × its applied gradient scale φ′ at the same step. It is what the lr_matched control
// (src/experiments/controls.ts) trains with: the VDM run's step sizes without their loss-dependence.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { asFileSystemError, UsageError } from '../errors.js';
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

/** The rate of each step (index = global step, 0-based), checked to cover `needed` steps 1..needed. */
export function recordedRates(text: string, file: string, needed: number, scale: RecordedParams['scale']): Float64Array {
  const lines = text.split('\n').filter((line) => line !== '');
  const header = (lines[0] ?? '').split(',');
  const column = (name: string) => {
    const at = header.indexOf(name);
    if (at < 0) throw new UsageError(`${file}: not a steps.csv (no '${name}' column in its header)`);
    return at;
  };
  const [stepAt, lrAt, scaleAt] = [column('step'), column('lr'), column('grad_scale')];
  const rates = new Float64Array(needed);
  let rows = 0;
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const step = Number(cells[stepAt]);
    // Every step in order: steps_every > 1, or rows from two runs, would silently stretch the schedule.
    if (step !== rows + 1) {
      throw new UsageError(`${file}: row ${rows + 2} is step ${cells[stepAt]}, expected ${rows + 1} (the source run must write every step: logging.steps_every 1)`);
    }
    if (rows === needed) break; // a longer source: its first `needed` steps
    const rate = Number(cells[lrAt]) * (scale === 'grad_scale' ? Number(cells[scaleAt]) : 1);
    if (!Number.isFinite(rate) || rate < 0) throw new UsageError(`${file}: step ${step} gives learning rate ${rate}, not a finite rate >= 0`);
    rates[rows++] = rate;
  }
  if (rows < needed) {
    throw new UsageError(
      `${file} records ${rows} of the ${needed} steps this run needs: source run not completed (an lr_matched control trains after its source run has finished)`,
    );
  }
  return rates;
}

export const recordedSchedule: ScheduleEntry<RecordedParams> = {
  name: 'recorded',
  description: "per-step lr read from a run's steps.csv: its lr × its φ′ (grad_scale) at each step; the lr_matched control",
  params: recordedParams,
  create({ steps, scale }, { epochs, stepsPerEpoch, seed }) {
    const file = steps.replaceAll('{seed}', String(seed));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UsageError(`${file} does not exist: source run not completed (an lr_matched control trains after its source run)`);
      }
      throw asFileSystemError(error, 'read', file);
    }
    const rates = recordedRates(text, file, epochs * stepsPerEpoch, scale);
    // The trainer asks for progress = step / stepsPerEpoch; rounding undoes that division exactly.
    return (progress) => rates[Math.min(rates.length - 1, Math.max(0, Math.round(progress * stepsPerEpoch)))]!;
  },
};
