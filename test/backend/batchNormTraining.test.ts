import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { batchNormTraining } from '../../src/backend/batchNormTraining.js';
import { RandomStream } from '../../src/random.js';

// The fused training BatchNorm against tf.moments + tf.batchNorm differentiated by tfjs, on the
// cpu backend (the reference), and the fused op on wasm against that same reference.

interface Outputs {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

function randomValues(count: number, seed: number, offset = 0): Float32Array {
  const stream = RandomStream.derive(seed, 'batch-norm-training-test');
  return Float32Array.from({ length: count }, () => offset + 3 * (stream.uniform() * 2 - 1));
}

function run(shape: number[], seed: number, fused: boolean): Outputs {
  return tf.tidy(() => {
    const size = shape.reduce((a, b) => a * b, 1);
    const channels = shape.at(-1)!;
    const x = tf.tensor(randomValues(size, seed, 0.5), shape);
    const gamma = tf.tensor1d(randomValues(channels, seed + 1, 1));
    const beta = tf.tensor1d(randomValues(channels, seed + 2));
    const dyWeights = tf.tensor(randomValues(size, seed + 3), shape);
    let stats: tf.Tensor[] = [];
    const forward = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      if (fused) {
        const r = batchNormTraining(xs, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
        stats = [r.mean, r.variance];
        return r.y;
      }
      const m = tf.moments(xs, shape.slice(0, -1).map((_, i) => i));
      stats = [tf.keep(m.mean), tf.keep(m.variance)];
      return tf.batchNorm(xs, m.mean, m.variance, b, g, 1e-5);
    };
    const y = forward(x, gamma, beta);
    const [dx, dgamma, dbeta] = tf.grads((xs, g, b) => tf.sum(tf.mul(forward(xs, g, b), dyWeights)))([x, gamma, beta]);
    const out = {
      y: y.dataSync() as Float32Array,
      mean: stats[0]!.dataSync() as Float32Array,
      variance: stats[1]!.dataSync() as Float32Array,
      dx: dx!.dataSync() as Float32Array,
      dgamma: dgamma!.dataSync() as Float32Array,
      dbeta: dbeta!.dataSync() as Float32Array,
    };
    tf.dispose(stats);
    return out;
  });
}

function relativeError(expected: Float32Array, actual: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let maxDiff = 0;
  let maxAbs = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(expected[i]! - actual[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]!));
  }
  return maxDiff / maxAbs;
}

function assertClose(expected: Outputs, actual: Outputs, label: string): void {
  for (const key of Object.keys(expected) as (keyof Outputs)[]) {
    const error = relativeError(expected[key], actual[key]);
    assert.ok(error < 1e-4, `${label} ${key}: relative error ${error}`);
  }
}

const shapes = [
  [5, 7, 6, 3],
  [16, 4, 4, 8],
  [2, 9, 11, 5],
  [33, 6],
];

test('fused training BatchNorm matches moments + batchNorm with autodiff (cpu), and on wasm', async () => {
  for (const [i, shape] of shapes.entries()) {
    await selectBackend('cpu');
    const reference = run(shape, 10 + i, false);
    assertClose(reference, run(shape, 10 + i, true), `cpu ${shape}`);
    await selectBackend('wasm');
    assertClose(reference, run(shape, 10 + i, true), `wasm ${shape}`);
  }
});

test('fused training BatchNorm leaks no tensors beyond the kept mean and variance', async () => {
  await selectBackend('wasm');
  const x = tf.randomNormal([4, 3, 3, 2]);
  const gamma = tf.variable(tf.ones([2])) as tf.Variable<tf.Rank.R1>;
  const beta = tf.zeros([2]) as tf.Tensor1D;
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const r = batchNormTraining(x, gamma, beta, 1e-5);
    tf.dispose([r.mean, r.variance]);
    return tf.sum(tf.square(r.y)) as tf.Scalar;
  }, [gamma]);
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors - before, 0);
  tf.dispose([x, gamma, beta]);
});
