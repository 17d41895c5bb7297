// Weight decay is added after the deformation: a step under phi moves the weights by
// lr * (phi'(L) * grad L + wd * p), never by phi'(L) * (grad L + wd * p).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { models } from '../../src/models/index.js';
import { disposeModel } from '../../src/models/types.js';
import { optimizers } from '../../src/optimizers/index.js';
import { RandomStream } from '../../src/random.js';
import { trainStep, crossEntropyPerSample } from '../../src/train/step.js';
import { LossDeformation } from '../../src/vdms/deformation.js';
import { vdms } from '../../src/vdms/index.js';
import type { Batch } from '../../src/datasets/types.js';

before(async () => {
  await selectBackend('cpu');
});

test('weight decay stays outside phi', async () => {
  const lr = 0.1;
  const wd = 0.05;
  const shape = [2, 2, 1] as const;
  const rng = RandomStream.derive(3, 'batch');
  const batch: Batch = { x: Float32Array.from({ length: 8 * 4 }, () => rng.normal()), y: Int32Array.from({ length: 8 }, (_, i) => i % 3), size: 8 };
  const model = models.get('mlp').create({ hidden: [] }, { inputShape: shape, numClasses: 3, rng: RandomStream.derive(1, 'init') });
  const before = model.params.map((p) => Float32Array.from(p.dataSync()));

  // Plain loss, its gradient and its value, at the starting weights.
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.forward(tf.tensor4d(batch.x, [8, ...shape]), { training: true, batchNormUpdates: [] });
    return tf.mean(crossEntropyPerSample(logits, tf.tensor1d(batch.y, 'int32'), 3)) as tf.Scalar;
  }, model.params);
  const loss = value.dataSync()[0];
  const plainGrads = model.params.map((p) => Float32Array.from(grads[p.name].dataSync()));
  tf.dispose([value, grads]);

  const logEntry = vdms.get('log');
  const deformation = new LossDeformation({ entry: logEntry, params: { a: 1, b: 1 }, options: { apply: 'batch', normalize: 'none', start_epoch: 1 } });
  const optimizer = optimizers.get('sgd').create({ momentum: 0, nesterov: false }, { lr, weight_decay: wd });
  await trainStep({ model, optimizer, deformation, inputShape: shape, numClasses: 3, seed: 1 }, batch, lr, 1);

  const scale = 1 / (1 + loss); // log's phi'(L) with a = b = 1
  model.params.forEach((p, k) => {
    const after = p.dataSync();
    after.forEach((v, i) => {
      const expected = before[k][i] - lr * (scale * plainGrads[k][i] + wd * before[k][i]);
      const deformedDecay = before[k][i] - lr * scale * (plainGrads[k][i] + wd * before[k][i]);
      assert.ok(Math.abs(v - expected) < 1e-6, `param ${k}[${i}]: ${v} vs ${expected}`);
      if (before[k][i] !== 0) assert.ok(Math.abs(v - deformedDecay) > 1e-7, 'distinguishable from decay inside phi');
    });
  });
  disposeModel(model);
  optimizer.dispose();
});
