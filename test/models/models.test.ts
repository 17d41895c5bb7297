// Registry-driven: every model builds, gives logits of the right shape, and one training step
// changes every trainable weight. Also the architecture facts the papers state.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { models } from '../../src/models/index.js';
import { countParameters, disposeModel, type ModelEntry } from '../../src/models/types.js';
import { applyBatchNormUpdates, type BatchNormUpdate } from '../../src/models/nn.js';
import { RandomStream } from '../../src/random.js';

before(async () => {
  await selectBackend('cpu');
});

/**
 * A small input each model accepts (LeNet-5 needs at least 12x12 for its two pools). EfficientNet
 * halves the size four times: at 32x32 its last maps keep 2x2 pixels, so training-mode BatchNorm
 * there normalises 8 values a channel, not 2 (which leaves float32-invisible gradients upstream).
 */
const INPUTS: Record<string, [number, number, number]> = { lenet5: [28, 28, 1], efficientnet_b0: [32, 32, 3] };
const inputFor = (entry: ModelEntry): [number, number, number] => INPUTS[entry.name] ?? [8, 8, 3];

for (const entry of models.entries()) {
  test(`model ${entry.name}: forward shape and one step updates every weight`, () => {
    const inputShape = inputFor(entry);
    const model = entry.create(entry.params.parse(entry.smallParams ?? {}), { inputShape, numClasses: 5, rng: RandomStream.derive(1, 'init') });
    const before = model.params.map((p) => p.dataSync().slice());
    const updates: BatchNormUpdate[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const x = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', 3) as tf.Tensor4D;
      const logits = model.forward(x, { training: true, batchNormUpdates: updates });
      assert.deepEqual(logits.shape, [2, 5]);
      return tf.mean(tf.square(logits)) as tf.Scalar;
    }, model.params);
    model.params.forEach((p) => p.assign(tf.sub(p, tf.mul(grads[p.name], 0.1))));
    applyBatchNormUpdates(updates);
    const unchanged = model.params.filter((p, i) => tf.tensor(before[i]).sub(p.flatten()).abs().max().dataSync()[0] === 0);
    assert.deepEqual(unchanged.map((p) => p.name), [], 'every weight receives a gradient');
    tf.dispose([value, grads]);
    disposeModel(model);
  });
}

test('CIFAR ResNets have the parameter counts of He et al. 2016 (option A)', () => {
  // Table 6 of the paper: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M for 20/32/44/56/110 layers.
  const expected: Record<string, number> = { resnet20: 0.27e6, resnet32: 0.46e6, resnet44: 0.66e6, resnet56: 0.85e6, resnet110: 1.7e6 };
  for (const [name, count] of Object.entries(expected)) {
    const model = models.get(name).create({}, { inputShape: [32, 32, 3], numClasses: 10, rng: RandomStream.derive(1, 'init') });
    const params = countParameters(model);
    assert.ok(Math.abs(params - count) / count < 0.03, `${name}: ${params} parameters`);
    disposeModel(model);
  }
});

test('same seed, same initial weights; BatchNorm moving statistics follow the batch in training mode', () => {
  const make = () => models.get('resnet20').create({}, { inputShape: [8, 8, 3], numClasses: 3, rng: RandomStream.derive(5, 'init') });
  const a = make();
  const b = make();
  a.params.forEach((p, i) => assert.deepEqual(p.dataSync(), b.params[i].dataSync()));
  const updates: BatchNormUpdate[] = [];
  tf.tidy(() => a.forward(tf.fill([4, 8, 8, 3], 2) as tf.Tensor4D, { training: true, batchNormUpdates: updates }));
  const stemMean = updates[0].mean.dataSync().slice();
  applyBatchNormUpdates(updates);
  const moving = a.buffers[0].dataSync();
  stemMean.forEach((m, i) => assert.ok(Math.abs(moving[i] - 0.1 * m) < 1e-5, 'moving mean = 0.9*0 + 0.1*batch mean'));
  disposeModel(a);
  disposeModel(b);
});
