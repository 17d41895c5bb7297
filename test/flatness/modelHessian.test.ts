// On a tiny real model (MLP, 35 weights), the power iteration and Hutchinson figures agree with
// the eigen-decomposition of the full Hessian assembled column by column from HVPs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { datasets } from '../../src/datasets/index.js';
import type { Dataset } from '../../src/datasets/types.js';
import { hessianVectorProduct } from '../../src/flatness/hvp.js';
import { measureFlatness } from '../../src/flatness/measure.js';
import { modelLoss } from '../../src/flatness/modelLoss.js';
import { balancedTrainingSubset } from '../../src/flatness/subset.js';
import { models } from '../../src/models/index.js';
import { disposeModel, type Model } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { jacobiEigenvalues, type Matrix } from './helpers.js';

before(async () => {
  await selectBackend('cpu');
});

const SAMPLES = 30;
const BATCH = 16; // two batches, the second partial

async function tinyProblem(): Promise<{ model: Model; dataset: Dataset }> {
  const dataset = await datasets.get('synthetic').create(
    { shape: [2, 2, 1], classes: 3, size: 45, test_size: 6, noise: 0.5, data_seed: 3 },
    { seed: 1, augment: 'none' },
  );
  const model = models.get('mlp').create({ hidden: [4] }, { inputShape: [2, 2, 1], numClasses: 3, rng: RandomStream.derive(2, 'init') });
  return { model, dataset };
}

