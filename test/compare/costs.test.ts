// Costs counted, not timed: summary.json's gradient_evaluations (SAM 2 a step, the rest 1, over the
// whole run, resumes included) and `vdm compare` showing it as a column, in CSV and in JSON.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { compareRuns } from '../../src/compare/index.js';
import { formatComparison } from '../../src/compare/formats.js';
import { loadRunConfig } from '../../src/config/index.js';
import { DataError, InterruptedError } from '../../src/errors.js';
import { trainRun } from '../../src/run/trainRun.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';
import { tempRoot, writeRun } from './runFolders.js';

before(async () => {
  await selectBackend('cpu');
});

// 96 images in batches of 16: 6 steps an epoch, 2 epochs.
const SET = ['epochs=2', 'model={name: mlp, hidden: [8]}'];
const quiet = () => {};

function configIn(output: string, optimizer: string) {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(output) });
  return loadRunConfig(join(dir, 'tiny.yaml'), [...SET, `optimizer=${optimizer}`]);
}

const evaluations = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).gradient_evaluations;

test('summary.json counts gradient evaluations: sgd 1 a step, sam 2, a resumed sam run the same as one left alone', async () => {
  const sgd = await trainRun({ config: configIn(tempDir(), '{name: sgd, lr: 0.05}'), plain: true, log: quiet });
  assert.equal(evaluations(sgd.folder.dir), 12);
  const sam = await trainRun({ config: configIn(tempDir(), '{name: sam, lr: 0.05}'), plain: true, log: quiet });
  assert.equal(evaluations(sam.folder.dir), 24);

  const output = tempDir();
  const controller = new AbortController();
  const stopInFirst = (line: string) => void (line.startsWith('epoch 1/') && controller.abort());
  await assert.rejects(trainRun({ config: configIn(output, '{name: sam, lr: 0.05}'), plain: true, log: stopInFirst, signal: controller.signal }), InterruptedError);
  const stopped = join(output, 'tiny', 'seed-7');
  assert.equal(evaluations(stopped), 12, 'an interrupted run counts the steps it took');
  const resumed = await trainRun({ config: configIn(output, '{name: sam, lr: 0.05}'), resume: true, plain: true, log: quiet });
  assert.equal(evaluations(resumed.folder.dir), 24);
});

test('vdm compare shows gradient evaluations as a column, in CSV and in JSON; old folders without it give none', async () => {
  const root = tempRoot();
  const run = (variant: string, seed: number, count: number | undefined) =>
    writeRun(root, {
      dir: `exp/${variant}/seed-${seed}`, seed, variant, testAcc: [0.5, 0.6],
      config: variant === 'sam' ? { optimizer: { name: 'sam', rho: 0.05 } } : {},
      summary: count === undefined ? undefined : { gradient_evaluations: count },
    });
  run('baseline', 1, 7820);
  run('baseline', 2, 7820);
  run('sam', 1, 15640);
  run('sam', 2, 15640);
  const comparison = await compareRuns([join(root, 'exp')]);
  const table = formatComparison(comparison, 'table');
  assert.match(table, /Grad evals/);
  assert.match(table, /^sam\s.*\s15,640\s/m);
  assert.match(table, /^baseline\s.*\s7,820\s/m);
  assert.match(table, /Grad evals: forward and backward passes a run cost, counted rather than timed/);
  const [header, ...rows] = formatComparison(comparison, 'csv').trim().split('\n');
  const column = header!.split(',').indexOf('gradient_evaluations_mean');
  assert.ok(column >= 0, header);
  assert.deepEqual(rows.map((row) => row.split(',')[column]), ['7820', '15640']);
  const json = JSON.parse(formatComparison(comparison, 'json'));
  assert.deepEqual(json.variants.map((v: { gradientEvaluations: { mean: number } }) => v.gradientEvaluations.mean), [7820, 15640]);

  const old = tempRoot();
  writeRun(old, { dir: 'exp/baseline/seed-1', seed: 1, variant: 'baseline', testAcc: [0.5] });
  assert.doesNotMatch(formatComparison(await compareRuns([join(old, 'exp')]), 'table'), /Grad evals/);
});

test('a summary.json with a gradient_evaluations that is not a count is a one-line data error naming the file', async () => {
  const root = tempRoot();
  writeRun(root, { dir: 'exp/baseline/seed-1', seed: 1, variant: 'baseline', testAcc: [0.5], summary: { gradient_evaluations: 'many' } });
  await assert.rejects(compareRuns([join(root, 'exp')]), (e: unknown) => e instanceof DataError && /summary\.json: gradient_evaluations: expected a whole number >= 0, got "many"$/.test(e.message));
});

test('Δ vs ~compute: each costlier variant against the compute control that spent its gradient evaluations, matched by the counts', async () => {
  const root = tempRoot();
  // sam at the baseline's 3 epochs costs 2x, at 6 epochs 4x; ~compute-x2 and -x4 are the baseline trained that long.
  const sam = { optimizer: { name: 'sam', rho: 0.05 } };
  const variants: [string, number, Record<string, unknown>, number[]][] = [
    ['baseline', 100, {}, [0.5, 0.52]],
    ['log', 100, { vdm: { name: 'log' } }, [0.51, 0.53]],
    ['sam', 200, sam, [0.6, 0.62]],
    ['sam-long', 400, { ...sam, epochs: 6 }, [0.63, 0.65]],
    ['baseline~compute-x2', 200, { epochs: 6, schedule: { stretch: 2 } }, [0.55, 0.57]],
    ['baseline~compute-x4', 400, { epochs: 12, schedule: { stretch: 4 } }, [0.7, 0.72]],
  ];
  for (const [variant, count, config, accuracies] of variants) {
    accuracies.forEach((accuracy, i) =>
      writeRun(root, { dir: `exp/${variant}/seed-${i + 1}`, seed: i + 1, variant, testAcc: [accuracy], config, summary: { gradient_evaluations: count } }),
    );
  }
  const comparison = await compareRuns([join(root, 'exp')]);
  const byLabel = Object.fromEntries(comparison.variants.map((v) => [v.label, v]));
  assert.equal(byLabel.sam!.vsCompute?.label, 'baseline~compute-x2');
  assert.equal(byLabel.sam!.vsCompute?.factor, 2);
  assert.ok(Math.abs(byLabel.sam!.vsCompute!.finalTop1!.delta - 0.05) < 1e-12);
  assert.equal(byLabel['sam-long']!.vsCompute?.label, 'baseline~compute-x4');
  assert.ok(Math.abs(byLabel['sam-long']!.vsCompute!.finalTop1!.delta + 0.07) < 1e-12);
  for (const label of ['baseline', 'log', 'baseline~compute-x2', 'baseline~compute-x4']) assert.equal(byLabel[label]!.vsCompute, null, label);
  const table = formatComparison(comparison, 'table');
  assert.match(table, /Δ vs ~compute pp \[95% CI\]/);
  assert.match(table.replace(/\s+/g, ' '), /Δ vs ~compute \(sam-long\): against 'baseline~compute-x4', 'baseline' trained 4× the epochs/);
});
