// steps.csv: one row per step (or every N-th) with the step's lr, losses and phi'(L); whole lines;
// a resumed run keeps only the rows up to its checkpoint (resume itself: interrupt.test.ts).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { trainRun } from '../../src/run/trainRun.js';
import { loadRunConfig } from '../../src/config/index.js';
import { stepsCsvHook } from '../../src/train/hooks/stepsCsv.js';
import type { TrainingPlan } from '../../src/train/hooks.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

const quiet = () => {};

function tinyConfig(set: string[]) {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  return loadRunConfig(join(dir, 'tiny.yaml'), ['epochs=2', 'schedule={name: constant, warmup_epochs: 1}', ...set]);
}

const rowsOf = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((line) => line.split(','));

test('steps.csv has a row per step: its lr, loss, deformed loss and grad_scale = phi\'(L), and time', async () => {
  const { folder } = await trainRun({ config: tinyConfig([]), plain: true, log: quiet });
  const [header, ...rows] = rowsOf(join(folder.dir, 'steps.csv'));
  assert.deepEqual(header, ['step', 'epoch', 'batch', 'lr', 'loss', 'deformed_loss', 'grad_scale', 'wall_time', 'time']);
  assert.equal(rows.length, 12); // 96 images / 16 per batch x 2 epochs
  rows.forEach(([step, epoch, batch, lr, loss, deformed, scale, wall, time], i) => {
    assert.deepEqual([Number(step), Number(epoch), Number(batch)], [i + 1, Math.floor(i / 6) + 1, (i % 6) + 1]);
    // log with a = b = 1: phi(L) = log(1 + L), phi'(L) = 1 / (1 + L)
    assert.ok(Math.abs(Number(scale) - 1 / (1 + Number(loss))) < 1e-6, `step ${step}: grad_scale ${scale}, loss ${loss}`);
    assert.ok(Math.abs(Number(deformed) - Math.log1p(Number(loss))) < 1e-6);
    // linear warm-up over the first epoch, by the fraction of an epoch done at the step's start
    assert.ok(Math.abs(Number(lr) - 0.05 * Math.min(Math.max(i / 6, 1e-3), 1)) < 1e-9, `step ${step}: lr ${lr}`);
    assert.ok(Number(wall) > 0 && !Number.isNaN(Date.parse(time)));
  });
  const walls = rows.map((r) => Number(r[7]));
  assert.deepEqual(walls, [...walls].sort((a, b) => a - b), 'wall_time never goes back');
  // metrics.csv's lr is the epoch's last step's; its grad_scale the mean of the steps'
  const metrics = rowsOf(join(folder.dir, 'metrics.csv'));
  assert.ok(Math.abs(Number(metrics[1][1]) - Number(rows[5][3])) < 1e-8);
  const meanScale = rows.slice(0, 6).reduce((t, r) => t + Number(r[6]), 0) / 6;
  assert.ok(Math.abs(Number(metrics[1][7]) - meanScale) < 1e-6);
});

test('logging.steps_every: N writes every N-th step', async () => {
  const { folder } = await trainRun({ config: tinyConfig(['logging.steps_every=5']), plain: true, log: quiet });
  assert.deepEqual(rowsOf(join(folder.dir, 'steps.csv')).slice(1).map((r) => r[0]), ['5', '10']);
  assert.match(readFileSync(join(folder.dir, 'config.yaml'), 'utf8'), /logging:\n {2}steps_every: 5/);
});

test('on resume, rows after the checkpoint\'s step and a row cut short by a crash are dropped', () => {
  const path = join(tempDir(), 'steps.csv');
  const header = 'step,epoch,batch,lr,loss,deformed_loss,grad_scale,wall_time,time\n';
  const row = (step: number) => `${step},1,${step},0.1,2,1,0.5,${step}.000,2026-01-01T00:00:00.000Z\n`;
  writeFileSync(path, `${header}${row(1)}${row(2)}${row(3)}${row(4)}5,1,5,0.1`);
  const plan = (firstStep: number): TrainingPlan => ({ epochs: 2, firstEpoch: 1, firstStep, batchesPerEpoch: 6, trainSize: 96, testSize: 32 });
  stepsCsvHook(path).onTrainStart!(plan(3));
  assert.equal(readFileSync(path, 'utf8'), `${header}${row(1)}${row(2)}${row(3)}`);
  writeFileSync(path, `${header}${row(1)}${row(2)}5,1,5`);
  stepsCsvHook(path).onTrainStart!(plan(6));
  assert.equal(readFileSync(path, 'utf8'), `${header}${row(1)}${row(2)}`, 'a partial last line goes');
  stepsCsvHook(path).onTrainStart!(plan(0));
  assert.equal(readFileSync(path, 'utf8'), header, 'a fresh run starts a fresh file');
});
