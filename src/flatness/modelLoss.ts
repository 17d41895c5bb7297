// A model's undeformed loss L (mean cross-entropy, no weight decay) over fixed batches, BatchNorm
// in inference mode, as a DifferentiableLoss: a deterministic function of the weights alone.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../datasets/types.js';
import type { ForwardContext } from '../models/nn.js';
import type { Model } from '../models/types.js';
import { crossEntropyPerSample } from '../train/step.js';
import type { DifferentiableLoss } from './hvp.js';

export interface ModelLoss extends DifferentiableLoss {
  /** Frees the batches held on the device. */
  dispose(): void;
}

/** Moving statistics, nothing recorded: the loss must not depend on the batch it is computed in. */
const inference = (): ForwardContext => ({ training: false, batchNormUpdates: [] });

export interface ExampleShape {
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
}

export function modelLoss(model: Model, batches: readonly Batch[], { inputShape, numClasses }: ExampleShape): ModelLoss {
  const [h, w, c] = inputShape;
  // Uploaded once: every gradient of the power iteration and the probes reads the same examples.
  const held = batches.map((b) => ({ x: tf.tensor4d(b.x, [b.size, h, w, c]), labels: tf.tensor1d(b.y, 'int32') }));
  const total = batches.reduce((n, b) => n + b.size, 0);
  /** This batch's share of the mean over all examples. */
  const batchLoss = (b: (typeof held)[number]) =>
    tf.div(tf.sum(crossEntropyPerSample(model.forward(b.x, inference()), b.labels, numClasses)), total) as tf.Scalar;

  return {
    params: model.params,
    terms: held.map((b) => () => batchLoss(b)),
    async gradient() {
      let sum: tf.Tensor[] | null = null;
      for (const b of held) {
        const { value, grads } = tf.variableGrads(() => batchLoss(b), model.params);
        value.dispose();
        // A weight the loss does not reach has no entry: its gradient is zero.
        const g = model.params.map((p) => grads[p.name] ?? tf.zerosLike(p));
        if (sum === null) sum = g;
        else {
          const previous: tf.Tensor[] = sum;
          sum = tf.tidy(() => previous.map((t, i) => tf.add(t, g[i])));
          tf.dispose([...previous, ...g]);
        }
      }
      return sum ?? model.params.map((p) => tf.zerosLike(p));
    },
    async loss() {
      const value = tf.tidy(() => tf.addN(held.map(batchLoss)));
      const [loss] = await value.data();
      value.dispose();
      return loss;
    },
    dispose() {
      tf.dispose(held.flatMap((b) => [b.x, b.labels]));
    },
  };
}
