// BatchNorm statistics for averaged weights, as torch.optim.swa_utils.update_bn recomputes them:
// reset, then one training-mode pass over the data with momentum None, which makes each running
// statistic the cumulative average of the batches' (unbiased) statistics, every batch weighted
// equally. (src/landscape/evaluate.ts weights by batch size instead: it re-estimates on its own
// fixed examples, not as torch's SWA does.)
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../datasets/types.js';
import { InterruptedError } from '../../errors.js';
import { applyBatchNormUpdates, type BatchNormUpdate } from '../../models/nn.js';
import type { Model } from '../../models/types.js';
import { yieldToEventLoop } from '../step.js';

/**
 * Recomputes `model`'s BatchNorm statistics at its current weights over `batches`; returns the
 * number of batches. No dropout stream is given, so dropout passes activations through (torch's
 * update_bn would drop units: its model is in training mode).
 */
export async function recomputeBatchNorm(model: Model, batches: AsyncIterable<Batch>, inputShape: readonly [number, number, number], signal?: AbortSignal): Promise<number> {
  let seen = 0;
  for await (const batch of batches) {
    const updates: BatchNormUpdate[] = [];
    tf.tidy(() => {
      model.forward(tf.tensor4d(batch.x, [batch.size, ...inputShape]), { training: true, batchNormUpdates: updates });
    });
    if (seen === 0) resetStatistics(updates);
    seen++;
    // torch's factor 1 / num_batches_tracked: the k-th batch moves each statistic 1/k of the way.
    applyBatchNormUpdates(updates, 1 / seen);
    await yieldToEventLoop();
    if (signal?.aborted) throw new InterruptedError('interrupted while recomputing the SWA average\'s BatchNorm statistics');
  }
  return seen;
}

/** update_bn starts from zeros and ones; with factor 1 the first batch replaces them anyway, unless they held NaN. */
function resetStatistics(updates: readonly BatchNormUpdate[]): void {
  for (const u of updates) {
    tf.tidy(() => {
      u.movingMean.assign(tf.zerosLike(u.movingMean));
      u.movingVariance.assign(tf.onesLike(u.movingVariance));
    });
  }
}
