// A model whose loss is a known quadratic of its weights, for checking landscapes against closed
// forms: logits [log(expm1(q)), 0] with every label 1 give cross-entropy log(1 + expm1(q)) = q.
import * as tf from '@tensorflow/tfjs';
import type { Batch, Dataset } from '../../src/datasets/types.js';
import type { OpenedRun } from '../../src/flatness/runFolder.js';
import type { Model } from '../../src/models/types.js';

export const CURVATURE = [
  [1, 2, 3],
  [0.5, 4, 1.5],
];
export const OFFSET = 0.5;

export interface QuadraticModel extends Model {
  /** q at the given kernel and bias values (float64). */
  analytic(kernel: number[][], bias: number[]): number;
}

export function quadraticModel(kernel = [[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]], bias = [0.2, -0.1, 0.05]): QuadraticModel {
  const k = tf.variable(tf.tensor2d(kernel), true, `quad/kernel_${Math.random()}`.replace('.', ''));
  const b = tf.variable(tf.tensor1d(bias), true, `quad/bias_${Math.random()}`.replace('.', ''));
  const h = tf.tensor2d(CURVATURE);
  tf.keep(h);
  const analytic = (kw: number[][], bw: number[]) =>
    OFFSET + 0.5 * kw.flatMap((row, i) => row.map((w, j) => CURVATURE[i][j] * w * w)).reduce((s, v) => s + v, 0) + 0.5 * bw.reduce((s, v) => s + v * v, 0);
  return {
    name: 'quadratic',
    params: [k, b],
    buffers: [],
    analytic,
    forward(x) {
      return tf.tidy(() => {
        const q = tf.add(OFFSET, tf.add(tf.mul(0.5, tf.sum(tf.mul(h, tf.square(k)))), tf.mul(0.5, tf.sum(tf.square(b)))));
        const a = tf.log(tf.sub(tf.exp(q), 1));
        const n = x.shape[0];
        return tf.concat([tf.mul(tf.ones([n, 1]), a), tf.zeros([n, 1])], 1) as tf.Tensor2D;
      });
    },
  };
}

/** Eight 1x1x1 examples, all of class 1. */
export function labelOneDataset(): Dataset {
  const examples = 8;
  return {
    name: 'ones',
    inputShape: [1, 1, 1],
    numClasses: 2,
    classNames: ['zero', 'one'],
    size: () => examples,
    async *batches(_split, { batchSize }) {
      for (let start = 0; start < examples; start += batchSize) {
        const size = Math.min(batchSize, examples - start);
        yield { x: new Float32Array(size), y: new Int32Array(size).fill(1), size } satisfies Batch;
      }
    },
    describe: () => ({}),
  };
}

/** An OpenedRun of `model` in `dir`, as computeGrid sees a restored run. */
export function fakeRun(dir: string, model: Model, batchSize = 2): OpenedRun {
  return { dir, model, config: { dataset: { batch_size: batchSize } }, dataset: labelOneDataset(), parts: { model }, close: async () => {} } as unknown as OpenedRun;
}
