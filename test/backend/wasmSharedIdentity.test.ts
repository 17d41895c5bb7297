import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';

test('wasm clone shares the buffer instead of copying, and outlives the original', async () => {
  await selectBackend('wasm');
  const wasmBuffers = () => tf.findBackend('wasm')!.numDataIds();
  const original = tf.tensor([1, 2, 3, 4], [2, 2]);
  const before = wasmBuffers();
  const copy = tf.clone(original);
  assert.equal(wasmBuffers(), before, 'clone allocated a new buffer');
  original.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4]);
  assert.deepEqual(copy.shape, [2, 2]);
  copy.dispose();
  assert.equal(wasmBuffers(), before - 1, 'the shared buffer was not freed with its last tensor');
});

test('wasm clone of strings still works', async () => {
  await selectBackend('wasm');
  const copy = tf.clone(tf.tensor(['a', 'b']));
  assert.deepEqual(copy.dataSync(), ['a', 'b']);
});

test('a variable assigned after a clone keeps the clone unchanged', async () => {
  await selectBackend('wasm');
  const v = tf.variable(tf.tensor([1, 2]));
  const saved = tf.clone(v);
  v.assign(tf.tensor([5, 6]));
  assert.deepEqual(Array.from(saved.dataSync()), [1, 2]);
  assert.deepEqual(Array.from(v.dataSync()), [5, 6]);
});
