// Gradients of gradients: a tiny network touching every op vdm's models use (convolutions with
// explicit padding at strides 1 and 2, max pooling with and without overlapping padded windows,
// a 1x1 strided average pool and channel padding as in option-A shortcuts, BatchNorm on moving and
// on batch statistics, ReLU, additions, global average pooling, a dense layer, vdm's log-softmax
// cross-entropy) has the same exact Hessian-vector product on cpu and on wasm, and it agrees with
// a central difference of its gradient. The parity with PyTorch on whole models is in
// test/flatness/torchParity*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from '../../src/backend/batchNormTraining.js';
import { logSoftmax } from '../../src/backend/logSoftmax.js';
import { selectBackend } from '../../src/backend/resolve.js';
import { RandomStream } from '../../src/random.js';

const shapes = {
  convA: [3, 3, 2, 4],
  biasA: [4],
  convB: [3, 3, 4, 6],
  gammaB: [6],
  betaB: [6],
  gammaT: [6],
  betaT: [6],
  dense: [6, 3],
  bias: [3],
} as const;
type Name = keyof typeof shapes;
const names = Object.keys(shapes) as Name[];

function draws(shape: readonly number[], seed: number, scale = 1): Float32Array {
  const stream = RandomStream.derive(seed, 'second-order-gradients-test');
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * stream.normal());
}

const X = draws([3, 8, 8, 2], 100);
const LABELS = [0, 2, 1];
const pad1: [[0, 0], [1, 1], [1, 1], [0, 0]] = [[0, 0], [1, 1], [1, 1], [0, 0]];

type LogSoftmax = (logits: tf.Tensor) => tf.Tensor;

function loss(p: Record<Name, tf.Tensor>, logSoftmaxOf: LogSoftmax): tf.Scalar {
  const x = tf.tensor4d(X, [3, 8, 8, 2]);
  const h1 = tf.relu(tf.add(tf.conv2d(x, p.convA as tf.Tensor4D, 1, pad1), p.biasA)) as tf.Tensor4D;
  const pooled = tf.add(tf.maxPool(h1, 2, 2, 'valid'), tf.maxPool(h1, 3, 2, 1)) as tf.Tensor4D; // LeNet's, torchvision's stem
  const movingMean = tf.tensor1d([0.1, -0.2, 0.05, 0, 0.3, -0.1]);
  const movingVariance = tf.tensor1d([0.8, 1.2, 1, 0.6, 1.5, 0.9]);
  const branch = tf.relu(tf.batchNorm(tf.conv2d(pooled, p.convB as tf.Tensor4D, 2, pad1), movingMean, movingVariance, p.betaB, p.gammaB, 1e-5));
  const shortcut = tf.pad(tf.avgPool(pooled, 1, 2, 'valid'), [[0, 0], [0, 0], [0, 0], [1, 1]]);
  const { y, mean, variance } = batchNormTraining(tf.add(branch, shortcut), p.gammaT as tf.Tensor1D, p.betaT as tf.Tensor1D, 1e-5);
  tf.dispose([mean, variance]);
  const features = tf.mean(tf.relu(y), [1, 2]) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(features, p.dense as tf.Tensor2D), p.bias);
  const labels = tf.oneHot(tf.tensor1d(LABELS, 'int32'), 3);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, logSoftmaxOf(logits)), 1))) as tf.Scalar;
}

const asParams = (values: readonly tf.Tensor[]) => Object.fromEntries(names.map((n, i) => [n, values[i]!])) as Record<Name, tf.Tensor>;
const weights = () => names.map((n, i) => tf.tensor(draws(shapes[n], i + 1, n.startsWith('gamma') ? 0.2 : 0.5), [...shapes[n]]).add(n.startsWith('gamma') ? 1 : 0));
const direction = () => names.map((n, i) => tf.tensor(draws(shapes[n], i + 50), [...shapes[n]]));

