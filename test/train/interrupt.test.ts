// Stopping inside an epoch: the loop yields to the event loop, an interrupt saves the exact step,
// and resuming from it (or from any point of a checkpoint switch) writes the metrics and steps of
// the uninterrupted run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig, type RunConfig } from '../../src/config/index.js';
import { DataError, InterruptedError } from '../../src/errors.js';
import { disposeModel } from '../../src/models/types.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { checkpointHook, cleanStaleFiles, restoreCheckpoint, saveCheckpoint, type CheckpointStep } from '../../src/train/checkpoint.js';
import type { Dataset } from '../../src/datasets/types.js';
import type { EpochMetrics, TrainingHook, TrainingPosition } from '../../src/train/hooks.js';
import { metricsCsvHook } from '../../src/train/hooks/metricsCsv.js';
import { stepsCsvHook } from '../../src/train/hooks/stepsCsv.js';
import { train, type TrainingParts } from '../../src/train/trainer.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

// Momentum, a normalised VDM and augmentation: every kind of state and of randomness but
// BatchNorm's, which the ResNet-20 variant adds (slower: only where it matters). 3 batches per epoch.
const SET = ['dataset.shape=[4, 4, 3]', 'dataset.size=24', 'dataset.test_size=8', 'dataset.batch_size=8', 'dataset.augment=standard', 'vdm={name: log, normalize: initial}'];
type Model = 'mlp' | 'resnet20';

function config(model: Model): RunConfig {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  return loadRunConfig(join(dir, 'tiny.yaml'), [...SET, model === 'mlp' ? 'model={name: mlp, hidden: [8]}' : 'model.name=resnet20']);
}

/** metrics.csv or steps.csv without its timing columns. */
function withoutTiming(path: string, timingColumns: number): string[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => line.split(',').slice(0, -timingColumns).join(','));
}
const metricsOf = (dir: string) => withoutTiming(join(dir, 'metrics.csv'), 2);
const stepsOf = (dir: string) => withoutTiming(join(dir, 'steps.csv'), 2);

/**
 * Trains the config into `dir` with the run folder's file hooks, as `vdm train` does: from the
 * start, or (`resume`) from the folder's checkpoint. `extra` hooks come first.
 */
async function trainInto(dir: string, options: { model?: Model; wrap?: (d: Dataset) => Dataset; resume?: boolean; signal?: AbortSignal; extra?: TrainingHook[]; checkpoint?: (parts: TrainingParts, history: readonly EpochMetrics[]) => TrainingHook } = {}) {
  const cfg = config(options.model ?? 'mlp');
  const built = await buildDataset(cfg);
  const dataset = options.wrap?.(built) ?? built;
  const parts = buildTrainingParts(cfg, dataset);
  try {
    let position: TrainingPosition = { history: [] };
    if (options.resume) {
      cleanStaleFiles(dir);
      position = restoreCheckpoint(dir, parts, { metricsCsv: join(dir, 'metrics.csv') });
    }
    const hooks = [
      ...(options.extra ?? []),
      metricsCsvHook(join(dir, 'metrics.csv'), dataset.numClasses, position.history),
      stepsCsvHook(join(dir, 'steps.csv')),
      (options.checkpoint ?? ((p, h) => checkpointHook(dir, p, h)))(parts, position.history),
    ];
    await train(parts, { hooks, signal: options.signal, resume: position });
    return position;
  } finally {
    disposeModel(parts.model);
    parts.optimizer.dispose();
  }
}

const straightDirs = new Map<Model, string>();
async function straight(model: Model = 'mlp'): Promise<string> {
  if (!straightDirs.has(model)) {
    straightDirs.set(model, tempDir());
    await trainInto(straightDirs.get(model)!, { model });
  }
  return straightDirs.get(model)!;
}

