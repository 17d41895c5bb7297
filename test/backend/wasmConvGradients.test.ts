import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { RandomStream } from '../../src/random.js';

type Pad = 'same' | 'valid';
interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
}

/** The filter gradient of sum(conv(x, w) * dyWeights) on one backend, as plain numbers. */
async function filterGradient(backend: 'cpu' | 'wasm', c: ConvCase, x: Float32Array, w: Float32Array, seed: number): Promise<Float32Array> {
  await selectBackend(backend);
  return tf.tidy(() => {
    const xs = tf.tensor4d(x, c.x);
    const outShape = tf.conv2d(xs, tf.zeros(c.filter) as tf.Tensor4D, c.stride, c.pad).shape;
    const dyWeights = tf.tensor(randomValues(outShape.reduce((a, b) => a * b), seed), outShape);
    const loss = (filter: tf.Tensor) => tf.conv2d(xs, filter as tf.Tensor4D, c.stride, c.pad).mul(dyWeights).sum();
    return tf.grad(loss)(tf.tensor4d(w, c.filter)).dataSync() as Float32Array;
  });
}

function randomValues(count: number, seed: number): Float32Array {
  const stream = RandomStream.derive(seed, 'wasm-conv-backprop-filter-test');
  return Float32Array.from({ length: count }, () => stream.uniform() * 2 - 1);
}

/** Largest |a-b| relative to the largest |a|: robust to entries that happen to be near zero. */
function relativeError(expected: Float32Array, actual: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(expected[i]! - actual[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]!));
  }
  return maxDiff / maxAbs;
}

const shapes: ConvCase[] = [];
for (const [n, h, w] of [[1, 5, 5], [2, 6, 6], [3, 7, 8], [4, 9, 6], [2, 8, 8]] as const) {
  for (const k of [1, 3]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        shapes.push({ x: [n, h, w, 3], filter: [k, k, 3, 4], stride, pad });
      }
    }
  }
}

test('wasm Conv2DBackpropFilter matches cpu to 1e-4 (strides 1/2, same/valid, 1x1/3x3, odd/even sizes, batch 1-4)', async () => {
  let seed = 1;
  for (const c of shapes) {
    const x = randomValues(c.x.reduce((a, b) => a * b), seed++);
    const w = randomValues(c.filter.reduce((a, b) => a * b), seed++);
    const expected = await filterGradient('cpu', c, x, w, seed);
    const actual = await filterGradient('wasm', c, x, w, seed++);
    assert.ok(relativeError(expected, actual) < 1e-4, `${JSON.stringify(c)}: relative error ${relativeError(expected, actual)}`);
  }
});

test('wasm Conv2DBackpropFilter on a ResNet-sized transition (batch 8, 16x16x16 -> 8x8x32, stride 2) matches cpu', async () => {
  const c: ConvCase = { x: [8, 16, 16, 16], filter: [3, 3, 16, 32], stride: 2, pad: 'same' };
  const x = randomValues(c.x.reduce((a, b) => a * b), 101);
  const w = randomValues(c.filter.reduce((a, b) => a * b), 102);
  const expected = await filterGradient('cpu', c, x, w, 103);
  assert.ok(relativeError(expected, await filterGradient('wasm', c, x, w, 103)) < 1e-4);
});

test('repeated calls with new data give new results and leak no tensors (no stale cached XNNPACK weights)', async () => {
  const c: ConvCase = { x: [2, 6, 6, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' };
  await selectBackend('wasm');
  // The kernel's temporaries live below the engine, so count the wasm backend's own buffers.
  const wasmBuffers = () => tf.findBackend('wasm')!.numDataIds();
  const before = wasmBuffers();
  for (let seed = 200; seed < 206; seed++) {
    const x = randomValues(c.x.reduce((a, b) => a * b), seed);
    const w = randomValues(c.filter.reduce((a, b) => a * b), seed + 50);
    const expected = await filterGradient('cpu', c, x, w, seed + 99);
    assert.ok(relativeError(expected, await filterGradient('wasm', c, x, w, seed + 99)) < 1e-4, `seed ${seed}`);
  }
  assert.equal(wasmBuffers(), before);
});
