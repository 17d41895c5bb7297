// SWA's identities: an average of one epoch is that epoch's weights; a start past the last epoch
// is a plain run; an interrupted and resumed run equals one left alone, average included. And the
// config's swa: block refuses bad values with one located line (exit 2 from the CLI).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig, type RunConfig } from '../../src/config/index.js';
import { ConfigError, InterruptedError } from '../../src/errors.js';
import { trainRun } from '../../src/run/trainRun.js';
import { buildDataset, buildTrainingParts, disposeTrainingParts } from '../../src/train/build.js';
import { checkpointHook, restoreCheckpoint, type CheckpointChoice } from '../../src/train/checkpoint.js';
import { swaHook } from '../../src/train/swa/hook.js';
import { train, type TrainingParts } from '../../src/train/trainer.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

const quiet = () => {};
// 96 images in batches of 16: 6 steps an epoch; no BatchNorm, so the average's figures are the weights' alone.
const MLP = ['epochs=3', 'model={name: mlp, hidden: [8]}', 'vdm={name: none}', 'schedule={name: multistep, milestones: [2]}'];
// ResNet-20 on 4x4 images: BatchNorm statistics to recompute and to resume.
const RESNET = ['epochs=3', 'model={name: resnet20}', 'dataset.shape=[4, 4, 3]', 'dataset.size=24', 'dataset.test_size=8', 'dataset.batch_size=8', 'dataset.augment=standard'];

function configIn(output: string, set: string[]): RunConfig {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(output) });
  return loadRunConfig(join(dir, 'tiny.yaml'), set);
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const summary = (dir: string) => JSON.parse(read(dir, 'summary.json'));
const withoutTiming = (csv: string) => csv.trim().split('\n').map((line) => line.split(',').slice(0, -2).join(','));

/** The weights (and buffers) a run folder's checkpoint gives for `which`, as plain arrays. */
async function restoredWeights(config: RunConfig, dir: string, which: CheckpointChoice): Promise<number[][]> {
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset);
  try {
    restoreCheckpoint(dir, parts, { which });
    return [...parts.model.params, ...parts.model.buffers].map((v) => Array.from(v.dataSync()));
  } finally {
    disposeTrainingParts(parts);
  }
}

test('SWA over the last epoch alone: the average is that epoch\'s weights, its figures the last epoch\'s, the run a plain one', async () => {
  const plain = await trainRun({ config: configIn(tempDir(), MLP), plain: true, log: quiet });
  const config = configIn(tempDir(), [...MLP, 'swa={start_epoch: 3, lr: 0.01}']);
  const lines: string[] = [];
  const swa = await trainRun({ config, plain: true, log: (l) => void lines.push(l) });
  // The first averaged epoch trains at the rate the schedule reached (SWALR has not stepped yet),
  // held for the epoch: with a per-epoch schedule (multistep) that is the plain run's rate.
  assert.deepEqual(withoutTiming(read(swa.folder.dir, 'metrics.csv')), withoutTiming(read(plain.folder.dir, 'metrics.csv')));
  assert.deepEqual(await restoredWeights(config, swa.folder.dir, 'swa'), await restoredWeights(config, swa.folder.dir, 'last'));
  const s = summary(swa.folder.dir);
  const last = swa.history.at(-1)!;
  assert.equal(s.swa_epochs_averaged, 1);
  assert.equal(s.swa_test_acc, last.test_acc);
  assert.equal(s.swa_test_loss, last.test_loss);
  assert.ok(lines.some((l) => /^swa: average of 1 epochs, test acc/.test(l)), lines.join('\n'));
});

