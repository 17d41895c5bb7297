import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { RandomStream } from '../../src/random.js';

// A tiny network touching every op a conv/batchnorm/pool/dense classifier's backward pass needs,
// so a kernel missing from wasm fails here instead of in the middle of a run.
const shapes = {
  x: [4, 8, 8, 3],
  stem: [3, 3, 3, 4], // 3x3, stride 1, same
  down: [3, 3, 4, 6], // 3x3, stride 2, same
  shortcut: [1, 1, 4, 6], // 1x1, stride 2, valid
  fusedFilter: [3, 3, 6, 6], // fused conv + bias + relu, stride 1, valid
  fusedBias: [6],
  gamma: [6],
  beta: [6],
  dense: [6, 5],
  denseBias: [5],
} as const;
type Name = keyof typeof shapes;
type Params = Record<Name, tf.Tensor>;

function randomTensor(shape: readonly number[], seed: number): tf.Tensor {
  const stream = RandomStream.derive(seed, 'wasm-gradients-test');
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => stream.uniform() * 2 - 1), [...shape]);
}

function batchNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3) as tf.Tensor4D;
}

function loss(p: Params, labels: tf.Tensor): tf.Scalar {
  const x = p.x as tf.Tensor4D;
  const stem = tf.relu(tf.conv2d(x, p.stem as tf.Tensor4D, 1, 'same'));
  const down = tf.conv2d(stem, p.down as tf.Tensor4D, 2, 'same');
  const shortcut = tf.conv2d(stem, p.shortcut as tf.Tensor4D, 2, 'valid');
  const merged = tf.relu(batchNorm(tf.add(down, shortcut), p.gamma, p.beta));
  const fused = tf.fused.conv2d({ x: merged, filter: p.fusedFilter as tf.Tensor4D, strides: 1, pad: 'valid', bias: p.fusedBias, activation: 'relu' });
  const pooled = tf.add(tf.avgPool(fused, 2, 1, 'valid'), tf.maxPool(fused, 2, 1, 'valid'));
  const features = tf.mean(pooled, [1, 2]) as tf.Tensor2D;
  const logits = tf.fused.matMul({ a: features, b: p.dense as tf.Tensor2D, bias: p.denseBias });
  return tf.add(tf.losses.softmaxCrossEntropy(labels, logits), tf.mul(1e-3, tf.sum(tf.square(p.dense))));
}

async function gradients(backend: 'cpu' | 'wasm'): Promise<Record<Name, Float32Array>> {
  await selectBackend(backend);
  return tf.tidy(() => {
    const names = Object.keys(shapes) as Name[];
    const values = names.map((name, i) => randomTensor(shapes[name], i + 1));
    const labels = tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5);
    const grads = tf.grads((...args: tf.Tensor[]) => loss(Object.fromEntries(names.map((n, i) => [n, args[i]!])) as Params, labels))(values);
    return Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array])) as Record<Name, Float32Array>;
  });
}

test('a conv/batchnorm/pool/dense network has the same gradients on wasm as on cpu', async () => {
  const expected = await gradients('cpu');
  const actual = await gradients('wasm');
  for (const name of Object.keys(shapes) as Name[]) {
    const e = expected[name];
    const a = actual[name];
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < e.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(e[i]! - a[i]!));
      maxAbs = Math.max(maxAbs, Math.abs(e[i]!));
    }
    assert.ok(maxAbs > 0, `${name}: gradient is all zeros, so the check proves nothing`);
    assert.ok(maxDiff / maxAbs < 1e-4, `${name}: relative error ${maxDiff / maxAbs}`);
  }
});