/** H v by nested gradients: the gradient of (gradient . v). */
function exactProduct(logSoftmaxOf: LogSoftmax = logSoftmax): Float32Array {
  return tf.tidy(() => {
    const w = weights();
    const v = direction();
    const inner = (...ps: tf.Tensor[]) => {
      const g = tf.grads((...qs: tf.Tensor[]) => loss(asParams(qs), logSoftmaxOf))(ps);
      return tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i]!)))) as tf.Scalar;
    };
    return concat(tf.grads(inner)(w));
  });
}

/** (g(w + h v) - g(w - h v)) / 2h: a check independent of the second-order gradients. */
function centralDifference(h: number): Float32Array {
  return tf.tidy(() => {
    const w = weights();
    const v = direction();
    const gradientAt = (sign: number) => tf.grads((...qs: tf.Tensor[]) => loss(asParams(qs), logSoftmax))(w.map((t, i) => tf.add(t, tf.mul(v[i]!, sign * h))));
    const [plus, minus] = [gradientAt(1), gradientAt(-1)];
    return concat(plus.map((g, i) => tf.div(tf.sub(g, minus[i]!), 2 * h)));
  });
}

function concat(parts: readonly tf.Tensor[]): Float32Array {
  return Float32Array.from(parts.flatMap((t) => [...(t.dataSync() as Float32Array)]));
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let size = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    size += b[i]! ** 2;
  }
  return Math.sqrt(diff / size);
}

test('exact HVPs through every op the models use agree between cpu and wasm and with a central difference', async () => {
  await selectBackend('cpu');
  const cpu = exactProduct();
  // A step small enough to stay off the ReLU and max-pool kinks (at 1e-3 the difference is off by 98%).
  const difference = centralDifference(1e-4);
  await selectBackend('wasm');
  const wasm = exactProduct();
  await selectBackend('cpu');
  assert.ok(relativeError(wasm, cpu) < 1e-5, `wasm vs cpu: ${relativeError(wasm, cpu)}`);
  // float32 central differences carry ~1e-3 error of their own (measured 5e-4 here).
  assert.ok(relativeError(cpu, difference) < 1e-2, `exact vs central difference: ${relativeError(cpu, difference)}`);
});

test("tf.logSoftmax's gradient cannot be differentiated (its saved value is off the tape): vdm's logSoftmax is needed", async () => {
  await selectBackend('cpu');
  // The output bias reaches the gradient only through the softmax's curvature, which is lost.
  assert.throws(() => exactProduct((logits) => tf.logSoftmax(logits)), /Cannot compute gradient/);
});

test('batchNormTraining is twice differentiable: its HVP equals that of BatchNorm built from plain ops', async () => {
  await selectBackend('cpu');
  const x = tf.tensor4d(draws([4, 3, 3, 5], 7), [4, 3, 3, 5]);
  const w = [tf.tensor1d(draws([5], 8, 0.2)).add(1), tf.tensor1d(draws([5], 9, 0.2))];
  const v = [tf.tensor1d(draws([5], 10)), tf.tensor1d(draws([5], 11)), tf.tensor(draws([4, 3, 3, 5], 12), [4, 3, 3, 5])];
  const weightsOut = tf.tensor4d(draws([4, 3, 3, 5], 13), [4, 3, 3, 5]);
  // A non-quadratic function of the normalised output, so every second-order term counts.
  const head = (y: tf.Tensor) => tf.sum(tf.mul(tf.square(y), weightsOut)) as tf.Scalar;
  const fused = (gamma: tf.Tensor, beta: tf.Tensor, input: tf.Tensor) => {
    const r = batchNormTraining(input, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5);
    tf.dispose([r.mean, r.variance]);
    return head(r.y);
  };
  const plain = (gamma: tf.Tensor, beta: tf.Tensor, input: tf.Tensor) => {
    const { mean, variance } = tf.moments(input, [0, 1, 2]);
    return head(tf.batchNorm(input, mean, variance, beta, gamma, 1e-5));
  };
  const product = (f: (gamma: tf.Tensor, beta: tf.Tensor, input: tf.Tensor) => tf.Scalar) =>
    tf.tidy(() => concat(tf.grads((...ps: tf.Tensor[]) => tf.addN(tf.grads(f)(ps).map((g, i) => tf.sum(tf.mul(g, v[i]!)))) as tf.Scalar)([w[0]!, w[1]!, x])));
  const error = relativeError(product(fused), product(plain));
  tf.dispose([x, ...w, ...v, weightsOut]);
  assert.ok(error < 1e-5, `fused vs plain BatchNorm HVP: ${error}`);
});

