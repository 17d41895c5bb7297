// Curvature figures from Hessian-vector products alone: the top eigenvalue by power iteration
// and the trace by Hutchinson's estimator (E[z^T H z] = tr H for Rademacher z).
import * as tf from '@tensorflow/tfjs';
import type { HessianVectorProduct } from './hvp.js';
import { disposeVector, dot, norm, scale, type ParamVector } from './vectors.js';

export interface PowerIterationOptions {
  readonly maxIterations: number;
  /** Stop once the eigenvalue estimate changes by less than this fraction of itself. */
  readonly tolerance: number;
}

export interface TopEigenvalue {
  /** The Rayleigh quotient v^T H v of the last unit vector. */
  readonly eigenvalue: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * The eigenvalue of largest magnitude (at a minimum, where H is positive semi-definite up to
 * noise, the largest one). `start` is not consumed.
 */
export async function powerIteration(hvp: HessianVectorProduct, start: ParamVector, options: PowerIterationOptions): Promise<TopEigenvalue> {
  let v: tf.Tensor[] = scale(start, 1 / (await norm(start)));
  let previous = Number.NaN;
  let eigenvalue = Number.NaN;
  let iterations = 0;
  let converged = false;
  try {
    while (iterations < options.maxIterations && !converged) {
      const product = await hvp(v);
      iterations++;
      eigenvalue = await dot(v, product);
      const length = await norm(product);
      disposeVector(v);
      v = length > 0 ? scale(product, 1 / length) : product;
      if (length > 0) disposeVector(product);
      converged = length === 0 || Math.abs(eigenvalue - previous) < options.tolerance * Math.abs(eigenvalue);
      previous = eigenvalue;
    }
  } finally {
    disposeVector(v);
  }
  return { eigenvalue, iterations, converged };
}

/**
 * The largest (most positive) eigenvalue. Away from a minimum the dominant one can be negative;
 * then power iteration on H - lambda I, whose dominant eigenvalue is lambda_max - lambda >= 0,
 * finds it (the shift is a standard trick; it costs a second run of iterations only then).
 */
export async function largestEigenvalue(hvp: HessianVectorProduct, start: ParamVector, options: PowerIterationOptions): Promise<TopEigenvalue> {
  const dominant = await powerIteration(hvp, start, options);
  if (!(dominant.eigenvalue < 0)) return dominant;
  const shift = dominant.eigenvalue;
  const shifted: HessianVectorProduct = async (v) => {
    const product = await hvp(v);
    const result = tf.tidy(() => product.map((p, i) => tf.sub(p, tf.mul(v[i], shift))));
    disposeVector(product);
    return result;
  };
  const top = await powerIteration(shifted, start, options);
  return { eigenvalue: top.eigenvalue + shift, iterations: dominant.iterations + top.iterations, converged: top.converged };
}

export interface TraceEstimate {
  readonly trace: number;
  /** Standard error of the mean over probes: sample std / sqrt(probes). */
  readonly stderr: number;
  /** z^T H z of each probe. */
  readonly samples: number[];
}

/** Hutchinson's estimate of tr H over `probes` vectors from `drawProbe` (at least 2, for the error). */
export async function hutchinsonTrace(hvp: HessianVectorProduct, drawProbe: () => tf.Tensor[], probes: number): Promise<TraceEstimate> {
  const samples: number[] = [];
  for (let i = 0; i < probes; i++) {
    const z = drawProbe();
    try {
      const product = await hvp(z);
      samples.push(await dot(z, product));
      disposeVector(product);
    } finally {
      disposeVector(z);
    }
  }
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(samples.length - 1, 1);
  return { trace: mean, stderr: Math.sqrt(variance / samples.length), samples };
}
