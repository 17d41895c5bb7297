// Dropout in a training step follows (run seed, step): the same seed and step give the same
// weights after the step, another seed or step other ones; at rate 0 the seed changes nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/backend/resolve.js';
import type { Batch } from '../../src/datasets/types.js';
import { models } from '../../src/models/index.js';
import { disposeModel } from '../../src/models/types.js';
import { optimizers } from '../../src/optimizers/index.js';
import { RandomStream } from '../../src/random.js';
import { trainStep } from '../../src/train/step.js';
import { LossDeformation } from '../../src/vdms/deformation.js';
import { vdms } from '../../src/vdms/index.js';

before(async () => {
  await selectBackend('cpu');
});

const SHAPE = [8, 8, 3] as const;

/** The weights of a tiny WRN after one SGD step at (seed, step), from the same initial weights. */
async function weightsAfterStep(rate: number, seed: number, step: number): Promise<Float32Array[]> {
  const rng = RandomStream.derive(4, 'batch');
  const batch: Batch = { x: Float32Array.from({ length: 4 * 8 * 8 * 3 }, () => rng.normal()), y: Int32Array.from([0, 1, 2, 1]), size: 4 };
  const model = models.get('wrn').create({ depth: 10, widen: 1, dropout: rate }, { inputShape: SHAPE, numClasses: 3, rng: RandomStream.derive(1, 'init') });
  const optimizer = optimizers.get('sgd').create({ momentum: 0, nesterov: false }, { lr: 0.1, weight_decay: 0 });
  const deformation = new LossDeformation({ entry: vdms.get('none'), params: {}, options: { apply: 'batch', normalize: 'none', start_epoch: 1 } });
  await trainStep({ model, optimizer, deformation, inputShape: SHAPE, numClasses: 3, seed }, batch, 0.1, 1, step);
  const weights = model.params.map((p) => Float32Array.from(p.dataSync()));
  disposeModel(model);
  optimizer.dispose();
  return weights;
}

test('wrn dropout: reproducible from (seed, step), different across seeds and steps, off at rate 0', async () => {
  const a = await weightsAfterStep(0.5, 1, 0);
  assert.deepEqual(await weightsAfterStep(0.5, 1, 0), a, 'same seed and step: same masks, same weights');
  assert.notDeepEqual(await weightsAfterStep(0.5, 2, 0), a, 'another seed: other masks');
  assert.notDeepEqual(await weightsAfterStep(0.5, 1, 1), a, 'another step: other masks');
  assert.deepEqual(await weightsAfterStep(0, 1, 0), await weightsAfterStep(0, 2, 5), 'rate 0: no draws matter');
});
