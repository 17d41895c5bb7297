// `vdm export` on a trained run folder: the file PyTorch loads is the run's final checkpoint.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { exportCommand } from '../../src/commands/export.js';
import { trainRun } from '../../src/run/trainRun.js';
import { loadRunConfig } from '../../src/config/index.js';
import { DataError, UsageError } from '../../src/errors.js';
import { disposeModel } from '../../src/models/types.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { restoreCheckpoint } from '../../src/train/checkpoint.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';
import { assertTorchAvailable, checkInTorch, evalLogits } from './torchCheck.js';

before(async () => {
  await selectBackend('cpu');
});

const SET = ['epochs=2', 'model.name=resnet20', 'dataset.shape=[6, 6, 3]', 'dataset.size=16', 'dataset.test_size=8', 'dataset.batch_size=8'];

async function trainedRun(): Promise<string> {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  const { folder } = await trainRun({ config: loadRunConfig(join(dir, 'tiny.yaml'), SET), plain: true, log: () => {} });
  return folder.dir;
}

test('vdm export writes the trained weights, which PyTorch loads strictly and evaluates to vdm\'s logits', async () => {
  assertTorchAvailable();
  const runDir = await trainedRun();
  const lines: string[] = [];
  await exportCommand(runDir, { format: 'safetensors' }, (l) => void lines.push(l));
  const file = join(runDir, 'model.safetensors');
  assert.match(lines[0]!, /^wrote .*model\.safetensors: resnet20 after 2 epochs, 116 tensors/);
  assert.ok(existsSync(file));

  const config = loadRunConfig(join(runDir, 'config.yaml'));
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset);
  restoreCheckpoint(runDir, parts);
  const x = tf.randomNormal([3, 6, 6, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const logits = evalLogits(parts.model, x);
  const [result] = checkInTorch([{ weights: file, x, logits, spec: { model: 'resnet20', num_classes: 4, input_shape: [6, 6, 3] } }]);
  assert.ok(result!.max_abs_diff <= 1e-4, `logits differ by ${result!.max_abs_diff}`);
  assert.equal(result!.metadata.model, 'resnet20');
  assert.equal(result!.metadata.epochs, '2');
  assert.equal(result!.metadata.input_shape_nchw, '[3,6,6]');
  disposeModel(parts.model);
  parts.optimizer.dispose();
  tf.dispose([x, logits]);
});

test('bad inputs are one-line usage or data errors', async () => {
  const empty = tempDir();
  const cases: [string, () => Promise<void>, new (...a: never[]) => Error, RegExp][] = [
    ['not a run folder', () => exportCommand(empty, {}, () => {}), UsageError, /not a run folder \(no config\.yaml\)/],
    ['unknown format', () => exportCommand(empty, { format: 'onnx' }, () => {}), UsageError, /--format 'onnx' is not an export format; valid: safetensors/],
  ];
  for (const [what, run, kind, message] of cases) {
    await assert.rejects(run, (e: unknown) => e instanceof kind && message.test((e as Error).message), what);
  }
  const runDir = writeFiles({ 'config.yaml': tinyConfigYaml(empty) });
  await assert.rejects(exportCommand(runDir, {}, () => {}), (e: unknown) => e instanceof DataError && /no checkpoint to export/.test((e as Error).message));
});