test('the loop yields to the event loop inside an epoch: a timer runs between steps', async () => {
  const cfg = config('mlp');
  const dataset = await buildDataset(cfg);
  const parts = buildTrainingParts(cfg, dataset);
  let steps = 0;
  let stepsWhenTimerRan = -1;
  await train(parts, {
    hooks: [
      { onTrainStart: () => void setTimeout(() => (stepsWhenTimerRan = steps), 0) },
      { onStepEnd: () => void steps++ },
    ],
  });
  disposeModel(parts.model);
  parts.optimizer.dispose();
  assert.ok(stepsWhenTimerRan >= 1 && stepsWhenTimerRan < 3, `the timer ran after ${stepsWhenTimerRan} steps (3 per epoch)`);
});

for (const [stopAfter, model] of [[4, 'resnet20'], [5, 'mlp'], [3, 'mlp']] as const) {
  test(`${model}: an interrupt after global step ${stopAfter} saves that step; resuming writes the uninterrupted metrics and steps`, async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const abortAt = { onStepEnd: (s: { globalStep: number }) => void (s.globalStep + 1 === stopAfter && controller.abort()) };
    await assert.rejects(trainInto(dir, { model, signal: controller.signal, extra: [abortAt] }), InterruptedError);
    const pointer = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    // 3 batches per epoch: step 4 is batch 1 of epoch 2; step 3 is the last of epoch 1 (its evaluation still to do)
    const [epochs, batch] = [Math.floor((stopAfter - 1) / 3), ((stopAfter - 1) % 3) + 1];
    assert.deepEqual([pointer.epoch, pointer.batch], [epochs, batch]);
    assert.equal(stepsOf(dir).length, 1 + stopAfter);

    const position = await trainInto(dir, { model, resume: true });
    assert.equal(position.partial?.batch, batch);
    const reference = await straight(model);
    assert.deepEqual(metricsOf(dir), metricsOf(reference));
    assert.deepEqual(stepsOf(dir), stepsOf(reference));
    const left = readdirSync(dir).filter((f) => f.startsWith('checkpoint')).sort();
    assert.equal(left.length, 2, `one checkpoint folder and the pointer: ${left}`);
  });
}

test('an interrupt during evaluation saves the epoch with every step taken; resuming reruns only the evaluation', async () => {
  const dir = tempDir();
  const controller = new AbortController();
  let testPasses = 0;
  // Aborts as the second epoch's evaluation starts.
  const wrap = (real: Dataset): Dataset =>
    Object.assign(Object.create(real) as Dataset, {
      batches(split: 'train' | 'test', options: Parameters<Dataset['batches']>[1]) {
        if (split === 'test' && ++testPasses === 2) controller.abort();
        return real.batches(split, options);
      },
    });
  await assert.rejects(trainInto(dir, { wrap, signal: controller.signal }), /interrupted in epoch 2, batch 3 of 3 \(during its evaluation\)/);
  const position = await trainInto(dir, { resume: true });
  assert.deepEqual([position.history.length, position.partial?.epoch, position.partial?.batch], [1, 2, 3]);
  assert.deepEqual(metricsOf(dir), metricsOf(await straight()));
  assert.deepEqual(stepsOf(dir), stepsOf(await straight()));
});

test('a checkpoint of the earlier format (one checkpoint/ folder) is still resumed', async () => {
  const { dir, current } = await interruptedAfterTwo();
  const index = JSON.parse(readFileSync(join(current, 'checkpoint.json'), 'utf8'));
  const { partial: _partial, ...legacy } = index;
  writeFileSync(join(current, 'checkpoint.json'), JSON.stringify({ ...legacy, format: 1 }));
  renameSync(current, join(dir, 'checkpoint'));
  rmSync(join(dir, 'checkpoint.json'));
  const position = await trainInto(dir, { resume: true });
  assert.equal(position.history.length, 2);
  assert.deepEqual(metricsOf(dir), metricsOf(await straight()));
  assert.ok(!existsSync(join(dir, 'checkpoint')), 'replaced by the new format at the next save');
});

