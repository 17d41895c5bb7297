// Stops a run whose loss became NaN or infinite: nothing after that point is a result.
import { DivergedError } from '../../errors.js';
import type { TrainingHook } from '../hooks.js';

export function divergenceGuard(): TrainingHook {
  return {
    onStepEnd(step) {
      if (!Number.isFinite(step.loss) || !Number.isFinite(step.deformedLoss)) {
        throw new DivergedError(
          `training diverged: loss is ${step.loss} at epoch ${step.epoch}, batch ${step.batch} (lr ${step.lr.toPrecision(3)}); try a smaller learning rate or a vdm max_scale`,
        );
      }
    },
  };
}
