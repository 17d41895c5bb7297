// The learning rate of an SWA run: the configured schedule until swa.start_epoch, then torch's
// SWALR stepped once an epoch, as in the swa_utils recipe (swa_scheduler.step() after each
// averaged epoch): the first averaged epoch trains at the rate the schedule had reached, each
// later one moves alpha(k / anneal_epochs) of the way to swa.lr, and it stays there.
import type { LearningRateSchedule } from '../../schedules/types.js';
import type { SwaConfig } from '../../config/swa.js';

const anneal = {
  cos: (t: number) => (1 - Math.cos(Math.PI * t)) / 2,
  linear: (t: number) => t,
} as const;

/**
 * SWALR's closed form. torch recovers the starting rate from the previous one each step; with no
 * other scheduler moving the rate that is lr_start, so lr_k = swa_lr a_k + lr_start (1 - a_k).
 * (torch with anneal_epochs 0 also sets swa_lr when the scheduler is built; here, as with 1, the
 * rate reaches swa_lr in the second averaged epoch.)
 */
export function swaLearningRate(swa: SwaConfig, startLr: number, averagedBefore: number): number {
  const t = Math.max(0, Math.min(1, averagedBefore / Math.max(1, swa.anneal_epochs)));
  const alpha = anneal[swa.anneal_strategy](t);
  return swa.lr * alpha + startLr * (1 - alpha);
}

/** Wraps `base`: from the start of epoch swa.start_epoch the rate is constant within each epoch. */
export function withSwa(base: LearningRateSchedule, swa: SwaConfig | undefined): LearningRateSchedule {
  if (swa === undefined) return base;
  const start = swa.start_epoch - 1; // epoch progress at the first step of the first averaged epoch
  const startLr = base(start);
  return (progress) => {
    if (progress < start) return base(progress);
    // As multistep does: progress is step / steps per epoch, an epoch's first step lands on a whole number.
    return swaLearningRate(swa, startLr, Math.floor(progress + 1e-9) - start);
  };
}
