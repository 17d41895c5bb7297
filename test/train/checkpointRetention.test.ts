// checkpoint.keep_last and checkpoint.best: which numbered folders outlive a save, best.json
// naming the best epoch's weights, export of them, and the config keys.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { exportCommand } from '../../src/commands/export.js';
import { loadRunConfig, type RunConfig } from '../../src/config/index.js';
import { ConfigError, DataError, InterruptedError } from '../../src/errors.js';
import { disposeModel } from '../../src/models/types.js';
import { trainRun } from '../../src/run/trainRun.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { checkpointHook, restoreCheckpoint, type CheckpointRetention } from '../../src/train/checkpoint.js';
import type { EpochMetrics, TrainingHook } from '../../src/train/hooks.js';
import { train, type TrainingParts } from '../../src/train/trainer.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

const SET = ['epochs=4', 'model={name: mlp, hidden: [8]}', 'dataset.size=32', 'dataset.test_size=8'];

function config(extra: string[] = []): RunConfig {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  return loadRunConfig(join(dir, 'tiny.yaml'), [...SET, ...extra]);
}

const numbered = (dir: string) => readdirSync(dir).filter((f) => /^checkpoint-\d{6}$/.test(f)).sort();
const epochOf = (dir: string, folder: string) => JSON.parse(readFileSync(join(dir, folder, 'checkpoint.json'), 'utf8')).epoch as number;

/**
 * Trains 4 epochs into `dir` with the checkpoint hook of `retention`, the test accuracy it sees
 * replaced by `accuracies` (so that the best epoch is known), and returns the first weight
 * tensor's values after each epoch.
 */
async function trainWith(dir: string, retention: CheckpointRetention, accuracies: number[]): Promise<Float32Array[]> {
  const cfg = config();
  const dataset = await buildDataset(cfg);
  const parts: TrainingParts = buildTrainingParts(cfg, dataset);
  const weights: Float32Array[] = [];
  const checkpoints = checkpointHook(dir, parts, [], retention);
  const hooks: TrainingHook[] = [
    { onEpochEnd: (m: EpochMetrics) => checkpoints.onEpochEnd!({ ...m, test_acc: accuracies[m.epoch - 1]! }) },
    { onEpochEnd: () => void weights.push(Float32Array.from(parts.model.params[0]!.dataSync())) },
  ];
  try {
    await train(parts, { hooks });
  } finally {
    disposeModel(parts.model);
    parts.optimizer.dispose();
  }
  return weights;
}

async function restoredWeights(dir: string, which: 'last' | 'best'): Promise<{ epochs: number; values: Float32Array }> {
  const cfg = config();
  const parts = buildTrainingParts(cfg, await buildDataset(cfg));
  try {
    const { history } = restoreCheckpoint(dir, parts, { which });
    return { epochs: history.length, values: Float32Array.from(parts.model.params[0]!.dataSync()) };
  } finally {
    disposeModel(parts.model);
    parts.optimizer.dispose();
  }
}

test('keep_last 2 keeps the two newest epoch checkpoints, and no best.json without best', async () => {
  const dir = tempDir();
  await trainWith(dir, { keepLast: 2, best: 'none' }, [0.1, 0.2, 0.3, 0.4]);
  const kept = numbered(dir);
  assert.equal(kept.length, 2, `${kept}`);
  assert.deepEqual(kept.map((f) => epochOf(dir, f)), [3, 4]);
  assert.equal(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).current, kept[1], 'the pointer names the newest');
  assert.equal(existsSync(join(dir, 'best.json')), false);
  await assert.rejects(restoredWeights(dir, 'best'), (e: unknown) => e instanceof DataError && /no best checkpoint \(best\.json\)/.test(e.message));
});

test('best: test_acc keeps the best epoch\'s weights beside the last; restoring it gives that epoch\'s weights', async () => {
  const dir = tempDir();
  const weights = await trainWith(dir, { keepLast: 1, best: 'test_acc' }, [0.5, 0.9, 0.6, 0.7]);
  const best = JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8'));
  assert.deepEqual([best.epoch, best.metric, best.value], [2, 'test_acc', 0.9]);
  assert.deepEqual(numbered(dir).map((f) => epochOf(dir, f)), [2, 4], 'the best folder and the last one');
  assert.notDeepEqual(weights[1], weights[3], 'epochs 2 and 4 differ, so the comparison below can fail');
  const restored = await restoredWeights(dir, 'best');
  assert.equal(restored.epochs, 2);
  assert.deepEqual(restored.values, weights[1]);
  assert.deepEqual((await restoredWeights(dir, 'last')).values, weights[3], 'the last checkpoint is still the one resume takes');
});

test('checkpoint keys: defaults, a bad best value names the key and the valid values', () => {
  assert.deepEqual(config().checkpoint, { keep_last: 1, best: 'none' });
  assert.deepEqual(config(['checkpoint={keep_last: 3, best: test_loss}']).checkpoint, { keep_last: 3, best: 'test_loss' });
  assert.throws(() => config(['checkpoint.best=acc']), (e: unknown) => e instanceof ConfigError && /checkpoint\.best/.test(e.message) && /test_acc/.test(e.message));
  assert.throws(() => config(['checkpoint.keep_last=0']), (e: unknown) => e instanceof ConfigError && /checkpoint\.keep_last/.test(e.message));
});

test('a run with best: test_loss exports its best epoch with vdm export --which best', async () => {
  const cfg = config(['epochs=2', 'checkpoint.best=test_loss']);
  const { folder, history } = await trainRun({ config: cfg, plain: true, log: () => {} });
  const bestEpoch = history.reduce((b, m) => (m.test_loss < b.test_loss ? m : b)).epoch;
  const out = join(tempDir(), 'best.safetensors');
  const lines: string[] = [];
  await exportCommand(folder.dir, { which: 'best', out }, (l) => void lines.push(l));
  assert.match(lines[0]!, new RegExp(`mlp after ${bestEpoch} epochs \\(its best epoch, best\\.json\\)`));
  const header = readFileSync(out);
  const meta = JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString()).__metadata__;
  assert.equal(meta.epochs, String(bestEpoch));
});

test('an interrupted run with keep_last 2 and best resumes keeping both: the older folders are not taken for stale ones', async () => {
  const cfg = config(['checkpoint={keep_last: 2, best: test_acc}']);
  const controller = new AbortController();
  await assert.rejects(
    trainRun({ config: cfg, plain: true, log: () => {}, signal: controller.signal, onEpochEnd: (m) => void (m.epoch === 3 && controller.abort()) }),
    InterruptedError,
  );
  const { folder, history } = await trainRun({ config: cfg, plain: true, resume: true, log: () => {} });
  assert.equal(history.length, 4);
  const best = history.reduce((b, m) => (m.test_acc > b.test_acc ? m : b));
  assert.equal(JSON.parse(readFileSync(join(folder.dir, 'best.json'), 'utf8')).epoch, best.epoch, 'best.json carried across the resume');
  const epochs = numbered(folder.dir).map((f) => epochOf(folder.dir, f));
  assert.deepEqual(epochs, [...new Set([best.epoch, 3, 4])].sort(), 'the best epoch and the last two');
});
