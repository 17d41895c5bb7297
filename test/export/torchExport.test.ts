// vdm's networks are PyTorch's: every exported model loads into its PyTorch definition with
// load_state_dict(strict=True) (torchvision's own ResNets for resnet18/50), and in eval mode its
// logits equal vdm's to 1e-4. Weights and BatchNorm statistics are randomised first, so a swapped
// name, a transposed layout or a shifted padding cannot agree by chance.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { writeSafetensors } from '../../src/export/safetensors.js';
import { torchStateDict } from '../../src/export/torchStateDict.js';
import { models } from '../../src/models/index.js';
import { disposeModel } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { tempDir } from '../helpers/files.js';
import { assertTorchAvailable, checkInTorch, evalLogits, randomise, type TorchCase, type TorchSpec } from './torchCheck.js';

before(async () => {
  await selectBackend('cpu');
});

interface ExportCase {
  readonly model: string;
  readonly params?: Record<string, unknown>;
  readonly inputShape: [number, number, number];
  readonly classes: number;
}

// Non-square inputs with several channels catch a wrong flatten order; odd sides the ceil of a stride-2 map.
const CASES: ExportCase[] = [
  { model: 'mlp', params: { hidden: [8, 6] }, inputShape: [4, 5, 2], classes: 3 },
  { model: 'lenet5', inputShape: [16, 20, 3], classes: 4 },
  { model: 'resnet20', inputShape: [9, 10, 3], classes: 5 },
  { model: 'preresnet20', inputShape: [8, 8, 3], classes: 5 },
  { model: 'resnet18', inputShape: [32, 32, 3], classes: 7 },
  { model: 'resnet50', inputShape: [29, 32, 3], classes: 6 },
];

test('exports load into PyTorch with strict=True and give vdm\'s logits to 1e-4 (mlp, lenet5, resnet20, preresnet20, torchvision resnet18/50)', () => {
  assertTorchAvailable();
  const dir = tempDir('vdm-export-');
  const cases: TorchCase[] = CASES.map((c, i) => {
    const model = models.get(c.model).create(models.get(c.model).params.parse(c.params ?? {}), {
      inputShape: c.inputShape,
      numClasses: c.classes,
      rng: RandomStream.derive(i + 1, 'init'),
    });
    randomise(model, i + 1);
    const weights = join(dir, `${c.model}.safetensors`);
    writeSafetensors(weights, torchStateDict(c.model, model, { inputShape: c.inputShape, batchesTracked: 3 }));
    const x = tf.randomNormal([2, ...c.inputShape], 0, 1, 'float32', i + 11) as tf.Tensor4D;
    const logits = evalLogits(model, x);
    disposeModel(model);
    const spec: TorchSpec = { model: c.model, num_classes: c.classes, input_shape: c.inputShape, hidden: c.params?.hidden as number[] | undefined };
    return { weights, spec, x, logits };
  });
  const results = checkInTorch(cases);
  assert.deepEqual(results.map((r) => r.model), CASES.map((c) => c.model));
  for (const r of results) {
    // 1e-4, relative where logits exceed 1 (a deep random net can reach ~100; float32 keeps ~7 digits).
    assert.ok(r.max_abs_diff <= 1e-4 * Math.max(1, r.max_abs_logit), `${r.model}: logits differ by ${r.max_abs_diff} (largest ${r.max_abs_logit})`);
    assert.ok(r.max_abs_logit > 0.1, `${r.model}: logits too small (${r.max_abs_logit}) to show a difference`);
  }
  tf.dispose(cases.flatMap((c) => [c.x, c.logits]));
});
