// Registry-driven: every registered model has a PyTorch naming, and its export names every weight
// and BatchNorm statistic once, in PyTorch's layouts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/backend/resolve.js';
import { exportableModels, torchStateDict } from '../../src/export/torchStateDict.js';
import { UsageError } from '../../src/errors.js';
import { models } from '../../src/models/index.js';
import { disposeModel } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';

before(async () => {
  await selectBackend('cpu');
});

test('every registered model is exportable, and only registered models are', () => {
  assert.deepEqual([...exportableModels()].sort(), models.entries().map((e) => e.name).sort());
});

for (const entry of models.entries()) {
  test(`export of ${entry.name}: unique names, every value once, a num_batches_tracked per BatchNorm`, () => {
    const inputShape: [number, number, number] = entry.name === 'lenet5' ? [28, 28, 1] : [8, 8, 3];
    const model = entry.create(entry.params.parse(entry.smallParams ?? {}), { inputShape, numClasses: 5, rng: RandomStream.derive(1, 'init') });
    const tensors = torchStateDict(entry.name, model, { inputShape, batchesTracked: 9 });
    const names = tensors.map((t) => t.name);
    assert.equal(new Set(names).size, names.length, 'names are unique');
    const values = [...model.params, ...model.buffers].reduce((n, v) => n + v.size, 0);
    const counters = tensors.filter((t) => t.name.endsWith('.num_batches_tracked'));
    assert.equal(tensors.reduce((n, t) => n + t.data.length, 0), values + counters.length);
    assert.equal(counters.length, tensors.filter((t) => t.name.endsWith('.running_var')).length);
    assert.ok(counters.every((t) => t.data[0] === 9n));
    // Module paths of letters, digits and underscores (CIFAR-ZOO's conv_1, stage_1_bottleneck_0; the WRN's convShortcut).
    for (const t of tensors) assert.match(t.name, /^[a-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*\.(weight|bias|running_mean|running_var|num_batches_tracked)$/);
    disposeModel(model);
  });
}

test('torchvision names for resnet18: stem, first block, downsample and head', () => {
  const model = models.get('resnet18').create({}, { inputShape: [32, 32, 3], numClasses: 10, rng: RandomStream.derive(1, 'init') });
  const byName = new Map(torchStateDict('resnet18', model, { inputShape: [32, 32, 3], batchesTracked: 0 }).map((t) => [t.name, t.shape]));
  assert.deepEqual(byName.get('conv1.weight'), [64, 3, 7, 7]);
  assert.deepEqual(byName.get('bn1.running_var'), [64]);
  assert.deepEqual(byName.get('layer1.0.conv1.weight'), [64, 64, 3, 3]);
  assert.deepEqual(byName.get('layer2.0.downsample.0.weight'), [128, 64, 1, 1]);
  assert.deepEqual(byName.get('layer2.0.downsample.1.weight'), [128]);
  assert.deepEqual(byName.get('fc.weight'), [10, 512]);
  assert.equal(byName.size, 122, 'torchvision resnet18 state_dict has 122 entries');
  disposeModel(model);
});

test('a model without a PyTorch naming is a usage error listing the exportable ones', () => {
  assert.throws(() => torchStateDict('vgg16', null as never, { inputShape: [8, 8, 3], batchesTracked: 0 }), (e: unknown) => e instanceof UsageError && /model 'vgg16' has no PyTorch naming.*resnet18/.test(e.message));
});
