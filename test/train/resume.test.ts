// Exact resume: a run interrupted after an epoch and resumed from its checkpoint writes the same
// metrics, bit for bit, as the same run left alone.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { trainRun } from '../../src/run/trainRun.js';
import { loadRunConfig } from '../../src/config/index.js';
import { InterruptedError, UsageError } from '../../src/errors.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

const quiet = () => {};
// ResNet-20 (BatchNorm statistics) with momentum and a normalised VDM: every kind of state.
const SET = ['epochs=3', 'model.name=resnet20', 'dataset.shape=[4, 4, 3]', 'dataset.size=24', 'dataset.test_size=8', 'dataset.batch_size=8', 'dataset.augment=standard', 'vdm={name: log, normalize: initial}'];
const withoutTiming = (csv: string) => csv.trim().split('\n').map((line) => line.split(',').slice(0, -2).join(','));

// Overrides are one set: a deeper key refines a mapping, so the model is changed key by key
// (model.name here replaces SET's, the last of a key winning).
const SMALL = ['model.name=mlp', 'model.hidden=[8]'];

function configIn(output: string, extra: string[] = []) {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(output) });
  return loadRunConfig(join(dir, 'tiny.yaml'), [...SET, ...extra]);
}

async function interruptedAndResumedMatches(extra: string[] = []): Promise<void> {
  const straight = await trainRun({ config: configIn(tempDir(), extra), plain: true, log: quiet });

  const output = tempDir();
  const controller = new AbortController();
  const stopAfterTwo = (line: string) => void (line.startsWith('epoch 2/') && controller.abort());
  await assert.rejects(trainRun({ config: configIn(output, extra), plain: true, log: stopAfterTwo, signal: controller.signal }), InterruptedError);
  const runDir = join(output, 'tiny', 'seed-7');
  assert.equal(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status, 'interrupted');

  const lines: string[] = [];
  const resumed = await trainRun({ config: configIn(output, extra), resume: true, plain: true, log: (l) => void lines.push(l) });
  assert.ok(lines.some((l) => /resuming after epoch 2/.test(l)), lines.join('\n'));
  assert.deepEqual(
    withoutTiming(readFileSync(join(resumed.folder.dir, 'metrics.csv'), 'utf8')),
    withoutTiming(readFileSync(join(straight.folder.dir, 'metrics.csv'), 'utf8')),
  );
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'completed');
  assert.equal(run.resumed_after_epoch, 2);
  assert.equal(JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).epochs_completed, 3);
}

test('an interrupted run resumed from its checkpoint matches the uninterrupted run exactly', () => interruptedAndResumedMatches());

test('a sam run (momentum, bn: both) resumes exactly too: its state is its base optimizer\'s', () =>
  interruptedAndResumedMatches(['optimizer={name: sam, lr: 0.05, momentum: 0.9, weight_decay: 1.0e-4, bn: both}']));

test('resuming with a different config is refused, naming the key', async () => {
  const output = tempDir();
  const controller = new AbortController();
  await assert.rejects(trainRun({ config: configIn(output, SMALL), plain: true, log: (l) => void (l.startsWith('epoch 1/') && controller.abort()), signal: controller.signal }));
  await assert.rejects(
    trainRun({ config: configIn(output, [...SMALL, 'optimizer.lr=0.01']), resume: true, plain: true, log: quiet }),
    (e: unknown) => e instanceof UsageError && /config\.yaml differs from this config at 'optimizer\.lr'; pass --force/.test(e.message),
  );
});

test('a damaged checkpoint is a clear error', async () => {
  const output = tempDir();
  const controller = new AbortController();
  await assert.rejects(trainRun({ config: configIn(output, SMALL), plain: true, log: (l) => void (l.startsWith('epoch 1/') && controller.abort()), signal: controller.signal }));
  const runDir = join(output, 'tiny', 'seed-7');
  const { current } = JSON.parse(readFileSync(join(runDir, 'checkpoint.json'), 'utf8'));
  writeFileSync(join(runDir, current, 'checkpoint.bin'), 'truncated');
  await assert.rejects(trainRun({ config: configIn(output, SMALL), resume: true, plain: true, log: quiet }), /checkpoint is damaged/);
});
