// ImageNet ResNets match torchvision: parameter counts, feature-map sizes, symmetric padding and
// fan_out init; they give logits at small image sizes and train one step.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { imageNetResNets, torchvisionConv, type ImageNetResNet } from '../../src/models/resnetImagenet.js';
import { applyBatchNormUpdates, ParamStore, type BatchNormUpdate, type ForwardContext } from '../../src/models/nn.js';
import { countParameters, disposeModel } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';

before(async () => {
  await selectBackend('cpu');
});

const evalMode = (): ForwardContext => ({ training: false, batchNormUpdates: [] });

function build(name: string, side: number, numClasses: number): ImageNetResNet {
  const entry = imageNetResNets.find((e) => e.name === name);
  assert.ok(entry, `no entry ${name}`);
  return entry.create({}, { inputShape: [side, side, 3], numClasses, rng: RandomStream.derive(1, 'init') });
}

test('parameter counts equal torchvision (1000 classes)', () => {
  const expected: Record<string, number> = { resnet18: 11_689_512, resnet34: 21_797_672, resnet50: 25_557_032 };
  assert.deepEqual(imageNetResNets.map((e) => e.name), Object.keys(expected));
  for (const [name, count] of Object.entries(expected)) {
    const model = build(name, 224, 1000);
    assert.equal(countParameters(model), count, name);
    disposeModel(model);
  }
});

test('final feature map: 224 -> 7x7x512 and 33 -> 2x2 as torchvision (33 -> 17 -> 9 -> 9 -> 5 -> 3 -> 2)', () => {
  const model = build('resnet18', 224, 10);
  for (const [side, expected] of [[224, 7], [33, 2]]) {
    const features = model.features(tf.zeros([1, side, side, 3]), evalMode());
    assert.deepEqual(features.shape, [1, expected, expected, 512], `input ${side}`);
    features.dispose();
  }
  disposeModel(model);
});

test('stride-2 convs pad symmetrically (torchvision padding=1), not TF-same (pad after only)', () => {
  const store = new ParamStore(RandomStream.derive(2, 'init'));
  const conv = torchvisionConv(store, 'c', { inChannels: 1, outChannels: 1, kernel: 3, stride: 2 });
  const kernel = store.params[0];
  const out = tf.tidy(() => conv(tf.ones([1, 4, 4, 1]), evalMode()).dataSync());
  const all = tf.tidy(() => kernel.sum().dataSync()[0]);
  // Output (0,0) sees the padded top row and left column; output (1,1) sees only image pixels.
  const withoutFirstRowAndColumn = tf.tidy(() => kernel.slice([1, 1], [2, 2]).sum().dataSync()[0]);
  assert.ok(Math.abs(out[0] - withoutFirstRowAndColumn) < 1e-5, `out[0,0] = ${out[0]}, expected ${withoutFirstRowAndColumn}`);
  assert.ok(Math.abs(out[3] - all) < 1e-5, `out[1,1] = ${out[3]}, expected ${all}`);
  store.params.forEach((p) => p.dispose());
});

test('init: He-normal fan_out convs, BN gamma 1 and beta 0 everywhere (no zero-init residual)', () => {
  const model = build('resnet18', 32, 10);
  const stem = model.params[0];
  assert.deepEqual(stem.shape, [7, 7, 3, 64]);
  const std = tf.tidy(() => tf.moments(stem).variance.sqrt().dataSync()[0]);
  const fanOutStd = Math.sqrt(2 / (7 * 7 * 64)); // fan_in would give sqrt(2 / 147), 4.6x larger
  assert.ok(Math.abs(std / fanOutStd - 1) < 0.05, `stem std ${std}, expected ${fanOutStd}`);
  const gammas = model.params.filter((p) => p.name.includes('/bn/gamma'));
  const betas = model.params.filter((p) => p.name.includes('/bn/beta'));
  assert.equal(gammas.length, 20, '1 stem + 8 blocks x 2 + 3 downsample BatchNorms');
  gammas.forEach((g) => assert.ok(g.dataSync().every((v) => v === 1), g.name));
  betas.forEach((b) => assert.ok(b.dataSync().every((v) => v === 0), b.name));
  disposeModel(model);
});

test('logits [batch, classes] at small image sizes', () => {
  const cases: [string, number, number][] = [
    ['resnet18', 32, 2],
    ['resnet18', 64, 2],
    ['resnet34', 32, 2],
    ['resnet50', 32, 1],
  ];
  for (const [name, side, batch] of cases) {
    const model = build(name, side, 10);
    const logits = model.forward(tf.randomNormal([batch, side, side, 3], 0, 1, 'float32', 4), evalMode());
    assert.deepEqual(logits.shape, [batch, 10], `${name} at ${side}x${side}`);
    assert.ok(logits.dataSync().every(Number.isFinite), `${name} logits finite`);
    logits.dispose();
    disposeModel(model);
  }
});

test('resnet18: one SGD step at 32x32, batch 2, lowers the loss on that batch', () => {
  const model = build('resnet18', 32, 10);
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.oneHot([3, 8], 10);
  const lossOf = (updates: BatchNormUpdate[]) => () =>
    tf.losses.softmaxCrossEntropy(labels, model.forward(x, { training: true, batchNormUpdates: updates })) as tf.Scalar;
  const updates: BatchNormUpdate[] = [];
  const { value, grads } = tf.variableGrads(lossOf(updates), model.params);
  assert.equal(updates.length, 20, 'one BatchNorm update per BN layer');
  applyBatchNormUpdates(updates);
  for (const p of model.params) {
    assert.ok(grads[p.name].dataSync().every(Number.isFinite), `finite gradient for ${p.name}`);
    p.assign(tf.tidy(() => tf.sub(p, tf.mul(grads[p.name], 0.01))));
  }
  const after: BatchNormUpdate[] = [];
  const lossAfter = tf.tidy(lossOf(after));
  applyBatchNormUpdates(after);
  const [l0, l1] = [value.dataSync()[0], lossAfter.dataSync()[0]];
  assert.ok(l1 < l0, `loss ${l0} -> ${l1}`);
  tf.dispose([x, labels, value, grads, lossAfter]);
  disposeModel(model);
});
