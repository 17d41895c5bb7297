// `vdm landscape` on real trained runs: interpolation end points are the runs themselves, a 1-D
// landscape of every run with plots, and bad flags as one-line usage errors.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { landscapeCommand, landscapeRequest, type LandscapeCommandOptions } from '../../src/commands/landscape.js';
import { trainRun } from '../../src/run/trainRun.js';
import { loadRunConfig } from '../../src/config/index.js';
import { UsageError } from '../../src/errors.js';
import { balancedSubset } from '../../src/flatness/subset.js';
import { openRun } from '../../src/flatness/runFolder.js';
import { pointEvaluator } from '../../src/landscape/evaluate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

const quiet = () => {};
// ResNet-20 has BatchNorm, whose statistics the interpolation must carry along.
const SMALL = ['epochs=1', 'model={name: resnet20}', 'dataset.size=32', 'dataset.test_size=8'];

async function trainTiny(output: string, seed: number): Promise<string> {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(output) });
  const done = await trainRun({ config: loadRunConfig(join(dir, 'tiny.yaml'), [...SMALL, `seed=${seed}`]), plain: true, log: quiet });
  return done.folder.dir;
}

/** The run's own loss on the same examples, straight from its checkpoint. */
async function ownLoss(run: string, samples: number, bn: 'stored' | 'recompute' = 'stored'): Promise<number> {
  const opened = await openRun(run, { samples, seed: 0 });
  const batches = await balancedSubset(opened.dataset, 'train', samples, opened.config.dataset.batch_size, 0);
  const evaluator = pointEvaluator(opened.parts.model, batches, opened.dataset, bn);
  const { loss } = await evaluator.evaluate();
  evaluator.dispose();
  await opened.close();
  return loss;
}

const csvRows = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));

test('interpolation end points reproduce each run; 1-D landscapes of every run are drawn', async () => {
  const output = tempDir();
  const [a, b] = [await trainTiny(output, 1), await trainTiny(output, 2)];
  const tensors = tf.memory().numTensors;
  const lines: string[] = [];
  await landscapeCommand([a, b], { between: true, steps: '5', samples: '16', quiet: true }, (l) => void lines.push(l));
  assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  const folder = join(a, 'landscape');
  const csv = readdirSync(folder).find((f) => f.startsWith('between-') && f.endsWith('.csv'))!;
  const rows = csvRows(join(folder, csv));
  assert.deepEqual(rows.map((r) => r[0]), [-0.5, 0, 0.5, 1, 1.5]);
  const [lossA, lossB] = [await ownLoss(a, 16), await ownLoss(b, 16)];
  assert.ok(Math.abs(rows[1][1] - lossA) < 1e-5 * lossA, `alpha 0: ${rows[1][1]} vs run A ${lossA}`);
  assert.ok(Math.abs(rows[3][1] - lossB) < 1e-5 * lossB, `alpha 1: ${rows[3][1]} vs run B ${lossB}`);
  const settings = JSON.parse(readFileSync(join(folder, csv.replace(/\.csv$/, '.json')), 'utf8')).settings;
  assert.equal(settings.kind, 'between');
  assert.ok(existsSync(join(folder, csv.replace(/\.csv$/, '.png'))), lines.join('\n'));

  // 1-D of both runs (a folder of runs), train and test, BatchNorm re-estimated: plots beside them.
  lines.length = 0;
  await landscapeCommand([output], { steps: '3', samples: '16', split: 'train,test', bn: 'recompute', quiet: true }, (l) => void lines.push(l));
  const plots = lines.filter((l) => l.startsWith('wrote '));
  assert.equal(plots.length, 2, lines.join('\n'));
  assert.match(plots[1], /landscape\/1d-s3-r-1_1-n16-seed0-biasbn-recompute-test-[0-9a-f]{8}\.png$/);
  for (const run of [a, b]) {
    const file = readdirSync(join(run, 'landscape')).find((f) => f.startsWith('1d-') && f.endsWith('.csv'))!;
    const table = csvRows(join(run, 'landscape', file));
    assert.equal(table.length, 3);
    // At x = 0 with re-estimated statistics, the loss is the run's own with statistics of the subset.
    const own = await ownLoss(run, 16, 'recompute');
    assert.ok(Math.abs(table[1][1] - own) < 1e-5 * own, `${table[1][1]} vs ${own}`);
    assert.ok(table.every((row) => row.length === 5 && row.every(Number.isFinite)));
  }
});

test('bad flags are usage errors naming the flag', () => {
  const cases: [LandscapeCommandOptions, RegExp][] = [
    [{ dims: '3' }, /^--dims '3' is not one of 1, 2$/],
    [{ range: '1:-1' }, /^--range must be LOW:HIGH with LOW < HIGH/],
    [{ range: 'a:1' }, /^--range must be LOW:HIGH/],
    [{ steps: '1' }, /^--steps must be a whole number >= 2, got '1'$/],
    [{ steps: '2.5' }, /^--steps must be a whole number/],
    [{ samples: '0' }, /^--samples must be a whole number >= 1/],
    [{ ignore: 'bias' }, /^--ignore 'bias' is not one of biasbn, none$/],
    [{ bn: 'train' }, /^--bn 'train' is not one of stored, recompute$/],
    [{ split: 'val' }, /^--split 'val': expected train, test or train,test$/],
    [{ between: true, dims: '2' }, /^--between draws the line between two runs; it takes no --dims$/],
    [{ bn: 'recompute', split: 'test' }, /^--bn recompute re-estimates the statistics on the training subset: --split must include train/],
  ];
  for (const [opts, message] of cases) {
    assert.throws(() => landscapeRequest(opts), (e: unknown) => e instanceof UsageError && message.test(e.message), JSON.stringify(opts));
  }
});

test('--between takes exactly two runs; on the command line a bad flag is one line and exit 2', async () => {
  await assert.rejects(landscapeCommand([tempDir()], { between: true }, quiet), (e: unknown) => e instanceof UsageError && e.message === '--between needs exactly two run folders (A B), got 1');
  const result = runCli(['landscape', tempDir(), '--steps', 'many']);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr, "vdm: error: --steps must be a whole number >= 2, got 'many'\n");
});