// EfficientNet's ops: depthwise convs (3x3 stride 1 and 5x5 stride 2, explicit padding), swish and
// a sigmoid gate, whose HVPs pass through both depthwise gradient kernels.
const DEPTHWISE_X = draws([2, 7, 7, 3], 300);
const depthwiseShapes = [[3, 3, 3, 1], [5, 5, 3, 1], [3, 2]] as const;

function depthwiseLoss([w1, w2, dense]: tf.Tensor[]): tf.Scalar {
  const x = tf.tensor4d(DEPTHWISE_X, [2, 7, 7, 3]);
  const h = tf.depthwiseConv2d(x, w1 as tf.Tensor4D, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const swished = tf.mul(h, tf.sigmoid(h)) as tf.Tensor4D;
  const g = tf.depthwiseConv2d(swished, w2 as tf.Tensor4D, 2, [[0, 0], [2, 2], [2, 2], [0, 0]]);
  const gated = tf.mul(g, tf.sigmoid(tf.mean(g, [1, 2], true)));
  const logits = tf.matMul(tf.mean(gated, [1, 2]) as tf.Tensor2D, dense as tf.Tensor2D);
  const labels = tf.oneHot(tf.tensor1d([1, 0], 'int32'), 2);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, logSoftmax(logits)), 1))) as tf.Scalar;
}

const depthwiseWeights = () => depthwiseShapes.map((s, i) => tf.tensor(draws(s, 310 + i, 0.5), [...s]));
const depthwiseDirection = () => depthwiseShapes.map((s, i) => tf.tensor(draws(s, 320 + i), [...s]));

function depthwiseProduct(): Float32Array {
  return tf.tidy(() => {
    const v = depthwiseDirection();
    const inner = (...ps: tf.Tensor[]) => tf.addN(tf.grads((...qs: tf.Tensor[]) => depthwiseLoss(qs))(ps).map((gi, i) => tf.sum(tf.mul(gi, v[i]!)))) as tf.Scalar;
    return concat(tf.grads(inner)(depthwiseWeights()));
  });
}

function depthwiseDifference(h: number): Float32Array {
  return tf.tidy(() => {
    const [w, v] = [depthwiseWeights(), depthwiseDirection()];
    const at = (sign: number) => tf.grads((...qs: tf.Tensor[]) => depthwiseLoss(qs))(w.map((t, i) => tf.add(t, tf.mul(v[i]!, sign * h))));
    const [plus, minus] = [at(1), at(-1)];
    return concat(plus.map((g, i) => tf.div(tf.sub(g, minus[i]!), 2 * h)));
  });
}

test('exact HVPs through depthwise convs (both gradient kernels differentiated) agree between cpu and wasm and with a central difference', async () => {
  await selectBackend('cpu');
  const cpu = depthwiseProduct();
  const difference = depthwiseDifference(1e-3);
  await selectBackend('wasm');
  const wasm = depthwiseProduct();
  await selectBackend('cpu');
  assert.ok(relativeError(wasm, cpu) < 1e-5, `wasm vs cpu: ${relativeError(wasm, cpu)}`);
  // No kinks here: measured 7e-5 (0.11 with tfjs-core's Sigmoid gradient, whose saved output is off the tape).
  assert.ok(relativeError(cpu, difference) < 1e-3, `exact vs central difference: ${relativeError(cpu, difference)}`);
});
