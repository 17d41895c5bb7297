import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { RandomStream } from '../../src/random.js';

// The wasm Conv2DBackpropFilter / Conv2DBackpropInput kernels, and the depthwise ones, against the cpu backend's.

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
  /** tf.depthwiseConv2d (filter [k, k, channels, 1]) instead of tf.conv2d. */
  depthwise?: boolean;
}
interface ConvGradients {
  dx: Float32Array;
  dw: Float32Array;
}

/** Gradients of sum(conv(x, w) * dyWeights) on one backend, as plain numbers. */
async function convGradients(backend: 'cpu' | 'wasm', c: ConvCase, seed: number): Promise<ConvGradients> {
  await selectBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(size(c.x), seed), c.x);
    const w = tf.tensor4d(randomValues(size(c.filter), seed + 1), c.filter);
    const convolve = (xs: tf.Tensor, filter: tf.Tensor) => (c.depthwise ? tf.depthwiseConv2d : tf.conv2d)(xs as tf.Tensor4D, filter as tf.Tensor4D, c.stride, c.pad);
    const outShape = convolve(x, w).shape;
    const dyWeights = tf.tensor(randomValues(size(outShape), seed + 2), outShape);
    const loss = (xs: tf.Tensor, filter: tf.Tensor) => convolve(xs, filter).mul(dyWeights).sum();
    const [dx, dw] = tf.grads(loss)([x, w]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function randomValues(count: number, seed: number): Float32Array {
  const stream = RandomStream.derive(seed, 'wasm-conv-gradients-test');
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

async function assertMatchesCpu(c: ConvCase, seed: number): Promise<void> {
  const expected = await convGradients('cpu', c, seed);
  const actual = await convGradients('wasm', c, seed);
  for (const which of ['dx', 'dw'] as const) {
    const error = relativeError(expected[which], actual[which]);
    assert.ok(error < 1e-4, `${which} of ${JSON.stringify(c)}: relative error ${error}`);
  }
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

test('wasm conv gradients match cpu to 1e-4 (strides 1/2, same/valid, 1x1/3x3, odd/even sizes, batch 1-4)', async () => {
  let seed = 1;
  for (const c of shapes) await assertMatchesCpu(c, (seed += 3));
});

test('wasm conv gradients match cpu for 2x2 and 5x5 filters, stride 3, and explicit padding (wider than the filter too)', async () => {
  await assertMatchesCpu({ x: [2, 7, 7, 2], filter: [2, 2, 2, 3], stride: 2, pad: 'same' }, 70);
  await assertMatchesCpu({ x: [2, 9, 8, 2], filter: [5, 5, 2, 3], stride: 1, pad: 'same' }, 80);
  await assertMatchesCpu({ x: [2, 10, 11, 2], filter: [3, 3, 2, 3], stride: 3, pad: 'valid' }, 90);
  await assertMatchesCpu({ x: [2, 10, 11, 2], filter: [3, 3, 2, 3], stride: 3, pad: 'same' }, 95);
  await assertMatchesCpu({ x: [2, 6, 7, 2], filter: [3, 3, 2, 3], stride: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] }, 97);
  await assertMatchesCpu({ x: [2, 6, 7, 2], filter: [3, 3, 2, 3], stride: 2, pad: [[0, 0], [2, 0], [3, 1], [0, 0]] }, 99);
});

test('wasm conv gradients match cpu with symmetric explicit padding as the models use it (3x3 pad 1, 7x7 pad 3, stride 2, even and odd sizes)', async () => {
  const symmetric = (p: number): Pad => [[0, 0], [p, p], [p, p], [0, 0]];
  await assertMatchesCpu({ x: [2, 8, 8, 3], filter: [3, 3, 3, 4], stride: 2, pad: symmetric(1) }, 110);
  await assertMatchesCpu({ x: [2, 7, 9, 3], filter: [3, 3, 3, 4], stride: 2, pad: symmetric(1) }, 113);
  await assertMatchesCpu({ x: [2, 16, 16, 3], filter: [7, 7, 3, 4], stride: 2, pad: symmetric(3) }, 116);
  await assertMatchesCpu({ x: [2, 6, 6, 3], filter: [5, 5, 3, 4], stride: 1, pad: symmetric(2) }, 119);
});

test('wasm conv gradients on a ResNet-sized transition (batch 8, 16x16x16 -> 8x8x32, stride 2) match cpu', async () => {
  await assertMatchesCpu({ x: [8, 16, 16, 16], filter: [3, 3, 16, 32], stride: 2, pad: 'same' }, 101);
});

test('repeated calls with new data give new results and leak no buffers (no stale cached XNNPACK weights)', async () => {
  const c: ConvCase = { x: [2, 6, 6, 3], filter: [3, 3, 3, 4], stride: 2, pad: 'same' };
  await selectBackend('wasm');
  // The kernels' temporaries live below the engine, so count the wasm backend's own buffers.
  const wasmBuffers = () => tf.findBackend('wasm')!.numDataIds();
  const before = wasmBuffers();
  for (let seed = 200; seed < 212; seed += 3) await assertMatchesCpu(c, seed);
  await selectBackend('wasm');
  assert.equal(wasmBuffers(), before);
});

// EfficientNet's depthwise convs: 3x3 pad 1 and 5x5 pad 2, stride 1 and 2, odd and even sides.
test('wasm depthwise conv gradients match cpu (3x3 and 5x5, symmetric padding, strides 1 and 2, same/valid)', async () => {
  const symmetric = (p: number): Pad => [[0, 0], [p, p], [p, p], [0, 0]];
  let seed = 200;
  // 1x1 and 2x2 maps: EfficientNet's last stages on small inputs, padding wider than the map.
  for (const [n, h, w] of [[2, 1, 1], [2, 2, 2], [1, 5, 5], [2, 8, 8], [3, 9, 7]] as const) {
    for (const k of [3, 5]) {
      for (const stride of [1, 2]) {
        for (const pad of [symmetric((k - 1) / 2), 'same', 'valid'] as const) {
          if (pad === 'valid' && k > Math.min(h, w)) continue; // no output at all
          await assertMatchesCpu({ x: [n, h, w, 4], filter: [k, k, 4, 1], stride, pad, depthwise: true }, (seed += 3));
        }
      }
    }
  }
});