/** Column k of H is H e_k: the whole Hessian from one HVP per weight. */
async function hessianByColumns(model: Model, dataset: Dataset): Promise<Matrix> {
  const batches = await balancedTrainingSubset(dataset, SAMPLES, BATCH, 0);
  const loss = modelLoss(model, batches, dataset);
  const hessian = await hessianVectorProduct(loss, 'exact');
  const sizes = model.params.map((p) => p.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const columns: number[][] = [];
  for (let k = 0; k < total; k++) {
    let offset = 0;
    const unit = model.params.map((p, i) => {
      const values = new Float32Array(sizes[i]);
      if (k >= offset && k < offset + sizes[i]) values[k - offset] = 1;
      offset += sizes[i];
      return tf.tensor(values, p.shape);
    });
    const product = await hessian.hvp(unit);
    columns.push((await Promise.all(product.map((t) => t.data()))).flatMap((d) => [...d]));
    tf.dispose([...unit, ...product]);
  }
  hessian.dispose();
  loss.dispose();
  return columns[0].map((_, i) => columns.map((column) => column[i]));
}

test('lambda_max and the trace of a tiny MLP agree with the full Hessian eigen-decomposition', async () => {
  const { model, dataset } = await tinyProblem();
  const before = tf.memory().numTensors;
  const hessian = await hessianByColumns(model, dataset);
  assert.equal(hessian.length, 35);
  // Symmetric consistency: e_i^T H e_j = e_j^T H e_i up to float32 rounding (exact products).
  const largest = Math.max(...hessian.flat().map(Math.abs));
  const asymmetry = Math.max(...hessian.flatMap((row, i) => row.map((x, j) => Math.abs(x - hessian[j][i]))));
  assert.ok(asymmetry < 1e-5 * largest, `asymmetry ${asymmetry} of ${largest}`);

  const symmetric = hessian.map((row, i) => row.map((x, j) => (x + hessian[j][i]) / 2));
  const eigenvalues = jacobiEigenvalues(symmetric);
  const exactTop = eigenvalues.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
  const exactTrace = eigenvalues.reduce((a, b) => a + b, 0);

  const figures = await measureFlatness(model, dataset, { samples: SAMPLES, iterations: 100, probes: 40, seed: 0, batchSize: BATCH, tolerance: 1e-5 });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(figures.samples, SAMPLES);
  assert.ok(figures.iterations_run < 100, `power iteration did not converge in ${figures.iterations_run}`);
  assert.ok(Math.abs(figures.hessian_top_eigenvalue - exactTop) < 1e-3 * Math.abs(exactTop), `lambda_max ${figures.hessian_top_eigenvalue} vs ${exactTop} (eigenvalues ${eigenvalues.slice(0, 4)})`);
  assert.ok(
    Math.abs(figures.hessian_trace - exactTrace) < 4 * figures.hessian_trace_stderr,
    `trace ${figures.hessian_trace} +- ${figures.hessian_trace_stderr} vs ${exactTrace}`,
  );
  assert.ok(figures.hessian_trace_stderr > 0 && figures.hessian_trace_stderr < 0.5 * Math.abs(exactTrace), `stderr ${figures.hessian_trace_stderr}`);
  disposeModel(model);
});

test('the subset is class-balanced, seeded, and the loss does not depend on the batch size', async () => {
  const { model, dataset } = await tinyProblem();
  const subset = await balancedTrainingSubset(dataset, SAMPLES, BATCH, 0);
  const again = await balancedTrainingSubset(dataset, SAMPLES, BATCH, 0);
  const other = await balancedTrainingSubset(dataset, SAMPLES, BATCH, 1);
  const labels = subset.flatMap((b) => [...b.y]);
  assert.deepEqual([0, 1, 2].map((c) => labels.filter((y) => y === c).length), [10, 10, 10]);
  assert.deepEqual(subset.map((b) => b.size), [16, 14]);
  assert.deepEqual(again, subset);
  assert.notDeepEqual(other.map((b) => [...b.x]), subset.map((b) => [...b.x]));
  const lossWith = async (batchSize: number) => {
    const loss = modelLoss(model, await balancedTrainingSubset(dataset, SAMPLES, batchSize, 0), dataset);
    const value = await loss.loss();
    loss.dispose();
    return value;
  };
  const [whole, split] = [await lossWith(SAMPLES), await lossWith(7)];
  assert.ok(Math.abs(whole - split) < 1e-5 * whole, `${whole} vs ${split}`);
  // Asking for more than the split holds uses all of it.
  assert.equal((await balancedTrainingSubset(dataset, 1000, BATCH, 0)).reduce((n, b) => n + b.size, 0), 45);
  disposeModel(model);
});

test('a sharper minimum reads sharper: rescaling ReLU layers keeps the loss, sharpens lambda_max, leaves adaptive sharpness', async () => {
  // (W1, b1, W2) -> (a W1, a b1, W2 / a) computes the same function (ReLU is positively
  // homogeneous) while the output layer's curvature grows by a^2 (Dinh et al. 2017).
  const measure = async (a: number) => {
    const { model, dataset } = await tinyProblem();
    const [w1, b1, w2] = model.params;
    tf.tidy(() => {
      w1.assign(tf.mul(w1, a));
      b1.assign(tf.mul(b1, a));
      w2.assign(tf.div(w2, a));
    });
    const figures = await measureFlatness(model, dataset, { samples: SAMPLES, iterations: 100, probes: 2, seed: 0, batchSize: BATCH, tolerance: 1e-5 });
    disposeModel(model);
    return figures;
  };
  const plain = await measure(1);
  const sharp = await measure(4);
  assert.ok(Math.abs(sharp.train_loss_subset - plain.train_loss_subset) < 1e-5 * plain.train_loss_subset, `${sharp.train_loss_subset} vs ${plain.train_loss_subset}`);
  assert.ok(sharp.hessian_top_eigenvalue > 4 * plain.hessian_top_eigenvalue, `lambda_max ${sharp.hessian_top_eigenvalue} vs ${plain.hessian_top_eigenvalue}`);
  // Adaptive sharpness measures perturbations relative to |w|: the same function, the same figure.
  for (const key of ['adaptive_sharpness_worst', 'adaptive_sharpness_average'] as const) {
    assert.ok(plain[key] > 0, `${key} ${plain[key]}`);
    assert.ok(Math.abs(sharp[key] - plain[key]) < 1e-2 * plain[key], `${key} ${sharp[key]} vs ${plain[key]}`);
  }
});
