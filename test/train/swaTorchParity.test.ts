// SWA against PyTorch's own torch.optim.swa_utils (test/train/swa_torch.py): the same weight
// sequence gives AveragedModel's average, update_bn over the same batches (of unequal sizes, so a
// size-weighted mean would differ) gives the same BatchNorm statistics, and SWALR stepped as the
// swa_utils recipe steps it gives the same learning rate each epoch. A missing PyTorch fails.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import type { SwaConfig } from '../../src/config/swa.js';
import type { Batch } from '../../src/datasets/types.js';
import { writeSafetensors } from '../../src/export/safetensors.js';
import { torchStateDict } from '../../src/export/torchStateDict.js';
import { models } from '../../src/models/index.js';
import { disposeModel } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { schedules } from '../../src/schedules/index.js';
import { WeightAverage } from '../../src/train/swa/average.js';
import { recomputeBatchNorm } from '../../src/train/swa/batchNorm.js';
import { withSwa } from '../../src/train/swa/schedule.js';
import { assertTorchAvailable, PYTHON, randomise } from '../export/torchCheck.js';
import { tempDir } from '../helpers/files.js';

before(async () => {
  await selectBackend('cpu');
});

const here = dirname(fileURLToPath(import.meta.url));
const INPUT: [number, number, number] = [6, 6, 3];
const SIZES = [8, 8, 8, 5];

// Cosine base schedule over 10 epochs from lr 0.1, SWA from epoch 6 (5 averaged epochs).
const SCHEDULES: (SwaConfig & { epochs: number; base_lr: number })[] = [
  { epochs: 10, base_lr: 0.1, start_epoch: 6, lr: 0.05, anneal_epochs: 3, anneal_strategy: 'cos' },
  { epochs: 10, base_lr: 0.1, start_epoch: 6, lr: 0.05, anneal_epochs: 2, anneal_strategy: 'linear' },
  { epochs: 10, base_lr: 0.1, start_epoch: 8, lr: 0.01, anneal_epochs: 1, anneal_strategy: 'cos' },
  { epochs: 10, base_lr: 0.1, start_epoch: 4, lr: 0.02, anneal_epochs: 20, anneal_strategy: 'linear' },
];

function randomBatches(rng: RandomStream): Batch[] {
  const [h, w, c] = INPUT;
  return SIZES.map((size) => ({
    x: Float32Array.from({ length: size * h * w * c }, () => rng.normal()),
    y: new Int32Array(size),
    size,
  }));
}

async function* each(batches: readonly Batch[]): AsyncIterable<Batch> {
  yield* batches;
}

/** vdm's rate for each epoch, taken at its first step and checked constant within it. */
function vdmRates(s: (typeof SCHEDULES)[number]): number[] {
  const base = schedules.get('cosine').create({ min_lr: 0 }, { baseLr: s.base_lr, epochs: s.epochs, stepsPerEpoch: 4, seed: 1 });
  const schedule = withSwa(base, s);
  return Array.from({ length: s.epochs }, (_, i) => {
    const rate = schedule(i);
    if (i + 1 >= s.start_epoch) assert.equal(schedule(i + 0.75), rate, `epoch ${i + 1}: SWALR's rate is constant within an epoch`);
    return rate;
  });
}

test('SWA equals torch.optim.swa_utils: AveragedModel weights, update_bn statistics and SWALR rates to 1e-5', async () => {
  assertTorchAvailable();
  const dir = tempDir('vdm-swa-torch-');
  const model = models.get('resnet20').create({}, { inputShape: INPUT, numClasses: 5, rng: RandomStream.derive(3, 'init') });
  const average = new WeightAverage();
  const rng = RandomStream.derive(3, 'swa-test');
  try {
    const snapshots: string[] = [];
    for (let k = 0; k < 4; k++) {
      randomise(model, 10 + k);
      // The kernels move too: each snapshot is its own point of a trajectory.
      for (const p of model.params) tf.tidy(() => p.assign(tf.add(p, tf.mul(tf.tensor(Float32Array.from({ length: p.size }, () => rng.normal()), p.shape), 0.05))));
      const file = join(dir, `snapshot-${k}.safetensors`);
      writeSafetensors(file, torchStateDict('resnet20', model, { inputShape: INPUT, batchesTracked: 0 }));
      snapshots.push(file);
      average.update(model.params);
    }
    model.params.forEach((p, i) => p.assign(average.weights![i]!));
    const batches = randomBatches(rng);
    assert.equal(await recomputeBatchNorm(model, each(batches), INPUT), SIZES.length);
    const averageFile = join(dir, 'average.safetensors');
    writeSafetensors(averageFile, torchStateDict('resnet20', model, { inputShape: INPUT, batchesTracked: 0 }));
    const batchesFile = join(dir, 'batches.safetensors');
    writeSafetensors(batchesFile, batches.map((b, i) => ({ name: `x${i}`, shape: [b.size, ...INPUT], data: b.x })));
    const caseFile = join(dir, 'case.json');
    const spec = { model: 'resnet20', num_classes: 5, input_shape: INPUT };
    const schedulesForTorch = SCHEDULES.map((s) => ({ epochs: s.epochs, base_lr: s.base_lr, start_epoch: s.start_epoch, swa_lr: s.lr, anneal_epochs: s.anneal_epochs, anneal_strategy: s.anneal_strategy }));
    writeFileSync(caseFile, JSON.stringify({ spec, snapshots, batches: batchesFile, average: averageFile, schedules: schedulesForTorch }));
    const run = spawnSync(PYTHON, [join(here, 'swa_torch.py'), caseFile], { encoding: 'utf8', cwd: here });
    assert.equal(run.status, 0, `PyTorch SWA failed:\n${run.stdout}\n${run.stderr}`);
    const result = JSON.parse(run.stdout.trim());
    console.log(`# swa parity: weights ${result.weights_max_abs_diff.toExponential(2)} (max |w| ${result.weights_max_abs.toFixed(2)}), ` +
      `statistics ${result.statistics_max_abs_diff.toExponential(2)} (max ${result.statistics_max_abs.toFixed(2)}, ${result.statistics} tensors)`);
    assert.equal(result.n_averaged, 4);
    assert.ok(result.statistics > 0, 'resnet20 has BatchNorm statistics to compare');
    assert.ok(result.weights_max_abs_diff <= 1e-5 * Math.max(1, result.weights_max_abs), JSON.stringify(result));
    assert.ok(result.statistics_max_abs_diff <= 1e-5 * Math.max(1, result.statistics_max_abs), JSON.stringify(result));
    let worst = 0;
    SCHEDULES.forEach((s, i) => {
      const ours = vdmRates(s);
      ours.forEach((rate, e) => (worst = Math.max(worst, Math.abs(rate - result.rates[i][e]))));
    });
    console.log(`# swalr parity: largest lr difference ${worst.toExponential(2)} over ${SCHEDULES.length} schedules`);
    assert.ok(worst <= 1e-12, `SWALR rates differ by ${worst}: ${JSON.stringify(result.rates)}`);
  } finally {
    average.dispose();
    disposeModel(model);
  }
});
