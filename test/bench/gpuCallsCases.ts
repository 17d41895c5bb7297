// Run by gpuCalls.test.ts in a child whose environment points Dawn at a Vulkan driver (SwiftShader).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { GpuCallCounter } from '../../bench/gpu/gpuCalls.js';

test('gpu call counter: one dispatch and one uniform upload per kernel, passes and submits as tfjs batches them', async () => {
  await selectBackend('webgpu');
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 15);
  const b = tf.fill([64], 0.5);
  let x = tf.fill([64], 1);
  const chain = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const next = tf.add(x, b);
      x.dispose();
      x = next;
    }
    return x.data();
  };
  await chain(1); // compiles the shader and fills the buffer pools
  const counter = new GpuCallCounter();
  counter.install();
  const values = await chain(20);
  const counts = counter.reset();
  counter.uninstall();
  await chain(3);
  assert.equal(values[0], 1 + 21 * 0.5);
  assert.deepEqual(
    { dispatches: counts.dispatches, uniformUploads: counts.uniformUploads, computePasses: counts.computePasses, submits: counts.submits, hostReads: counts.hostReads, pipelinesCompiled: counts.pipelinesCompiled },
    // 20 kernels; a pass and a submit after every 15th dispatch, and one more for the rest when the result is read.
    { dispatches: 20, uniformUploads: 20, computePasses: 2, submits: 2, hostReads: 1, pipelinesCompiled: 0 },
  );
  assert.equal(counter.counts.dispatches, 0, 'uninstalled: the device and queue count no more');
  tf.dispose([x, b]);
});
