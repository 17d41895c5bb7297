// Sharpness figures on quadratics L(w) = c + 0.5 (w - m)^T H (w - m) at their minimum w = m, whose
// answers are closed forms: epsilon-sharpness 100 * 0.5 sum h_i b_i^2 / (1 + c) with b = epsilon
// (|m| + 1) for diagonal H; adaptive worst case 0.5 rho^2 lambda_max(|m| H |m|); adaptive average
// 0.5 sigma^2 sum H_ii m_i^2; and the top-k eigenvalues of H by deflation.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { hessianVectorProduct } from '../../src/flatness/hvp.js';
import { adaptiveAverageCase, adaptiveWorstCase, epsilonSharpness } from '../../src/flatness/sharpness.js';
import { topEigenvalues } from '../../src/flatness/spectrum.js';
import { normalVector } from '../../src/flatness/vectors.js';
import { RandomStream } from '../../src/random.js';
import { jacobiEigenvalues, scalarLoss, symmetricWithEigenvalues, variableOf, type Matrix } from './helpers.js';

before(async () => {
  await selectBackend('cpu');
});

const C = 0.2;
const N = 40;
/** Minimum point: entries of both signs and sizes, so |m| weights coordinates differently. */
const M = Array.from({ length: N }, (_, i) => (i % 2 ? -1 : 1) * (0.2 + ((i * 7) % 13) / 5));

function quadratic(h: Matrix) {
  const w = variableOf(M);
  const m = tf.keep(tf.tensor1d(M));
  const matrix = tf.keep(tf.tensor2d(h));
  const loss = scalarLoss([w], () =>
    tf.tidy(() => {
      const d = tf.sub(w, m);
      return tf.add(C, tf.mul(0.5, tf.sum(tf.mul(d, tf.squeeze(tf.matMul(matrix, tf.reshape(d, [-1, 1]))))))) as tf.Scalar;
    }),
  );
  return { loss, w, dispose: () => tf.dispose([w, m, matrix]) };
}

const diagonal = (values: readonly number[]): Matrix => values.map((v, i) => values.map((_, j) => (i === j ? v : 0)));
const close = (got: number, want: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tolerance * Math.abs(want), `${what}: ${got} vs closed form ${want}`);

test('epsilon-sharpness reaches the corner of the box: 100 * 0.5 sum h b^2 / (1 + L)', async () => {
  const h = Array.from({ length: N }, (_, i) => 0.5 + (i % 5));
  const { loss, w, dispose } = quadratic(diagonal(h));
  const before = tf.memory().numTensors;
  const epsilon = 1e-2;
  const result = await epsilonSharpness(loss, epsilon, { steps: 5, seed: 0 });
  const rise = 0.5 * h.reduce((s, hi, i) => s + hi * (epsilon * (Math.abs(M[i]) + 1)) ** 2, 0);
  close(result.sharpness, (100 * rise) / (1 + C), 0.02, 'epsilon-sharpness');
  assert.deepEqual([...w.dataSync()], [...Float32Array.from(M)], 'weights put back');
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  dispose();
});

test('adaptive sharpness: worst case 0.5 rho^2 lambda_max(|w| H |w|), average 0.5 sigma^2 sum H_ii w_i^2', async () => {
  const h = symmetricWithEigenvalues(Array.from({ length: N }, (_, i) => (i === 0 ? 12 : 4 / (1 + i))));
  const { loss, w, dispose } = quadratic(h);
  const before = tf.memory().numTensors;
  const scaled = h.map((row, i) => row.map((x, j) => Math.abs(M[i]) * x * Math.abs(M[j])));
  const rho = 0.1;
  const worst = await adaptiveWorstCase(loss, rho, { steps: 20, seed: 0 });
  close(worst, 0.5 * rho ** 2 * jacobiEigenvalues(scaled)[0], 0.03, 'adaptive worst case');
  const sigma = 0.05;
  const average = await adaptiveAverageCase(loss, sigma, 400, 0);
  const expected = 0.5 * sigma ** 2 * h.reduce((s, row, i) => s + row[i] * M[i] ** 2, 0);
  close(average.average, expected, 0.05, 'adaptive average case');
  assert.ok(Math.abs(average.average - expected) < 4 * average.stderr, `within 4 standard errors (${average.stderr})`);
  assert.deepEqual([...w.dataSync()], [...Float32Array.from(M)], 'weights put back');
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  dispose();
});

for (const [what, spectrum, bound] of [
  ['positive definite', [10, 6, 3, 2, 1, 0.5], 0],
  // Mostly near-zero eigenvalues, as a network's Hessian has: a random start's Rayleigh quotient
  // then sits near the shift, which must not pass for convergence.
  ['with a large negative eigenvalue and many near zero, shifted by the dominant magnitude', [10, 6, 3, -9, ...Array<number>(36).fill(0.01)], 10],
] as const) test(`top-k eigenvalues of a known matrix by deflation (${what})`, async () => {
  const eigenvalues = [...spectrum];
  const w = variableOf(eigenvalues.map((_, i) => Math.sin(i + 1)));
  const matrix = tf.tensor2d(symmetricWithEigenvalues(eigenvalues));
  const loss = scalarLoss([w], () => tf.tidy(() => tf.mul(0.5, tf.sum(tf.mul(w, tf.squeeze(tf.matMul(matrix, tf.reshape(w, [-1, 1]))))))) as tf.Scalar);
  const fd = await hessianVectorProduct(loss, 'exact');
  const start = normalVector([[eigenvalues.length]], RandomStream.derive(1, 'start'));
  const before = tf.memory().numTensors;
  const top = await topEigenvalues(fd.hvp, start, 3, { maxIterations: 400, tolerance: 1e-8 }, bound);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  top.eigenvalues.forEach((value, i) => close(value, eigenvalues[i], 1e-3, `eigenvalue ${i + 1}`));
  // At vdm flatness's own tolerance the shift must not make the first iterates look converged.
  const coarse = await topEigenvalues(fd.hvp, start, 3, { maxIterations: 400, tolerance: 1e-3 }, bound);
  coarse.eigenvalues.forEach((value, i) => close(value, eigenvalues[i], 0.03, `eigenvalue ${i + 1} at tolerance 1e-3`));
  fd.dispose();
  tf.dispose([w, matrix, ...start]);
});
