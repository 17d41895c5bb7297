// The kernel timer of `npm run bench -- training --profile` must not change what it times, and
// must count every kernel once: the same losses as an untimed run, bit for bit, and the same
// kernel calls as tf.profile records for the same step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { KernelTimer } from '../../bench/training/kernelTimer.js';
import { formatProfile } from '../../bench/training/kernelTable.js';
import type { ProfileResult } from '../../bench/training/profile.js';

/** A tiny regression step: forward (matMul, add, relu, mean), backward, an SGD update. */
function step(w: tf.Variable, x: tf.Tensor2D): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.relu(tf.add(tf.matMul(x, w), 0.1)))) as tf.Scalar, [w]);
    w.assign(tf.sub(w, tf.mul(grads[w.name]!, 0.5)));
    return value.dataSync()[0]!;
  });
}

function run(timer?: KernelTimer): { losses: number[]; w: Float32Array } {
  const w = tf.variable(tf.tensor2d([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.7]]));
  const x = tf.tensor2d([[1, 2, 3], [-1, 0.5, 2]]);
  timer?.install();
  timer?.start();
  const losses = [step(w, x), step(w, x), step(w, x)];
  timer?.stop();
  timer?.uninstall();
  const out = { losses, w: w.dataSync() as Float32Array };
  tf.dispose([w, x]);
  return out;
}

test('kernel timer: identical results, every kernel counted once, phases split', async () => {
  await tf.setBackend('cpu');
  const reluBefore = tf.getKernel('Relu', 'cpu')!.kernelFunc;
  const plain = run();
  const timer = new KernelTimer();
  const timed = run(timer);
  assert.deepEqual(timed.losses, plain.losses);
  assert.deepEqual(timed.w, plain.w);

  const w = tf.variable(tf.tensor2d([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.7]]));
  const x = tf.tensor2d([[1, 2, 3], [-1, 0.5, 2]]);
  const profiled = await tf.profile(() => {
    step(w, x);
  });
  tf.dispose([w, x]);
  const calls = [...timer.kernels.values()].reduce((t, r) => t + r.calls, 0);
  assert.equal(calls, 3 * profiled.kernels.length);
  assert.equal(timer.kernels.get('BatchMatMul')?.calls, 3 * profiled.kernels.filter((k) => k.name === 'BatchMatMul').length);
  // Forward has the matmul and relu; back-propagation has the relu gradient; the update has the Sub.
  assert.ok(timer.kernelMsByPhase.get('forward')! >= 0 && timer.phaseMs.get('backward')! > 0);
  assert.equal(tf.getKernel('Relu', 'cpu')!.kernelFunc, reluBefore, 'uninstall restores the original kernels');
});

test('kernel table: kernels by share of the step, small ones folded, time outside kernels', () => {
  const profile: ProfileResult = {
    model: 'resnet20', backend: 'wasm', threads: 2, batchSize: 128, steps: 3, stepMs: 100, peakRssMB: 900,
    kernels: [
      { kernel: 'Conv2DBackpropFilter', calls: 19, ms: 40 },
      { kernel: 'Conv2D', calls: 19, ms: 30 },
      { kernel: 'Cast', calls: 2, ms: 0.2 },
      { kernel: 'Reshape', calls: 5, ms: 0.1 },
    ],
    phases: { forward: { ms: 30, kernelMs: 28 }, backward: { ms: 65, kernelMs: 40 }, other: { ms: 5, kernelMs: 2.3 } },
  };
  const lines = formatProfile(profile);
  assert.match(lines[0]!, /^resnet20 wasm x2 batch 128: 100.0 ms\/step \(1280.0 img\/s\) over 3 profiled steps, 70.3 ms in 45 kernel calls, peak RSS 900 MB$/);
  assert.match(lines[2]!, /^ {2}Conv2DBackpropFilter +40.00 +40.0% +19$/);
  assert.match(lines[4]!, /^ {2}\(2 more kernels\) +0.30 +0.3% +7$/);
  assert.match(lines[5]!, /^ {2}\(outside kernels\) +29.70 +29.7%$/);
  assert.match(lines[6]!, /phases: forward 30.0% \(30.0 ms, 93.3% of it in kernels\), backward 65.0%/);
});
