// TensorBoard event files as an independent reader sees them: Debian's python3-protobuf with the
// trimmed .proto copies in proto/, every CRC recomputed in Python. A missing reader fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32c, maskedCrc32c } from '../../src/tensorboard/crc32c.js';
import { EventFileWriter } from '../../src/tensorboard/eventFile.js';
import { scalarsEvent } from '../../src/tensorboard/events.js';
import { tensorboardHook, TENSORBOARD_DIR } from '../../src/tensorboard/hook.js';
import { int64Field, floatField } from '../../src/tensorboard/protobuf.js';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { disposeModel } from '../../src/models/types.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import type { EpochMetrics, StepStats } from '../../src/train/hooks.js';
import { train } from '../../src/train/trainer.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.VDM_TORCH_PYTHON ?? '/usr/bin/python3';

interface DecodedEvent {
  wall_time: number;
  step: number;
  file_version?: string;
  session_status?: number;
  values?: { tag: string; simple_value?: number; plugin?: string; dtype?: number; dims?: number; text?: string[] }[];
}

function readEvents(file: string): DecodedEvent[] {
  const run = spawnSync(PYTHON, [join(here, 'read_events.py'), file], { encoding: 'utf8' });
  assert.equal(run.status, 0, `the Python reader failed (needs python3-protobuf and protoc from protobuf-compiler):\n${run.stderr}`);
  return JSON.parse(run.stdout) as DecodedEvent[];
}

