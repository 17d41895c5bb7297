// Finite-difference and exact Hessian-vector products against the exact Hessian of softmax
// regression (not quadratic, so the truncation error is exercised), computed in float64 in plain JS.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { logSoftmax } from '../../src/backend/logSoftmax.js';
import { selectBackend } from '../../src/backend/resolve.js';
import { finiteDifferenceHvp } from '../../src/flatness/finiteDifferenceHvp.js';
import { hessianVectorProduct } from '../../src/flatness/hvp.js';
import { RandomStream } from '../../src/random.js';
import { scalarLoss, variableOf, type Matrix } from './helpers.js';

before(async () => {
  await selectBackend('cpu');
});

const SAMPLES = 12;
const FEATURES = 3;
const CLASSES = 3;
const rng = RandomStream.derive(5, 'softmax regression');
const draw = (rows: number, cols: number, scale: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * rng.normal()));
const X = draw(SAMPLES, FEATURES, 1);
const LABELS = Array.from({ length: SAMPLES }, (_, n) => n % CLASSES);
const W0 = draw(FEATURES, CLASSES, 0.8);
const B0 = [0.2, -0.1, 0.3];

/** Exact Hessian of the mean cross-entropy in (W row-major, then b): sum_n phi phi^T (diag p - p p^T) / N. */
function exactHessian(w: Matrix, b: number[]): Matrix {
  const size = FEATURES * CLASSES + CLASSES;
  const h = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (const x of X) {
    const logits = b.map((bias, a) => bias + x.reduce((s, xi, i) => s + xi * w[i][a], 0));
    const top = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - top));
    const p = exps.map((e) => e / exps.reduce((s, v) => s + v, 0));
    // Feature of each parameter for this sample: x_i for W[i][a], 1 for b[a]; and its class a.
    const feature = (k: number) => (k < FEATURES * CLASSES ? x[Math.floor(k / CLASSES)] : 1);
    const classOf = (k: number) => (k < FEATURES * CLASSES ? k % CLASSES : k - FEATURES * CLASSES);
    for (let k = 0; k < size; k++) {
      for (let l = 0; l < size; l++) {
        const a = classOf(k);
        const c = classOf(l);
        h[k][l] += (feature(k) * feature(l) * (p[a] * (a === c ? 1 : 0) - p[a] * p[c])) / SAMPLES;
      }
    }
  }
  return h;
}

function softmaxRegression() {
  const w = variableOf(W0);
  const b = variableOf(B0);
  const x = tf.tensor2d(X);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(LABELS, 'int32'), CLASSES));
  const loss = scalarLoss([w, b], () =>
    tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, logSoftmax(tf.add(tf.matMul(x, w), b))), 1)))) as tf.Scalar,
  );
  return { loss, dispose: () => tf.dispose([w, b, x, labels]) };
}

/** The parameter vector (W, b) of a flat array, as tensors shaped like the variables. */
function asParamVector(flat: number[]): tf.Tensor[] {
  return [tf.tensor2d(flat.slice(0, FEATURES * CLASSES), [FEATURES, CLASSES]), tf.tensor1d(flat.slice(FEATURES * CLASSES))];
}

async function flatten(v: tf.Tensor[]): Promise<number[]> {
  const parts = await Promise.all(v.map((t) => t.data()));
  return parts.flatMap((p) => [...p]);
}

const relativeError = (a: number[], b: number[]) =>
  Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0) / b.reduce((s, x) => s + x * x, 0));

async function finiteDifferenceProducts(relativeStep: number, vectors: number[][]): Promise<number[][]> {
  const { loss, dispose } = softmaxRegression();
  const fd = await finiteDifferenceHvp(loss, relativeStep);
  const products: number[][] = [];
  for (const flat of vectors) {
    const v = asParamVector(flat);
    const product = await fd.hvp(v);
    products.push(await flatten(product));
    tf.dispose([...v, ...product]);
  }
  fd.dispose();
  dispose();
  return products;
}

const SIZE = FEATURES * CLASSES + CLASSES;
const exact = exactHessian(W0, B0);
const times = (h: Matrix, v: number[]) => h.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
const randomDirections = Array.from({ length: 4 }, () => Array.from({ length: SIZE }, () => rng.normal()));

test('the finite-difference HVP matches the exact Hessian of softmax regression to ~1e-3 (float32)', async () => {
  const before = tf.memory().numTensors;
  const products = await finiteDifferenceProducts(1e-3, randomDirections);
  products.forEach((product, i) => {
    const error = relativeError(product, times(exact, randomDirections[i]));
    assert.ok(error < 2e-3, `direction ${i}: relative error ${error}`);
  });
  assert.equal(tf.memory().numTensors, before);
});

test('the default step beats much larger (truncation) and much smaller (float32 rounding) ones', async () => {
  const errorAt = async (step: number) => {
    const products = await finiteDifferenceProducts(step, randomDirections);
    return Math.max(...products.map((p, i) => relativeError(p, times(exact, randomDirections[i]))));
  };
  const [large, chosen, small] = [await errorAt(3e-1), await errorAt(1e-3), await errorAt(1e-6)];
  assert.ok(chosen < large && chosen < small, `errors: step 0.3 ${large}, 1e-3 ${chosen}, 1e-6 ${small}`);
});

test('the HVP-built Hessian is symmetric: u^T H v = v^T H u', async () => {
  const [u, v] = randomDirections;
  const [hu, hv] = await finiteDifferenceProducts(1e-3, [u, v]);
  const uHv = u.reduce((s, x, i) => s + x * hv[i], 0);
  const vHu = v.reduce((s, x, i) => s + x * hu[i], 0);
  assert.ok(Math.abs(uHv - vHu) < 1e-3 * Math.max(Math.abs(uHv), 1e-3), `u^T H v ${uHv} vs v^T H u ${vHu}`);
});

async function exactProducts(vectors: number[][]): Promise<number[][]> {
  const { loss, dispose } = softmaxRegression();
  const exactHessian = await hessianVectorProduct(loss, 'exact');
  const products: number[][] = [];
  for (const flat of vectors) {
    const v = asParamVector(flat);
    const product = await exactHessian.hvp(v);
    products.push(await flatten(product));
    tf.dispose([...v, ...product]);
  }
  exactHessian.dispose();
  dispose();
  return products;
}

test('the exact HVP (nested gradients) matches the exact Hessian of softmax regression to float32 rounding', async () => {
  const before = tf.memory().numTensors;
  const products = await exactProducts(randomDirections);
  products.forEach((product, i) => {
    const error = relativeError(product, times(exact, randomDirections[i]));
    assert.ok(error < 1e-5, `direction ${i}: relative error ${error}`);
  });
  assert.equal(tf.memory().numTensors, before);
  const [u, v] = randomDirections;
  const [hu, hv] = products;
  const uHv = u.reduce((s, x, i) => s + x * hv[i], 0);
  const vHu = v.reduce((s, x, i) => s + x * hu[i], 0);
  assert.ok(Math.abs(uHv - vHu) < 1e-5 * Math.abs(uHv), `u^T H v ${uHv} vs v^T H u ${vHu}`);
});
