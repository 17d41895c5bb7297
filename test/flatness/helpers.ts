// Test helpers for the Hessian tools: a loss from any tf function of variables, and plain-JS
// linear algebra (float64) to check the estimates against.
import * as tf from '@tensorflow/tfjs';
import type { DifferentiableLoss } from '../../src/flatness/hvp.js';

/** A trainable variable holding `values` (the initial tensor freed, so leak checks stay exact). */
export function variableOf(values: number[] | number[][]): tf.Variable {
  const initial = tf.tensor(values);
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

/** A DifferentiableLoss of `fn`, differentiated by tfjs. */
export function scalarLoss(params: tf.Variable[], fn: () => tf.Scalar): DifferentiableLoss {
  return {
    params,
    terms: [fn],
    async gradient() {
      const { value, grads } = tf.variableGrads(fn, params);
      value.dispose();
      return params.map((p) => grads[p.name]);
    },
    async loss() {
      const value = tf.tidy(fn);
      const [loss] = await value.data();
      value.dispose();
      return loss;
    },
  };
}

export type Matrix = number[][];

/** A symmetric matrix with the given eigenvalues: Q diag(values) Q^T, Q a Householder reflection. */
export function symmetricWithEigenvalues(values: readonly number[]): Matrix {
  const n = values.length;
  const u = values.map((_, i) => Math.sin(1.3 * i + 0.7) + 0.5);
  const uu = u.reduce((s, x) => s + x * x, 0);
  const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i] * u[j]) / uu;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => values.reduce((s, lambda, k) => s + q(i, k) * lambda * q(j, k), 0)));
}

/**
 * Eigenvalues of a symmetric matrix by cyclic Jacobi rotations: each rotation zeroes one
 * off-diagonal pair; sweeps repeat until the off-diagonal mass is negligible.
 */
export function jacobiEigenvalues(matrix: Matrix): number[] {
  const a = matrix.map((row) => [...row]);
  const n = a.length;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]).sort((x, y) => y - x);
}
