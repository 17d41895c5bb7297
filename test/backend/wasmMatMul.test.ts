import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { RandomStream } from '../../src/random.js';

// wasm's BatchMatMul with a transposed operand transposes first and multiplies on XNNPACK above
// a size threshold (src/backend/wasmMatMul.ts): every flag combination, on both sides of each
// threshold, against the cpu backend.

function values(size: number, seed: number): Float32Array {
  const stream = RandomStream.derive(seed, 'wasm-matmul-test');
  return Float32Array.from({ length: size }, () => stream.uniform() * 2 - 1);
}

// [rows of the product, inner, columns of the product]
const SHAPES: Array<[number, number, number]> = [
  [64, 400, 120], // a dense layer's gradients: both transposes go through XNNPACK
  [64, 84, 10], // dy W^T below the multiply-add threshold: wasm's loop
  [16, 500, 1], // x^T times a column (BatchNorm's channel sums): wasm's loop
  [3, 7, 5],
];

async function products(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  await selectBackend(backend);
  const results: Float32Array[] = [];
  SHAPES.forEach(([m, k, n], s) => {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = tf.tensor2d(values(m * k, 10 * s + 1), transposeA ? [k, m] : [m, k]);
      const b = tf.tensor2d(values(k * n, 10 * s + 2), transposeB ? [n, k] : [k, n]);
      const product = tf.matMul(a, b, transposeA, transposeB);
      assert.deepEqual(product.shape, [m, n]);
      results.push(product.dataSync() as Float32Array);
      tf.dispose([a, b, product]);
    }
  });
  // A batch of one, as rank 3.
  const a = tf.tensor3d(values(64 * 400, 99), [1, 400, 64]);
  const b = tf.tensor3d(values(400 * 120, 98), [1, 400, 120]);
  const product = tf.matMul(a, b, true, false);
  results.push(product.dataSync() as Float32Array);
  tf.dispose([a, b, product]);
  return results;
}

test('wasm matMul with transposed operands matches cpu in every flag combination, leaking nothing', async () => {
  const cpu = await products('cpu');
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const wasm = await products('wasm');
  assert.equal(tf.memory().numTensors, before);
  cpu.forEach((expected, i) => {
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    const worst = expected.reduce((m, v, j) => Math.max(m, Math.abs(v - wasm[i]![j]!)), 0);
    assert.ok(worst <= 1e-5 * scale, `product ${i}: largest difference ${worst} (scale ${scale})`);
  });
});
