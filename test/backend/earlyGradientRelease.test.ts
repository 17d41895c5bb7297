// Freeing each node's output gradient once the next node's gradient starts changes no number and
// lowers the backward pass's peak: gradients equal to the bit with it on and off (ResNet-20 with
// BatchNorm, residual adds whose gradient hands dy on as it is, weight decay), a chain's peak of
// live tensors falls, and a gradient of gradients (nothing may be freed there) is unchanged.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setEarlyGradientRelease } from '../../src/backend/earlyGradientRelease.js';
import { selectBackend } from '../../src/backend/resolve.js';
import { models } from '../../src/models/index.js';
import { disposeModel } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { logSoftmax } from '../../src/backend/logSoftmax.js';
import { randomise } from '../export/torchCheck.js';

before(async () => {
  await selectBackend('cpu');
});

function withRelease<T>(on: boolean, f: () => T): T {
  setEarlyGradientRelease(on);
  try {
    return f();
  } finally {
    setEarlyGradientRelease(true);
  }
}

/**
 * The largest number of bytes in live tensors after any kernel of a backward pass: `f` gets a
 * `backward()` to call as the last thing its loss function does (the forward's own tensors are
 * then freed, and every later kernel belongs to the backward pass).
 */
function backwardPeakBytes(f: (backward: () => void) => void): number {
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const runKernel = engine.runKernel;
  let measuring = false;
  let peak = 0;
  engine.runKernel = (...args: unknown[]) => {
    const result = runKernel.apply(engine, args);
    if (measuring) peak = Math.max(peak, tf.memory().numBytes);
    return result;
  };
  try {
    f(() => (measuring = true));
  } finally {
    engine.runKernel = runKernel;
  }
  return peak;
}

test('ResNet-20 gradients (BatchNorm in training mode, residual adds, log-softmax loss) are equal to the bit with early release on and off', () => {
  const entry = models.get('resnet20');
  const model = entry.create(entry.params.parse({}), { inputShape: [8, 8, 3], numClasses: 5, rng: RandomStream.derive(4, 'init') });
  randomise(model, 4);
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5);
  const gradients = (on: boolean) =>
    withRelease(on, () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const logits = model.forward(x, { training: true, batchNormUpdates: [] });
          return tf.neg(tf.mean(tf.sum(tf.mul(labels, logSoftmax(logits)), -1))) as tf.Scalar;
        }, model.params);
        return model.params.map((p) => Array.from(grads[p.name]!.dataSync()));
      }),
    );
  // BatchNorm keeps its batch statistics for the caller's running-average update (not asked for
  // here): the same count must be left over either way, no more (a leak) and no fewer.
  const leftOver = (on: boolean) => {
    const before = tf.memory().numTensors;
    const values = gradients(on);
    return { values, left: tf.memory().numTensors - before };
  };
  const on = leftOver(true);
  const off = leftOver(false);
  assert.equal(on.left, off.left);
  assert.deepEqual(on.values, off.values);
  disposeModel(model);
});

test('a chain of 12 layers: the backward pass peaks lower with early release (same gradient)', (t) => {
  const w = tf.variable(tf.randomNormal([256, 256], 0, 0.05, 'float32', 3));
  const x = tf.randomNormal([512, 256], 0, 1, 'float32', 5);
  const run = (on: boolean) => {
    let value: number[] = [];
    const peak = withRelease(on, () =>
      backwardPeakBytes((backward) => {
        value = tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            let h: tf.Tensor = x;
            // The add's gradient hands dy on unchanged: that dy must survive its node.
            for (let i = 0; i < 12; i++) h = tf.relu(tf.add(tf.matMul(h, w), 0.01));
            const loss = tf.mean(tf.square(h)) as tf.Scalar;
            backward();
            return loss;
          }, [w]);
          return Array.from(grads[w.name]!.dataSync());
        });
      }),
    );
    return { peak, value };
  };
  const on = run(true);
  const off = run(false);
  t.diagnostic(`backward peak ${(on.peak / 2 ** 20).toFixed(1)} MiB with early release, ${(off.peak / 2 ** 20).toFixed(1)} MiB without`);
  assert.deepEqual(on.value, off.value);
  assert.ok(on.peak < 0.75 * off.peak, `backward peak ${(on.peak / 2 ** 20).toFixed(1)} MiB with early release, ${(off.peak / 2 ** 20).toFixed(1)} MiB without`);
  w.dispose();
});

test('a gradient of gradients (a Hessian-vector product) is unchanged: nothing is freed under an outer tape', () => {
  const w = tf.variable(tf.randomNormal([6, 4], 0, 0.5, 'float32', 1));
  const x = tf.randomNormal([8, 6], 0, 1, 'float32', 2);
  const v = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
  const hvp = (on: boolean) =>
    withRelease(on, () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const g = tf.variableGrads(() => tf.mean(tf.square(tf.relu(tf.add(tf.matMul(x, w), 0.1)))) as tf.Scalar, [w]).grads[w.name]!;
          return tf.sum(tf.mul(g, v)) as tf.Scalar;
        }, [w]);
        return Array.from(grads[w.name]!.dataSync());
      }),
    );
  const on = hvp(true);
  assert.ok(on.some((value) => value !== 0));
  assert.deepEqual(on, hvp(false));
  w.dispose();
});