test('SWA starting after the last epoch changes nothing: the same metrics and weights as a plain run, no average', async () => {
  const plain = await trainRun({ config: configIn(tempDir(), MLP), plain: true, log: quiet });
  // Past the config boundary (which refuses it): the hook and the schedule wrapper alone.
  const config: RunConfig = { ...configIn(tempDir(), MLP), swa: { start_epoch: 4, lr: 0.5, anneal_epochs: 1, anneal_strategy: 'cos' } };
  const late = await trainRun({ config, plain: true, log: quiet });
  assert.deepEqual(withoutTiming(read(late.folder.dir, 'metrics.csv')), withoutTiming(read(plain.folder.dir, 'metrics.csv')));
  assert.deepEqual(await restoredWeights(config, late.folder.dir, 'last'), await restoredWeights(config, plain.folder.dir, 'last'));
  const s = summary(late.folder.dir);
  assert.equal(s.swa_epochs_averaged, 0);
  assert.equal(s.swa_test_acc, null);
  await assert.rejects(restoredWeights(config, late.folder.dir, 'swa'), /the SWA average is not finished \(0 epochs averaged/);
});

test('an SWA run interrupted with one epoch averaged and resumed equals the run left alone: metrics, average, its statistics and figures', async () => {
  const set = [...RESNET, 'swa={start_epoch: 2, lr: 0.02, anneal_epochs: 1, anneal_strategy: linear}'];
  const straight = await trainRun({ config: configIn(tempDir(), set), plain: true, log: quiet });

  const output = tempDir();
  const controller = new AbortController();
  const stopAfterTwo = (line: string) => void (line.startsWith('epoch 2/') && controller.abort());
  await assert.rejects(trainRun({ config: configIn(output, set), plain: true, log: stopAfterTwo, signal: controller.signal }), InterruptedError);
  const stopped = join(output, 'tiny', 'seed-7');
  assert.equal(summary(stopped).swa_epochs_averaged, 1);
  assert.equal(summary(stopped).swa_test_acc, null, 'an unfinished average has no figures');
  const resumed = await trainRun({ config: configIn(output, set), resume: true, plain: true, log: quiet });

  assert.deepEqual(withoutTiming(read(resumed.folder.dir, 'metrics.csv')), withoutTiming(read(straight.folder.dir, 'metrics.csv')));
  const config = configIn(output, set);
  assert.deepEqual(await restoredWeights(config, resumed.folder.dir, 'swa'), await restoredWeights(config, straight.folder.dir, 'swa'));
  const [a, b] = [summary(straight.folder.dir), summary(resumed.folder.dir)];
  assert.equal(a.swa_epochs_averaged, 2);
  assert.deepEqual([b.swa_test_acc, b.swa_test_loss, b.swa_epochs_averaged], [a.swa_test_acc, a.swa_test_loss, a.swa_epochs_averaged]);
  // The averaged epochs' rates: epoch 2 at the cosine's rate where it began, epoch 3 at swa.lr (anneal_epochs 1).
  assert.ok(Math.abs(resumed.history[1]!.lr - 0.05 * 0.5 * (1 + Math.cos(Math.PI / 3))) < 1e-7, String(resumed.history[1]!.lr));
  assert.ok(Math.abs(resumed.history[2]!.lr - 0.02) < 1e-7, String(resumed.history[2]!.lr));
});

/** Trains `config` in `dir` with only the SWA and checkpoint hooks; resumes from its checkpoint when asked. */
async function trainParts(config: RunConfig, dir: string, options: { resume?: boolean; stopAfterStep?: number } = {}): Promise<number[][]> {
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset) as TrainingParts & { swa: NonNullable<TrainingParts['swa']> };
  const controller = new AbortController();
  try {
    const position = options.resume ? restoreCheckpoint(dir, parts) : { history: [] };
    const stop = { onStepEnd: (s: { globalStep: number }) => void (s.globalStep + 1 === options.stopAfterStep && controller.abort()) };
    const hooks = [swaHook(parts), checkpointHook(dir, parts, position.history), stop];
    await train(parts, { hooks, signal: controller.signal, resume: position });
    return [...parts.swa.average.weights!, ...parts.swa.average.buffers!].map((t) => Array.from(t.dataSync()));
  } finally {
    disposeTrainingParts(parts);
  }
}

test('an SWA run interrupted mid-epoch (its checkpoint holds the average so far) and resumed ends with the same average and statistics', async () => {
  // ResNet-20, 3 steps an epoch: stop after step 7, in epoch 3, with epochs 1 and 2 averaged.
  const config = configIn(tempDir(), [...RESNET, 'swa={start_epoch: 1, lr: 0.02, anneal_epochs: 2}']);
  const straight = await trainParts(config, tempDir());
  const dir = tempDir();
  await assert.rejects(trainParts(config, dir, { stopAfterStep: 7 }), InterruptedError);
  assert.deepEqual(await trainParts(config, dir, { resume: true }), straight);
});

const BAD: { title: string; swa: string; message: string | RegExp }[] = [
  { title: 'start after the last epoch', swa: '{ start_epoch: 4, lr: 0.05 }', message: 'c.yaml: swa.start_epoch (line 6): start_epoch (4) is after the last epoch (3); SWA would average nothing' },
  { title: 'lr of 0', swa: '{ start_epoch: 2, lr: 0 }', message: 'c.yaml: swa.lr (line 6): must be > 0, got 0' },
  { title: 'negative lr', swa: '{ start_epoch: 2, lr: -0.05 }', message: 'c.yaml: swa.lr (line 6): must be > 0, got -0.05' },
  { title: 'start epoch 0', swa: '{ start_epoch: 0, lr: 0.05 }', message: 'c.yaml: swa.start_epoch (line 6): must be > 0, got 0' },
  { title: 'missing lr', swa: '{ start_epoch: 2 }', message: /^c\.yaml: swa\.lr \(line 6\): missing required key; expected number$/ },
  { title: 'unknown strategy', swa: '{ start_epoch: 2, lr: 0.05, anneal_strategy: step }', message: /^c\.yaml: swa\.anneal_strategy \(line 6\): expected one of "cos", "linear", got "step"$/ },
  { title: 'misspelt key', swa: '{ start_epoch: 2, lr: 0.05, anneal_epoch: 3 }', message: /^c\.yaml: swa\.anneal_epoch \(line 6\): unknown key 'anneal_epoch'; did you mean 'anneal_epochs'\?/ },
];

const BASE = `epochs: 3
model: { name: mlp }
dataset: { name: synthetic, batch_size: 8 }
optimizer: { name: sgd, lr: 0.1 }
`;

for (const c of BAD) {
  test(`bad swa config: ${c.title}`, () => {
    const dir = writeFiles({ 'c.yaml': `name: t\n${BASE}swa: ${c.swa}\n` });
    const error = (() => {
      try {
        loadRunConfig(join(dir, 'c.yaml'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    const message = error.message.replaceAll(`${dir}/`, '');
    if (typeof c.message === 'string') assert.equal(message, c.message);
    else assert.match(message, c.message);
  });
}

test('vdm train with a bad swa block: one line naming file and key, exit 2', () => {
  const dir = writeFiles({ 'c.yaml': `name: t\n${BASE}swa: { start_epoch: 2, lr: 0 }\n` });
  const result = runCli(['train', join(dir, 'c.yaml')]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /c\.yaml: swa\.lr \(line 6\): must be > 0, got 0/);
});
