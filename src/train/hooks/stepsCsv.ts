// Appends one row per training step (or every N-th) to steps.csv: the step's learning rate, loss,
// deformed loss and applied gradient scale phi'(L), for step-level plots and the learning-rate-
// matched control. Rows are appended whole; a resumed run first drops the rows past its checkpoint.
import { MiB, readBoundedTextIfPresent } from '../../files/boundedRead.js';
import { appendToFile, writeFileAtomic } from '../../files/safeWrite.js';
import type { StepStats, TrainingHook } from '../hooks.js';

export const STEP_COLUMNS = ['step', 'epoch', 'batch', 'lr', 'loss', 'deformed_loss', 'grad_scale', 'wall_time', 'time'] as const;
const HEADER = STEP_COLUMNS.join(',');

/** ~100 bytes a row: room for 2.5 million steps (ImageNet for 90 epochs is 450 000). */
export const STEPS_CSV_LIMIT = { maxBytes: 256 * MiB, what: 'steps.csv' } as const;

/** 9 significant digits: every float32 statistic reads back exactly. */
const exact = (value: number) => (Number.isFinite(value) ? String(Number(value.toPrecision(9))) : String(value));

function stepLine(s: StepStats, now: Date): string {
  return [
    s.globalStep + 1, s.epoch, s.batch, exact(s.lr), exact(s.loss), exact(s.deformedLoss), exact(s.gradScale),
    s.runSeconds.toFixed(3), now.toISOString(),
  ].join(',');
}

/**
 * Keeps the header and the rows of steps up to `lastStep`; a row cut short by a crash (no final
 * newline) or written after the checkpoint goes, so a resumed run never repeats a step.
 */
function keepRowsUpTo(path: string, lastStep: number): void {
  const text = lastStep > 0 ? readBoundedTextIfPresent(path, STEPS_CSV_LIMIT) : undefined;
  const kept = text === undefined ? [] : text.split('\n').slice(1, -1);
  const rows = kept.filter((line) => Number(line.slice(0, line.indexOf(','))) <= lastStep);
  writeFileAtomic(path, [HEADER, ...rows].map((line) => `${line}\n`).join(''));
}

/**
 * Why steps.csv cannot be continued from step `lastStep`, if it cannot: missing, or with fewer
 * rows than the steps before the checkpoint. Resuming would leave a steps.csv that silently
 * lacks them (13 rows where the uninterrupted run has 19).
 */
export function stepsCsvGap(path: string, lastStep: number, every = 1): string | undefined {
  const needed = Math.floor(lastStep / every);
  if (needed === 0) return undefined;
  const text = readBoundedTextIfPresent(path, STEPS_CSV_LIMIT);
  if (text === undefined) return `its steps.csv is missing (the checkpoint is at step ${lastStep})`;
  const rows = text.split('\n').slice(1, -1).filter((line) => Number(line.slice(0, line.indexOf(','))) <= lastStep).length;
  return rows < needed ? `its steps.csv records ${rows} of the ${needed} rows up to the checkpoint (step ${lastStep})` : undefined;
}

/** `every`: write a row for steps 1-based divisible by it (1: every step). */
export function stepsCsvHook(path: string, every = 1): TrainingHook {
  return {
    onTrainStart(plan) {
      keepRowsUpTo(path, plan.firstStep);
    },
    onStepEnd(s) {
      if ((s.globalStep + 1) % every === 0) appendToFile(path, `${stepLine(s, new Date())}\n`);
    },
  };
}
