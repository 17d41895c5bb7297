// Which network a dry run times: the run's own when it is small enough, else the family's probe
// variant with the FLOP ratio its times are scaled by (counted, not timed: this test is instant).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { planProbe, TIME_DIRECTLY_UP_TO_FLOPS } from '../../src/experiments/flopScaling.js';
import { CIFAR10_SIZE } from '../../src/models/types.js';
import { tempDir, writeFiles } from '../helpers/files.js';

before(async () => {
  await selectBackend('cpu');
});

const configWith = (model: string) =>
  loadRunConfig(
    join(
      writeFiles({
        'run.yaml': `name: plan
seed: 1
backend: cpu
epochs: 1
output: ${JSON.stringify(tempDir())}
model: ${model}
dataset: { name: cifar10, root: nowhere, batch_size: 128 }
optimizer: { name: sgd, lr: 0.1 }
schedule: { name: constant }
vdm: { name: none }
`,
      }),
      'run.yaml',
    ),
  );

test('a network under the threshold is timed as it is (ResNet-110, EfficientNet-B0)', async () => {
  for (const model of ['{ name: resnet110 }', '{ name: efficientnet_b0 }']) {
    const config = configWith(model);
    const plan = await planProbe(config, CIFAR10_SIZE);
    assert.equal(plan.timed, config);
    assert.equal(plan.variant, undefined);
    assert.ok(plan.flops! > 0 && plan.flops! <= TIME_DIRECTLY_UP_TO_FLOPS, `${model}: ${plan.flops}`);
  }
});

test("a big network is timed as its family's probe variant, its other parameters kept, scaled by the FLOP ratio", async () => {
  const plan = await planProbe(configWith('{ name: wrn, depth: 28, widen: 10, dropout: 0.3 }'), CIFAR10_SIZE);
  assert.deepEqual(plan.timed.model, { name: 'wrn', params: { depth: 28, widen: 2, dropout: 0.3 } });
  assert.deepEqual(plan.variant!.params, { depth: 28, widen: 2 });
  assert.equal(plan.variant!.ratio, plan.flops! / plan.variant!.flops);
  assert.ok(plan.variant!.ratio > 20 && plan.variant!.ratio < 30, `ratio ${plan.variant!.ratio}`);
});
