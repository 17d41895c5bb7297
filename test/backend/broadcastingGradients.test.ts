import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { RandomStream } from '../../src/random.js';

// The broadcasting FusedBatchNorm and Mean gradients (installed by selectBackend) against
// autodiff of the same formulas written with plain ops that do not use those kernels.

const eps = 1e-3;
const xShape = [3, 4, 5, 6];

function randomTensor(shape: number[], seed: number, low = -1, high = 1): tf.Tensor {
  const stream = RandomStream.derive(seed, 'batchnorm-gradient-test');
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * stream.uniform()), shape);
}

type BatchNormInputs = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]; // x, mean, variance, offset, scale

function plainBatchNorm([x, mean, variance, offset, scale]: BatchNormInputs): tf.Tensor {
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), scale), offset);
}

function fusedBatchNorm([x, mean, variance, offset, scale]: BatchNormInputs): tf.Tensor {
  return tf.batchNorm(x, mean, variance, offset, scale, eps);
}

function assertClose(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, what);
  const a = actual.dataSync();
  const e = expected.dataSync();
  const scale = Math.max(...e.map(Math.abs));
  const worst = Math.max(...e.map((v, i) => Math.abs(v - a[i]!)));
  assert.ok(worst / scale < 1e-4, `${what}: relative error ${worst / scale}`);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: gradients of x, mean, variance, offset and scale match the plain-op formula`, async () => {
    await selectBackend(backend);
    tf.tidy(() => {
      const channels = xShape[3]!;
      const inputs: BatchNormInputs = [
        randomTensor(xShape, 1),
        randomTensor([channels], 2),
        randomTensor([channels], 3, 0.2, 2),
        randomTensor([channels], 4),
        randomTensor([channels], 5),
      ];
      const dyWeights = randomTensor(xShape, 6);
      const weightedSum = (f: (i: BatchNormInputs) => tf.Tensor) => (...i: tf.Tensor[]) => tf.sum(tf.mul(f(i as BatchNormInputs), dyWeights));
      const expected = tf.grads(weightedSum(plainBatchNorm))(inputs);
      const actual = tf.grads(weightedSum(fusedBatchNorm))(inputs);
      ['x', 'mean', 'variance', 'offset', 'scale'].forEach((name, i) => assertClose(actual[i]!, expected[i]!, name));
    });
  });

  test(`${backend}: batch-statistics BatchNorm (as in training) has the plain-op gradient`, async () => {
    await selectBackend(backend);
    tf.tidy(() => {
      const channels = xShape[3]!;
      const inputs = [randomTensor(xShape, 7), randomTensor([channels], 8), randomTensor([channels], 9)];
      const dyWeights = randomTensor(xShape, 10);
      const normalize = (fused: boolean) => (x: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        const bn = fused ? fusedBatchNorm : plainBatchNorm;
        return tf.sum(tf.mul(bn([x, mean, variance, offset, scale]), dyWeights));
      };
      const expected = tf.grads(normalize(false))(inputs);
      const actual = tf.grads(normalize(true))(inputs);
      ['x', 'offset', 'scale'].forEach((name, i) => assertClose(actual[i]!, expected[i]!, name));
    });
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: Mean's gradient equals that of sum / count, for several axes and keepDims`, async () => {
    await selectBackend(backend);
    tf.tidy(() => {
      const x = randomTensor(xShape, 12);
      const cases: [number[], boolean][] = [[[0, 1, 2], true], [[0, 1, 2], false], [[3], false], [[1, 3], true], [[0, 1, 2, 3], false]];
      for (const [axes, keepDims] of cases) {
        const count = axes.reduce((n: number, a: number) => n * xShape[a]!, 1);
        const outShape = tf.mean(x, [...axes], keepDims).shape;
        const dyWeights = randomTensor(outShape, 13);
        const expected = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.div(tf.sum(t, [...axes], keepDims), count), dyWeights)))(x);
        const actual = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, [...axes], keepDims), dyWeights)))(x);
        assertClose(actual, expected, `axes ${axes} keepDims ${keepDims}`);
      }
    });
  });
}

test('the BatchNorm gradient runs no Tile kernel', async () => {
  await selectBackend('wasm');
  const x = randomTensor(xShape, 11);
  const ones = tf.ones([xShape[3]!]);
  const profile = await tf.profile(() =>
    tf.tidy(() => {
      tf.grad((input: tf.Tensor) => {
        const { mean, variance } = tf.moments(input, [0, 1, 2]);
        return tf.sum(tf.batchNorm(input, mean, variance, ones, ones, eps));
      })(x).dataSync();
    }),
  );
  assert.ok(profile.kernelNames.includes('FusedBatchNorm'));
  assert.deepEqual(profile.kernelNames.filter((name) => name === 'Tile'), []);
  tf.dispose([x, ones]);
});
