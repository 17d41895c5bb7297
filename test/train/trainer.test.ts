// The training loop on small synthetic data: it learns, it is deterministic, it does not leak
// tensors, and its hooks see what the CSV records.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { trainRun } from '../../src/run/trainRun.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { train } from '../../src/train/trainer.js';
import type { EpochMetrics } from '../../src/train/hooks.js';
import { disposeModel } from '../../src/models/types.js';
import { DivergedError } from '../../src/errors.js';
import type { Dataset } from '../../src/datasets/types.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const quiet = () => {};
const withoutTiming = (rows: EpochMetrics[]) => rows.map(({ epoch_seconds: _s, images_per_s: _i, ...rest }) => rest);

function tinyConfig(extra = '', set: string[] = []) {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(join(tempDir(), 'results'), extra) });
  return loadRunConfig(join(dir, 'tiny.yaml'), set);
}

before(async () => {
  await selectBackend('cpu');
});

test('training lowers the loss and beats chance on synthetic data', async () => {
  const { history } = await trainRun({ config: tinyConfig('', ['epochs=4']), plain: true, log: quiet });
  assert.equal(history.length, 4);
  assert.ok(history[3].train_loss < history[0].train_loss * 0.7, `loss ${history[0].train_loss} -> ${history[3].train_loss}`);
  assert.ok(history[3].test_acc > 0.5, `test acc ${history[3].test_acc} (chance 0.25)`);
});

test('two runs with the same seed write identical metrics; another seed differs', async () => {
  const a = await trainRun({ config: tinyConfig(), plain: true, log: quiet });
  const b = await trainRun({ config: tinyConfig(), plain: true, log: quiet });
  const c = await trainRun({ config: tinyConfig('', ['seed=8']), plain: true, log: quiet });
  assert.deepEqual(withoutTiming(a.history), withoutTiming(b.history));
  assert.notDeepEqual(withoutTiming(a.history), withoutTiming(c.history));
  const csv = (dir: string) => readFileSync(join(dir, 'metrics.csv'), 'utf8').split('\n').map((l) => l.split(',').slice(0, -2).join(','));
  assert.deepEqual(csv(a.folder.dir), csv(b.folder.dir));
});

test('the number of live tensors is the same after every epoch', async () => {
  const config = tinyConfig('', ['model.name=resnet20', 'dataset.shape=[4, 4, 3]', 'dataset.size=16', 'dataset.test_size=8', 'dataset.batch_size=8', 'epochs=3']);
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset);
  const counts: number[] = [];
  await train(parts, { hooks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }] });
  disposeModel(parts.model);
  parts.optimizer.dispose();
  assert.equal(counts.length, 3);
  assert.deepEqual(counts, [counts[0], counts[0], counts[0]]);
});

test('metrics.csv has the documented columns, top-5 only with more than 10 classes', async () => {
  const ten = await trainRun({ config: tinyConfig('', ['epochs=1']), plain: true, log: quiet });
  const header = readFileSync(join(ten.folder.dir, 'metrics.csv'), 'utf8').split('\n')[0];
  assert.equal(header, 'epoch,lr,train_loss,train_acc,test_loss,test_acc,deformed_loss,grad_scale,epoch_seconds,images_per_s');
  const many = await trainRun({ config: tinyConfig('', ['epochs=1', 'dataset.classes=12', 'dataset.size=48', 'dataset.test_size=24']), plain: true, log: quiet });
  const lines = readFileSync(join(many.folder.dir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'epoch,lr,train_loss,train_acc,test_loss,test_acc,test_top5,deformed_loss,grad_scale,epoch_seconds,images_per_s');
  const top5 = Number(lines[1].split(',')[6]);
  assert.ok(top5 >= Number(lines[1].split(',')[5]) && top5 <= 1, 'top-5 is at least top-1');
});

test('grad_scale in the CSV is the mean phi\'(L) of the epoch\'s steps', async () => {
  const config = tinyConfig('', ['epochs=1']);
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset);
  const steps: number[] = [];
  const losses: number[] = [];
  const [metrics] = await train(parts, { hooks: [{ onStepEnd: (s) => void (steps.push(s.gradScale), losses.push(s.loss)) }] });
  disposeModel(parts.model);
  parts.optimizer.dispose();
  // log with a = b = 1: phi'(L) = 1 / (1 + L)
  losses.forEach((l, i) => assert.ok(Math.abs(steps[i] - 1 / (1 + l)) < 1e-5));
  const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
  assert.ok(Math.abs(metrics.grad_scale - mean) < 1e-6);
});

test('a NaN loss stops the run as diverged, keeping the rows of finished epochs', async () => {
  const config = tinyConfig('', ['epochs=3']);
  const real = await buildDataset(config);
  let epochsSeen = 0;
  // Poisons the inputs from the second epoch on.
  const poisoned: Dataset = Object.assign(Object.create(real) as Dataset, {
    async *batches(split: 'train' | 'test', options: Parameters<Dataset['batches']>[1]) {
      if (split === 'train') epochsSeen++;
      for await (const batch of real.batches(split, options)) {
        yield split === 'train' && epochsSeen >= 2 ? { ...batch, x: batch.x.map(() => NaN) } : batch;
      }
    },
  });
  const parts = buildTrainingParts(config, poisoned);
  const { divergenceGuard } = await import('../../src/train/hooks/divergenceGuard.js');
  const rows: EpochMetrics[] = [];
  let outcome = '';
  await assert.rejects(
    train(parts, { hooks: [divergenceGuard(), { onEpochEnd: (m) => void rows.push(m), onTrainEnd: (o) => void (outcome = o.status) }] }),
    (e: unknown) => e instanceof DivergedError && /loss is NaN at epoch 2, batch 1/.test(e.message),
  );
  disposeModel(parts.model);
  assert.equal(outcome, 'diverged');
  assert.equal(rows.length, 1);
});

test('a model that cannot take the data set\'s inputs is a config error naming the file and block', async () => {
  const config = tinyConfig('', ['model={name: lenet5}']);
  const dataset = await buildDataset(config);
  const { ConfigError } = await import('../../src/errors.js');
  assert.throws(
    () => buildTrainingParts(config, dataset),
    (e: unknown) => e instanceof ConfigError && /tiny\.yaml: model: lenet5 needs inputs of at least 12x12 pixels, got 6x6$/.test(e.message),
  );
});