test('CRC-32C check values (RFC 3720 B.4 and the standard "123456789") and the TFRecord mask', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  const crc = 0xe3069283;
  assert.equal(maskedCrc32c(new TextEncoder().encode('123456789')), ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('protobuf wire encodings: varints (also negative int64), little-endian floats', () => {
  assert.deepEqual([...int64Field(1, 150)], [0x08, 0x96, 0x01]);
  assert.deepEqual([...int64Field(2, -1)], [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.deepEqual([...floatField(2, 1)], [0x15, 0x00, 0x00, 0x80, 0x3f]);
});

const plan = { epochs: 2, firstEpoch: 1, firstStep: 0, batchesPerEpoch: 3, trainSize: 24, testSize: 8 };
/** The trainer's stats after the n-th step (its globalStep counts the steps before). */
const step = (n: number): StepStats => ({
  epoch: Math.ceil(n / 3), batch: ((n - 1) % 3) + 1, batchesPerEpoch: 3, globalStep: n - 1,
  lr: 0.1 / n, loss: 2 - n / 10, accuracy: 0.5, deformedLoss: Math.log1p(2 - n / 10),
  gradScale: 1 / (3 - n / 10), images: 8, imagesPerSecond: 100, runSeconds: n / 10,
});
const epoch = (n: number): EpochMetrics => ({
  epoch: n, lr: 0.1 / n, train_loss: 1.5 / n, train_acc: 0.4 * n, test_loss: 1.7 / n, test_acc: 0.35 * n,
  deformed_loss: 0.9 / n, grad_scale: 0.4 + n / 10, epoch_seconds: 2.5, images_per_s: 96,
});

test('the hook writes tb/events.out.tfevents.<time>.<host>: version, config text, step and epoch scalars, every CRC right', async () => {
  const runDir = tempDir();
  let now = 1_700_000_000.25;
  const hook = tensorboardHook(runDir, { config: { model: { name: 'resnet20' }, optimizer: { lr: 0.1 } }, clock: () => (now += 1) });
  await hook.onTrainStart!(plan);
  for (let e = 1; e <= 2; e++) {
    for (let s = 1; s <= 3; s++) await hook.onStepEnd!(step((e - 1) * 3 + s));
    await hook.onEpochEnd!(epoch(e));
  }
  await hook.onTrainEnd!({ status: 'completed', history: [epoch(1), epoch(2)] });

  const files = readdirSync(join(runDir, TENSORBOARD_DIR));
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^events\.out\.tfevents\.1700000001\.[^/]+$/);
  const events = readEvents(join(runDir, TENSORBOARD_DIR, files[0]!));
  assert.equal(events.length, 1 + 1 + 6 + 2);
  assert.equal(events[0]!.file_version, 'brain.Event:2');

  const config = events[1]!;
  assert.equal(config.step, 0);
  assert.deepEqual(config.values, [{ tag: 'config', plugin: 'text', dtype: 7, dims: 0, text: ['```yaml\nmodel:\n  name: resnet20\noptimizer:\n  lr: 0.1\n```'] }]);

  const steps = events.filter((e) => e.values?.[0]?.tag === 'step/loss');
  assert.deepEqual(steps.map((e) => e.step), [1, 2, 3, 4, 5, 6]);
  const fourth = Object.fromEntries(steps[3]!.values!.map((v) => [v.tag, v.simple_value]));
  const expected = step(4);
  for (const [tag, value] of [['step/loss', expected.loss], ['step/deformed_loss', expected.deformedLoss], ['step/grad_scale', expected.gradScale], ['step/lr', expected.lr]] as const) {
    assert.ok(Math.abs(fourth[tag]! - value) < 1e-6 * Math.abs(value), `${tag}: ${fourth[tag]} vs ${value}`);
  }

  const epochs = events.filter((e) => e.values?.[0]?.tag === 'epoch/epoch');
  assert.deepEqual(epochs.map((e) => e.step), [3, 6], 'epoch scalars at the epoch\'s last step');
  const second = Object.fromEntries(epochs[1]!.values!.map((v) => [v.tag, v.simple_value]));
  assert.deepEqual(Object.keys(second).sort(), Object.keys(epoch(2)).map((k) => `epoch/${k}`).sort());
  assert.ok(Math.abs(second['epoch/test_acc']! - 0.7) < 1e-6);

  const times = events.map((e) => e.wall_time);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.equal(times[1], 1_700_000_002.25, 'wall_time is a double: fractions of a second survive');
});

test('a resumed run starts a new file with SessionLog START at its first repeated step (TensorBoard drops the older copies)', async () => {
  const runDir = tempDir();
  let now = 1_700_000_000;
  const first = tensorboardHook(runDir, { clock: () => (now += 1) });
  await first.onTrainStart!(plan);
  for (let s = 1; s <= 4; s++) await first.onStepEnd!(step(s)); // crashed in epoch 2, after its checkpoint of epoch 1
  await first.onTrainEnd!({ status: 'failed', history: [epoch(1)] });
  const resumed = tensorboardHook(runDir, { clock: () => (now += 1) });
  await resumed.onTrainStart!({ ...plan, firstEpoch: 2, firstStep: 3 });
  await resumed.onStepEnd!(step(4));
  await resumed.onTrainEnd!({ status: 'completed', history: [epoch(1), epoch(2)] });
  const files = readdirSync(join(runDir, TENSORBOARD_DIR)).sort();
  assert.equal(files.length, 2);
  const events = readEvents(join(runDir, TENSORBOARD_DIR, files[1]!));
  assert.deepEqual(events.slice(0, 3).map((e) => [e.file_version ?? e.session_status ?? e.values?.[0]?.tag, e.step]), [['brain.Event:2', 0], [1, 4], ['step/loss', 4]]);
});

test('a flipped byte anywhere in a record fails the independent CRC check', () => {
  const dir = tempDir();
  const writer = EventFileWriter.create(dir, new Date(1_700_000_000_000));
  writer.write(scalarsEvent(1_700_000_000, 7, { 'step/loss': 0.5 }));
  writer.close();
  const file = join(dir, readdirSync(dir)[0]!);
  assert.equal(readEvents(file).length, 2);
  const bytes = readFileSync(file);
  bytes[bytes.length - 6] ^= 0x01; // inside the last record's payload
  const damaged = join(dir, 'damaged.tfevents');
  writeFileSync(damaged, bytes);
  const check = spawnSync(PYTHON, [join(here, 'read_events.py'), damaged], { encoding: 'utf8' });
  assert.notEqual(check.status, 0);
  assert.match(check.stderr, /payload CRC wrong/);
});

test('with the real trainer: one scalar event per step and per epoch, epoch figures equal the returned history', async () => {
  await selectBackend('cpu');
  const yaml = tinyConfigYaml(tempDir());
  const config = loadRunConfig(join(writeFiles({ 'tiny.yaml': yaml }), 'tiny.yaml'), ['epochs=2', 'dataset.size=32', 'dataset.test_size=8']);
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset);
  const runDir = tempDir();
  const history = await train(parts, { hooks: [tensorboardHook(runDir, { config: yaml })] });
  disposeModel(parts.model);
  parts.optimizer.dispose();

  const [file] = readdirSync(join(runDir, TENSORBOARD_DIR));
  const events = readEvents(join(runDir, TENSORBOARD_DIR, file!));
  assert.equal(events[1]!.values![0]!.text![0], `\`\`\`yaml\n${yaml.trimEnd()}\n\`\`\``);
  const steps = events.filter((e) => e.values?.[0]?.tag === 'step/loss');
  assert.deepEqual(steps.map((e) => e.step), [1, 2, 3, 4]); // 32 images in batches of 16, 2 epochs
  const epochs = events.filter((e) => e.values?.[0]?.tag === 'epoch/epoch');
  assert.deepEqual(epochs.map((e) => e.step), [2, 4]);
  epochs.forEach((e, i) => {
    const value = Object.fromEntries(e.values!.map((v) => [v.tag, v.simple_value!]));
    assert.ok(Math.abs(value['epoch/test_loss']! - history[i]!.test_loss) < 1e-6 * history[i]!.test_loss);
    assert.equal(value['epoch/train_acc'], Math.fround(history[i]!.train_acc));
  });
});