const STEPS: CheckpointStep[] = ['folder-written', 'folder-renamed', 'pointer-written', 'pointer-switched'];
for (const crashAt of STEPS) {
  test(`a crash at '${crashAt}' of the second epoch's checkpoint leaves a resumable run with the same metrics`, async () => {
    const dir = tempDir();
    const crashing = (parts: TrainingParts, completed: readonly EpochMetrics[]): TrainingHook => {
      const history = [...completed];
      return {
        onEpochEnd(metrics) {
          history.push(metrics);
          saveCheckpoint(dir, parts, { history }, (step) => {
            if (metrics.epoch === 2 && step === crashAt) throw new Error(`crash at ${step}`);
          });
        },
      };
    };
    await assert.rejects(trainInto(dir, { checkpoint: crashing }), /crash at/);
    const position = await trainInto(dir, { resume: true });
    assert.equal(position.history.length, crashAt === 'pointer-switched' ? 2 : 1);
    assert.deepEqual(metricsOf(dir), metricsOf(await straight()));
    const left = readdirSync(dir).filter((f) => f.startsWith('checkpoint')).sort();
    assert.equal(left.length, 2, `one checkpoint folder and the pointer, no temporaries: ${left}`);
    assert.match(left[0], /^checkpoint-\d{6}$/);
  });
}

/** A run interrupted after its second epoch, and its current checkpoint folder. */
async function interruptedAfterTwo(): Promise<{ dir: string; current: string }> {
  const dir = tempDir();
  const controller = new AbortController();
  await assert.rejects(trainInto(dir, { signal: controller.signal, extra: [{ onEpochEnd: (m) => void (m.epoch === 2 && controller.abort()) }] }));
  return { dir, current: join(dir, JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).current) };
}

test('a checkpoint whose bytes differ from the pointer\'s sha256 is refused', async () => {
  const { dir, current } = await interruptedAfterTwo();
  const bin = readFileSync(join(current, 'checkpoint.bin'));
  bin[10] ^= 1;
  writeFileSync(join(current, 'checkpoint.bin'), bin);
  await assert.rejects(trainInto(dir, { resume: true }), (e: unknown) => e instanceof DataError && /checkpoint is damaged \(sha256 differs/.test(e.message));
});

test('a checkpoint with a shortened history is refused, even with a matching sha256', async () => {
  const { dir, current } = await interruptedAfterTwo();
  const index = JSON.parse(readFileSync(join(current, 'checkpoint.json'), 'utf8'));
  const text = `${JSON.stringify({ ...index, epoch: 1, history: index.history.slice(0, 1) })}\n`;
  writeFileSync(join(current, 'checkpoint.json'), text);
  const pointer = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ ...pointer, index_sha256: createHash('sha256').update(text).digest('hex') }));
  await assert.rejects(
    trainInto(dir, { resume: true }),
    (e: unknown) => e instanceof DataError && /history of 1 epochs accounts for 3 steps, its optimizer took 6\); pass --force/.test(e.message),
  );
});

test('a metrics.csv that does not continue the checkpoint is refused', async () => {
  const { dir } = await interruptedAfterTwo();
  const lines = readFileSync(join(dir, 'metrics.csv'), 'utf8').split('\n');
  writeFileSync(join(dir, 'metrics.csv'), [lines[0], lines[1], ''].join('\n'));
  await assert.rejects(trainInto(dir, { resume: true }), /checkpoint holds 2 epochs but .*metrics\.csv has 1 rows; pass --force/);
});

test('stale temporaries of dead processes are removed on resume; a live process\'s are kept', async () => {
  const { dir } = await interruptedAfterTwo();
  const dead = 2 ** 22 + 12345; // above Linux's default pid_max
  for (const name of [`checkpoint-000009.tmp-${dead}`, `checkpoint.json.tmp-${dead}`, `run.json.tmp-${dead}`, `checkpoint.old-${dead}`]) writeFileSync(join(dir, name), 'x');
  writeFileSync(join(dir, `run.json.tmp-${process.ppid}`), 'x');
  assert.deepEqual(cleanStaleFiles(dir).sort(), [`checkpoint-000009.tmp-${dead}`, `checkpoint.json.tmp-${dead}`, `checkpoint.old-${dead}`, `run.json.tmp-${dead}`].sort());
  assert.ok(existsSync(join(dir, `run.json.tmp-${process.ppid}`)));
});
