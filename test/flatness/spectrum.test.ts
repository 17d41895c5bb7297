// Power iteration and Hutchinson's trace on quadratics 0.5 w^T A w, whose Hessian A is known exactly.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { hessianVectorProduct } from '../../src/flatness/hvp.js';
import { hutchinsonTrace, largestEigenvalue, powerIteration } from '../../src/flatness/spectrum.js';
import { normalVector, rademacherVector } from '../../src/flatness/vectors.js';
import { RandomStream } from '../../src/random.js';
import { jacobiEigenvalues, scalarLoss, variableOf, symmetricWithEigenvalues, type Matrix } from './helpers.js';

before(async () => {
  await selectBackend('cpu');
});

const EIGENVALUES = [10, 5, 3, 2, 1, 0.5];
const TRACE = EIGENVALUES.reduce((a, b) => a + b, 0);

/** Top eigenvalue and a Hutchinson trace of 0.5 w^T A w through exact HVPs at `at`. */
async function measureQuadratic(a: Matrix, at: number[], probes = 10) {
  const w = variableOf(at);
  const matrix = tf.tensor2d(a);
  const loss = scalarLoss([w], () => tf.tidy(() => tf.mul(0.5, tf.sum(tf.mul(w, tf.squeeze(tf.matMul(matrix, tf.reshape(w, [-1, 1]))))))) as tf.Scalar);
  const { hvp, dispose } = await hessianVectorProduct(loss, 'exact');
  const start = normalVector([[a.length]], RandomStream.derive(1, 'start'));
  const rng = RandomStream.derive(1, 'probes');
  try {
    const top = await powerIteration(hvp, start, { maxIterations: 100, tolerance: 1e-6 });
    const trace = await hutchinsonTrace(hvp, () => rademacherVector([[a.length]], rng), probes);
    const after = await w.data();
    return { top, trace, after: [...after] };
  } finally {
    dispose();
    tf.dispose([w, matrix, ...start]);
  }
}

test('the Jacobi helper recovers the eigenvalues a test matrix is built with', () => {
  jacobiEigenvalues(symmetricWithEigenvalues(EIGENVALUES)).forEach((value, i) => assert.ok(Math.abs(value - EIGENVALUES[i]) < 1e-10, `${value}`));
});

test('power iteration finds the top eigenvalue of a quadratic, and leaves the weights as they were', async () => {
  const before = tf.memory().numTensors;
  const at = [0.3, -1.2, 0.8, 2.0, -0.5, 0.1];
  const { top, after } = await measureQuadratic(symmetricWithEigenvalues(EIGENVALUES), at);
  assert.ok(Math.abs(top.eigenvalue - 10) < 1e-3 * 10, `lambda_max ${top.eigenvalue}`);
  assert.ok(top.converged && top.iterations < 100, `${top.iterations} iterations`);
  assert.deepEqual(after, [...Float32Array.from(at)]);
  assert.equal(tf.memory().numTensors, before);
});

test('power iteration stops early at the relative-change tolerance and reports the iterations run', async () => {
  const w = variableOf([1, 1]);
  const loss = scalarLoss([w], () => tf.tidy(() => tf.sum(tf.mul([2, 0.5], tf.square(w)))) as tf.Scalar); // H = diag(4, 1)
  const { hvp, dispose } = await hessianVectorProduct(loss, 'exact');
  const start = [tf.tensor1d([1, 1])];
  const loose = await powerIteration(hvp, start, { maxIterations: 50, tolerance: 1e-2 });
  const capped = await powerIteration(hvp, start, { maxIterations: 2, tolerance: 1e-12 });
  dispose();
  tf.dispose([w, ...start]);
  assert.ok(loose.converged && loose.iterations < 10, `${loose.iterations}`);
  assert.ok(Math.abs(loose.eigenvalue - 4) < 0.05 * 4, `${loose.eigenvalue}`);
  assert.equal(capped.iterations, 2);
  assert.equal(capped.converged, false);
});

test('Hutchinson is exact for a diagonal Hessian and within its standard error for a dense one', async () => {
  const diagonal = EIGENVALUES.map((value, i) => EIGENVALUES.map((_, j) => (i === j ? value : 0)));
  const exact = await measureQuadratic(diagonal, [1, 2, 3, 4, 5, 6], 3);
  assert.ok(Math.abs(exact.trace.trace - TRACE) < 1e-3 * TRACE, `${exact.trace.trace}`);
  assert.ok(exact.trace.stderr < 1e-3 * TRACE, `${exact.trace.stderr}`);

  const dense = symmetricWithEigenvalues(EIGENVALUES);
  const { trace } = await measureQuadratic(dense, [0.3, -1.2, 0.8, 2.0, -0.5, 0.1], 40);
  assert.equal(trace.samples.length, 40);
  // Var(z^T A z) = 2 * sum of squared off-diagonal entries: the reported error should match it.
  const offDiagonal = dense.flatMap((row, i) => row.filter((_, j) => j !== i)).reduce((s, x) => s + x * x, 0);
  const expectedStderr = Math.sqrt((2 * offDiagonal) / 40);
  assert.ok(trace.stderr > 0.5 * expectedStderr && trace.stderr < 2 * expectedStderr, `stderr ${trace.stderr} vs ${expectedStderr}`);
  assert.ok(Math.abs(trace.trace - TRACE) < 4 * trace.stderr, `trace ${trace.trace} +- ${trace.stderr}, true ${TRACE}`);
});

test('a sharper quadratic reads sharper: doubling A doubles lambda_max and the trace', async () => {
  const a = symmetricWithEigenvalues(EIGENVALUES);
  const at = [0.3, -1.2, 0.8, 2.0, -0.5, 0.1];
  const once = await measureQuadratic(a, at);
  const twice = await measureQuadratic(a.map((row) => row.map((x) => 2 * x)), at);
  assert.ok(Math.abs(twice.top.eigenvalue / once.top.eigenvalue - 2) < 1e-3, `${twice.top.eigenvalue} / ${once.top.eigenvalue}`);
  // Same seeded probes on both, so the estimates scale exactly too.
  assert.ok(Math.abs(twice.trace.trace / once.trace.trace - 2) < 1e-3, `${twice.trace.trace} / ${once.trace.trace}`);
});

test('away from a minimum the largest eigenvalue is found even when a negative one dominates', async () => {
  const before = tf.memory().numTensors;
  const w = variableOf([0.4, -0.2, 0.7]);
  // H = diag(-5, 2, 1): power iteration alone converges to -5; the top eigenvalue is 2.
  const loss = scalarLoss([w], () => tf.tidy(() => tf.sum(tf.mul([-2.5, 1, 0.5], tf.square(w)))) as tf.Scalar);
  const { hvp, dispose } = await hessianVectorProduct(loss, 'exact');
  const start = [tf.tensor1d([1, 1, 1])];
  const dominant = await powerIteration(hvp, start, { maxIterations: 200, tolerance: 1e-8 });
  const top = await largestEigenvalue(hvp, start, { maxIterations: 200, tolerance: 1e-8 });
  dispose();
  tf.dispose([w, ...start]);
  assert.ok(Math.abs(dominant.eigenvalue + 5) < 1e-2, `dominant ${dominant.eigenvalue}`);
  assert.ok(Math.abs(top.eigenvalue - 2) < 1e-2, `largest ${top.eigenvalue}`);
  assert.ok(top.iterations > dominant.iterations, 'the shifted run adds its iterations');
  assert.equal(tf.memory().numTensors, before);
});
