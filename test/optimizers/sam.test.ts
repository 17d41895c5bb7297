// SAM as a training step: with rho 0 it is its base optimizer to the last bit (the second pass
// at w + 0 gives the same gradient, and bn: first drops its BatchNorm statistics); with rho > 0
// it is not, and bn: both moves the running statistics a second time.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { disposeModel } from '../../src/models/types.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { train } from '../../src/train/trainer.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

// ResNet-20 (BatchNorm) under the log VDM, 2 epochs of 3 steps.
const SET = ['epochs=2', 'model.name=resnet20', 'dataset.shape=[4, 4, 3]', 'dataset.size=24', 'dataset.test_size=8', 'dataset.batch_size=8'];

/** Weights and BatchNorm statistics after training with this optimizer block. */
async function trained(optimizer: string): Promise<{ params: Float32Array[]; buffers: Float32Array[] }> {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  const config = loadRunConfig(join(dir, 'tiny.yaml'), [...SET, `optimizer=${optimizer}`]);
  const parts = buildTrainingParts(config, await buildDataset(config));
  try {
    await train(parts);
    return { params: parts.model.params.map((p) => p.dataSync() as Float32Array), buffers: parts.model.buffers.map((b) => b.dataSync() as Float32Array) };
  } finally {
    disposeModel(parts.model);
    parts.optimizer.dispose();
  }
}

for (const [base, keys] of [['sgd', 'momentum: 0.9, nesterov: true'], ['adam', 'beta1: 0.8']] as const) {
  test(`sam with rho 0 trains exactly as ${base} (weights and BatchNorm statistics bit for bit)`, async () => {
    const plain = await trained(`{name: ${base}, lr: 0.05, weight_decay: 1.0e-3, ${keys}}`);
    const sam = await trained(`{name: sam, base: ${base}, rho: 0, lr: 0.05, weight_decay: 1.0e-3, ${keys}}`);
    assert.deepEqual(sam.params, plain.params);
    assert.deepEqual(sam.buffers, plain.buffers);
  });
}

test('sam with rho > 0 moves the weights elsewhere; bn: both moves the running statistics but not the weights', async () => {
  const plain = await trained('{name: sgd, lr: 0.05}');
  const first = await trained('{name: sam, lr: 0.05}');
  const both = await trained('{name: sam, lr: 0.05, bn: both}');
  assert.notDeepEqual(first.params, plain.params);
  // Training-mode BatchNorm normalises by the batch's own statistics: the running ones never enter a step.
  assert.deepEqual(both.params, first.params);
  assert.notDeepEqual(both.buffers, first.buffers);
});
