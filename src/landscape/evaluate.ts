// Loss and accuracy of a model at its current weights on fixed examples held on the device, with
// BatchNorm either in inference mode (the run's statistics) or re-estimated on those examples.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../datasets/types.js';
import type { ExampleShape } from '../flatness/modelLoss.js';
import type { BatchNormUpdate } from '../models/nn.js';
import type { Model } from '../models/types.js';
import { crossEntropyPerSample } from '../train/step.js';

/** 'stored': the moving statistics the run ended with; 'recompute': re-estimated at every point. */
export const bnChoices = ['stored', 'recompute'] as const;
export type BnChoice = (typeof bnChoices)[number];

export interface PointValue {
  readonly loss: number;
  readonly accuracy: number;
}

export interface PointEvaluator {
  /** Loss and accuracy at the model's current weights (and, with 'stored', its current statistics). */
  evaluate(): Promise<PointValue>;
  /** Batches run through the model so far (a resumed grid must not redo finished points). */
  readonly forwardPasses: number;
  dispose(): void;
}

interface HeldBatch {
  readonly x: tf.Tensor4D;
  readonly labels: tf.Tensor1D;
  readonly size: number;
}

/**
 * BatchNorm statistics of the examples at the current weights, as PyTorch's update_bn does: one
 * training-mode pass (each layer normalised by its batch, so later layers see what training
 * would show them), batch means and unbiased variances averaged weighted by batch size.
 */
function recomputeStatistics(model: Model, held: readonly HeldBatch[]): number {
  let sums: tf.Tensor[] | null = null;
  let layers: BatchNormUpdate[] = [];
  let total = 0;
  for (const b of held) {
    const previous: tf.Tensor[] | null = sums;
    const next: tf.Tensor[] = tf.tidy((): tf.Tensor[] => {
      const ctx = { training: true, batchNormUpdates: [] as BatchNormUpdate[] };
      model.forward(b.x, ctx);
      layers = ctx.batchNormUpdates;
      return layers.flatMap((u, i): tf.Tensor[] => {
        const mean = tf.mul(u.mean, b.size);
        const variance = tf.mul(u.variance, (b.size * u.count) / Math.max(u.count - 1, 1));
        return previous ? [tf.add(previous[2 * i], mean), tf.add(previous[2 * i + 1], variance)] : [mean, variance];
      });
    });
    if (previous) tf.dispose(previous);
    sums = next;
    total += b.size;
  }
  const accumulated = sums ?? [];
  layers.forEach((u, i) =>
    tf.tidy(() => {
      u.movingMean.assign(tf.div(accumulated[2 * i], total));
      u.movingVariance.assign(tf.div(accumulated[2 * i + 1], total));
    }),
  );
  tf.dispose(accumulated);
  return held.length;
}

export function pointEvaluator(model: Model, batches: readonly Batch[], { inputShape, numClasses }: ExampleShape, bn: BnChoice): PointEvaluator {
  const [h, w, c] = inputShape;
  // Uploaded once: every point of a grid reads the same examples.
  const held: HeldBatch[] = batches.map((b) => ({ x: tf.tensor4d(b.x, [b.size, h, w, c]), labels: tf.tensor1d(b.y, 'int32'), size: b.size }));
  const count = batches.reduce((n, b) => n + b.size, 0);
  let forwardPasses = 0;
  return {
    get forwardPasses() {
      return forwardPasses;
    },
    async evaluate() {
      if (bn === 'recompute') forwardPasses += recomputeStatistics(model, held);
      const totals = tf.tidy(() =>
        tf.addN(
          held.map((b) => {
            const logits = model.forward(b.x, { training: false, batchNormUpdates: [] });
            const loss = tf.sum(crossEntropyPerSample(logits, b.labels, numClasses));
            const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), b.labels), 'float32'));
            return tf.stack([loss, correct]);
          }),
        ),
      );
      forwardPasses += held.length;
      const [loss, correct] = await totals.data();
      totals.dispose();
      return { loss: loss / count, accuracy: correct / count };
    },
    dispose() {
      tf.dispose(held.flatMap((b) => [b.x, b.labels]));
    },
  };
}
