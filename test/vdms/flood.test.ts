// Flooding: above its level b it is plain training to the last bit; below b its gradient is the
// plain one negated; it is not monotone, and the load-time check notes that instead of refusing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig, vdmConfigNote } from '../../src/config/index.js';
import { models } from '../../src/models/index.js';
import { disposeModel } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { crossEntropyPerSample } from '../../src/train/step.js';
import { train } from '../../src/train/trainer.js';
import { LossDeformation } from '../../src/vdms/deformation.js';
import { vdms } from '../../src/vdms/index.js';
import { vdmOptionsSchema } from '../../src/vdms/options.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

/** Gradients of a tiny MLP's deformed objective on a fixed batch, and the batch loss. */
function gradients(vdm: string, params: Record<string, unknown>, apply: 'batch' | 'sample' = 'batch'): { loss: number; grads: Float32Array[] } {
  const model = models.get('mlp').create(models.get('mlp').params.parse({ hidden: [5] }), { inputShape: [2, 2, 1], numClasses: 3, rng: RandomStream.derive(3, 'init') });
  const entry = vdms.get(vdm);
  const deformation = new LossDeformation({ entry, params: entry.params.parse(params), options: vdmOptionsSchema.parse({ apply }) });
  let loss = 0;
  const { value, grads } = tf.variableGrads(() => {
    const x = tf.tensor4d([0.1, -0.5, 0.3, 0.9, -1, 0.2, 0.4, -0.3], [2, 2, 2, 1]);
    const perSample = crossEntropyPerSample(model.forward(x, { training: true, batchNormUpdates: [] }), tf.tensor1d([0, 2], 'int32'), 3);
    const deformed = deformation.apply(perSample, 1);
    loss = deformed.loss.dataSync()[0]!;
    return deformed.objective;
  }, model.params);
  const result = model.params.map((p) => grads[p.name]!.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  disposeModel(model);
  return { loss, grads: result };
}

test('flood above its level b has exactly the plain gradient; below it, exactly the plain gradient negated', () => {
  const plain = gradients('none', {});
  assert.ok(plain.loss > 0.5 && plain.loss < 5, `batch loss ${plain.loss}`);
  assert.deepEqual(gradients('flood', { b: 0.1 }).grads, plain.grads);
  const negated = plain.grads.map((g) => g.map((v) => -v));
  assert.deepEqual(gradients('flood', { b: 10 }).grads, negated);
});

test('flood with apply: sample floods each example at b: all above b is plain, all below negated', () => {
  const plain = gradients('none', {});
  assert.deepEqual(gradients('flood', { b: 1e-3 }, 'sample').grads, plain.grads);
  assert.deepEqual(gradients('flood', { b: 50 }, 'sample').grads, plain.grads.map((g) => g.map((v) => -v)));
});

test('a flood run whose loss stays above b trains exactly as the plain run', async () => {
  const weights = async (vdm: string) => {
    const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
    const config = loadRunConfig(join(dir, 'tiny.yaml'), ['epochs=2', `vdm=${vdm}`]);
    const parts = buildTrainingParts(config, await buildDataset(config));
    try {
      await train(parts);
      return parts.model.params.map((p) => p.dataSync() as Float32Array);
    } finally {
      disposeModel(parts.model);
      parts.optimizer.dispose();
    }
  };
  assert.deepEqual(await weights('{name: flood, b: 1.0e-4}'), await weights('{name: none}'));
});

test('flood loads with a note that it is not monotone and ascends below b; monotone VDMs have none', () => {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  const flood = loadRunConfig(join(dir, 'tiny.yaml'), ['vdm={name: flood, b: 0.5}']);
  const note = vdmConfigNote(flood.vdm);
  assert.match(note ?? '', /^flood is not monotone \(not a VDM in the paper's sense\): phi' < 0 for losses up to about 0\.5, where the step ascends; accepted, not refused$/);
  assert.equal(vdmConfigNote(loadRunConfig(join(dir, 'tiny.yaml')).vdm), undefined);
});
