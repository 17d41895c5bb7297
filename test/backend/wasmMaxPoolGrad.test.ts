import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { RandomStream } from '../../src/random.js';

// wasm's MaxPoolGrad (src/backend/wasmMaxPoolGrad.ts) against the cpu backend: each window's
// gradient goes to its first strict maximum. ReLU'd inputs put ties (zeros) in many windows; NaN
// and -Infinity windows get no gradient.

const CASES: Array<{ name: string; filter: number; stride: number; pad: 'valid' | 'same' | number; shape: [number, number, number, number] }> = [
  { name: "LeNet-5's 2x2 stride 2", filter: 2, stride: 2, pad: 'valid', shape: [3, 8, 8, 4] },
  { name: "ResNet-18's 3x3 stride 2 pad 1 (overlapping)", filter: 3, stride: 2, pad: 1, shape: [2, 9, 9, 3] },
  { name: '3x3 stride 1 same', filter: 3, stride: 1, pad: 'same', shape: [2, 5, 6, 2] },
  { name: '2x2 stride 2 on an odd size', filter: 2, stride: 2, pad: 'valid', shape: [1, 7, 7, 2] },
];

function inputValues(size: number, seed: number): Float32Array {
  const stream = RandomStream.derive(seed, 'wasm-maxpool-test');
  const values = Float32Array.from({ length: size }, () => Math.max(0, stream.uniform() * 2 - 1)); // ReLU'd: ties at 0
  values[0] = NaN;
  values[1] = -Infinity;
  return values;
}

async function gradients(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  await selectBackend(backend);
  return CASES.map(({ filter, stride, pad, shape }, i) =>
    tf.tidy(() => {
      const x = tf.tensor4d(inputValues(tf.util.sizeFromShape(shape), i), shape);
      const pooledShape = tf.maxPool(x, filter, stride, pad).shape;
      const stream = RandomStream.derive(100 + i, 'wasm-maxpool-test');
      const weights = tf.tensor(Float32Array.from({ length: tf.util.sizeFromShape(pooledShape) }, () => stream.uniform() * 2 - 1), pooledShape);
      const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, filter, stride, pad), weights)))(x);
      return g.dataSync() as Float32Array;
    }),
  );
}

test('wasm MaxPoolGrad matches cpu: first maximum of each window, ties, padding, NaN and -Infinity', async () => {
  const cpu = await gradients('cpu');
  const wasm = await gradients('wasm');
  CASES.forEach(({ name, filter, stride }, i) => {
    const overlapping = filter > stride;
    if (!overlapping) {
      assert.deepEqual(wasm[i], cpu[i], name); // one contribution per input: the same numbers
      return;
    }
    // Overlapping windows add contributions in another order than cpu's loop.
    const worst = cpu[i]!.reduce((m, v, j) => Math.max(m, Math.abs(v - wasm[i]![j]!)), 0);
    assert.ok(worst <= 1e-6, `${name}: largest difference ${worst}`);
  });
});
