// Landscape grids on a model with a known quadratic loss: directions are filter-normalised, a 1-D
// slice matches the closed form, an interrupted 2-D grid resumes without redoing points.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { InterruptedError } from '../../src/errors.js';
import { randomDirection, filterNormalize } from '../../src/landscape/directions.js';
import { computeGrid } from '../../src/landscape/grid.js';
import { gridPoints, type LandscapeSettings } from '../../src/landscape/settings.js';
import { tempDir } from '../helpers/files.js';
import { fakeRun, quadraticModel } from './quadratic.js';

before(async () => {
  await selectBackend('cpu');
});

const settings = (overrides: Partial<LandscapeSettings> = {}): LandscapeSettings => ({
  kind: '1d',
  range: [-1, 1],
  steps: 9,
  samples: 8,
  seed: 3,
  ignore: 'biasbn',
  bn: 'stored',
  splits: ['train'],
  batchSize: null,
  partner: null,
  ...overrides,
});

const filterNorms = (t: tf.Tensor) => tf.tidy(() => [...tf.sqrt(tf.sum(tf.square(t), Array.from({ length: t.rank - 1 }, (_, i) => i))).dataSync()]);

test('each direction filter has its weight filter norm; biases and BatchNorm entries are zero', () => {
  const conv = tf.randomNormal([3, 3, 2, 4]);
  const dense = tf.randomNormal([5, 3]);
  const bias = tf.randomNormal([4]);
  const variables = [conv, dense, bias].map((t, i) => tf.variable(t, true, `layer${i}/w_${900 + i}`));
  const before = tf.memory().numTensors;
  const [dConv, dDense, dBias] = randomDirection(variables, 0, 0, 'biasbn');
  for (const [d, w] of [[dConv, conv], [dDense, dense]] as const) {
    const [got, want] = [filterNorms(d), filterNorms(w)];
    assert.equal(got.length, w.shape[w.rank - 1]);
    got.forEach((g, f) => assert.ok(Math.abs(g - want[f]) < 1e-5 * want[f], `filter ${f}: ${g} vs ${want[f]}`));
  }
  assert.deepEqual([...dBias.dataSync()], [0, 0, 0, 0]);
  const kept = randomDirection(variables, 0, 0, 'none');
  assert.ok(tf.tidy(() => Math.abs(tf.norm(kept[2]).dataSync()[0] - tf.norm(bias).dataSync()[0])) < 1e-5);
  tf.dispose([dConv, dDense, dBias, ...kept]);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');

  // The raw direction depends on the seed and the parameter's name and shape, not its values:
  // two networks get directions that differ only by the per-filter scale.
  const other = tf.variable(tf.mul(dense, tf.tensor1d([2, 0.5, 3])), true, 'layer1/w_77');
  const [a] = randomDirection([variables[1]], 5, 0, 'biasbn');
  const [b] = randomDirection([other], 5, 0, 'biasbn');
  const unit = (t: tf.Tensor) => tf.tidy(() => tf.div(t, tf.norm(t, 'euclidean', 0)));
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(unit(a), unit(b))))).dataSync()[0] < 1e-5);
  const [c] = randomDirection([variables[1]], 6, 0, 'biasbn');
  assert.ok(tf.tidy(() => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]) > 0.1, 'another seed, another direction');
  const zeroFilter = filterNormalize(tf.ones([2, 2]), tf.tensor2d([[0, 1], [0, 1]]), 'biasbn');
  assert.deepEqual(filterNorms(zeroFilter).map((v) => Number(v.toFixed(5))), [0, 1.41421]);
});

test('a 1-D slice through a quadratic model equals its closed form', async () => {
  const model = quadraticModel();
  const kernel = model.params[0].arraySync() as number[][];
  const bias = model.params[1].arraySync() as number[];
  const [dKernel, dBias] = randomDirection(model.params, 3, 0, 'biasbn');
  const d = dKernel.arraySync() as number[][];
  assert.deepEqual(dBias.arraySync(), [0, 0, 0]);
  tf.dispose([dKernel, dBias]);
  const before = tf.memory().numTensors;
  const grid = await computeGrid(fakeRun(tempDir(), model), settings());
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(grid.computed, 9);
  assert.deepEqual(grid.table.columns, ['x', 'train_loss', 'train_accuracy']);
  for (const [x, loss, accuracy] of grid.table.rows) {
    const expected = model.analytic(kernel.map((row, i) => row.map((w, j) => w + x * d[i][j])), bias);
    assert.ok(Math.abs(loss - expected) < 2e-5 * expected, `x=${x}: ${loss} vs ${expected}`);
    assert.equal(accuracy, 0); // class 0's logit log(expm1(q)) > 0 wins while q > log 2
  }
  // The weights are back where they were.
  assert.deepEqual(model.params[0].arraySync(), kernel);
});

test('an interrupted 2-D grid resumes from the rows written, without recomputing them', async () => {
  const grid2d = settings({ kind: '2d', steps: 5, range: [-0.5, 0.5] });
  const points = gridPoints(grid2d).length;
  const fresh = await computeGrid(fakeRun(tempDir(), quadraticModel()), grid2d);
  assert.equal(fresh.computed, points);

  const dir = tempDir();
  const model = quadraticModel();
  const controller = new AbortController();
  let written = 0;
  const before = tf.memory().numTensors;
  await assert.rejects(
    computeGrid(fakeRun(dir, model), grid2d, { signal: controller.signal, onPoint: () => ++written === 7 && controller.abort() }),
    (error: unknown) => error instanceof InterruptedError && /interrupted after 7 of 25 points/.test(error.message),
  );
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(readFileSync(join(dir, 'landscape', basename(fresh.csv)), 'utf8').trim().split('\n').length, 1 + 7, 'header and 7 rows');

  const resumed = await computeGrid(fakeRun(dir, model), grid2d);
  assert.equal(resumed.computed, points - 7);
  // The balanced subset keeps 4 of the 8 examples (class 0 has none): 2 batches of 2 per point.
  assert.equal(resumed.forwardPasses, (points - 7) * 2, 'forward passes: 2 per remaining point');
  assert.equal(readFileSync(resumed.csv, 'utf8'), readFileSync(fresh.csv, 'utf8'));
  const again = await computeGrid(fakeRun(dir, model), grid2d);
  assert.deepEqual([again.computed, again.forwardPasses], [0, 0]);
});

test('a torn last line is dropped and recomputed; a different setting is a different file', async () => {
  const dir = tempDir();
  const model = quadraticModel();
  const first = await computeGrid(fakeRun(dir, model), settings({ steps: 3 }));
  const text = readFileSync(first.csv, 'utf8');
  writeFileSync(first.csv, text.slice(0, text.length - 4));
  const repaired = await computeGrid(fakeRun(dir, model), settings({ steps: 3 }));
  assert.equal(repaired.computed, 1);
  assert.equal(readFileSync(repaired.csv, 'utf8'), text);
  const other = await computeGrid(fakeRun(dir, model), settings({ steps: 3, seed: 4 }));
  assert.notEqual(other.csv, first.csv);
  assert.equal(other.computed, 3);
});
