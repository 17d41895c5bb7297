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
  const { vector, ...result } = await powerIterationWithVector(hvp, start, options);
  disposeVector(vector);
  return result;
}

/** The same, keeping the last unit vector (new tensors; the caller disposes them). */
async function powerIterationWithVector(
  hvp: HessianVectorProduct,
  start: ParamVector,
  options: PowerIterationOptions,
  /** hvp is H + shift I: the tolerance applies to the eigenvalue of H, not to the shifted one (which it would make look converged at once). */
  shift = 0,
): Promise<TopEigenvalue & { vector: tf.Tensor[] }> {
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
      if (length === 0) {
        disposeVector(product);
        converged = true;
        break;
      }
      disposeVector(v);
      v = scale(product, 1 / length);
      disposeVector(product);
      converged = Math.abs(eigenvalue - previous) < options.tolerance * Math.abs(eigenvalue - shift);
      previous = eigenvalue;
    }
  } catch (error) {
    disposeVector(v);
    throw error;
  }
  return { eigenvalue, iterations, converged, vector: v };
}

export interface TopEigenvalues {
  /** Largest first. */
  readonly eigenvalues: number[];
  readonly iterations: number;
}

/**
 * The k largest eigenvalues by deflation: after each one is found, power iteration runs on
 * P (H + m I) P, P projecting out every eigenvector found so far (symmetric, and the found
 * directions map to zero even where an eigenvector is only approximate), as PyHessian does.
 * `magnitudeBound` m >= |lambda| for every eigenvalue (the dominant one's magnitude) makes
 * H + m I positive semi-definite, so largest magnitude there is largest here: near a minimum
 * of a small network, negative eigenvalues as large as the positive ones are common.
 */
export async function topEigenvalues(
  hvp: HessianVectorProduct,
  start: ParamVector,
  k: number,
  options: PowerIterationOptions,
  magnitudeBound = 0,
): Promise<TopEigenvalues> {
  const found: tf.Tensor[][] = [];
  const project = async (v: ParamVector): Promise<tf.Tensor[]> => {
    let result: tf.Tensor[] = v.map((t) => t.clone());
    for (const u of found) {
      const coefficient = await dot(u, result);
      const previous = result;
      result = tf.tidy(() => previous.map((t, i) => tf.sub(t, tf.mul(u[i], coefficient))));
      disposeVector(previous);
    }
    return result;
  };
  const deflated: HessianVectorProduct = async (v) => {
    const projected = await project(v);
    const raw = await hvp(projected);
    const product = tf.tidy(() => raw.map((p, i) => tf.add(p, tf.mul(projected[i], magnitudeBound))));
    disposeVector(raw);
    disposeVector(projected);
    const result = await project(product);
    disposeVector(product);
    return result;
  };
  const eigenvalues: number[] = [];
  let iterations = 0;
  try {
    for (let j = 0; j < k; j++) {
      const projectedStart = await project(start);
      try {
        const next = await powerIterationWithVector(deflated, projectedStart, options, magnitudeBound);
        eigenvalues.push(next.eigenvalue - magnitudeBound);
        iterations += next.iterations;
        found.push(next.vector);
      } finally {
        disposeVector(projectedStart);
      }
    }
  } finally {
    found.forEach(disposeVector);
  }
  return { eigenvalues, iterations };
}

/**
 * The largest (most positive) eigenvalue. Away from a minimum the dominant one can be negative;
 * then power iteration on H - lambda I, whose dominant eigenvalue is lambda_max - lambda >= 0,
 * finds it (the shift is a standard trick; it costs a second run of iterations only then).
 */
export async function largestEigenvalue(hvp: HessianVectorProduct, start: ParamVector, options: PowerIterationOptions): Promise<TopEigenvalue & { dominantMagnitude: number }> {
  const dominant = await powerIteration(hvp, start, options);
  const dominantMagnitude = Math.abs(dominant.eigenvalue);
  if (!(dominant.eigenvalue < 0)) return { ...dominant, dominantMagnitude };
  const shift = dominant.eigenvalue;
  const shifted: HessianVectorProduct = async (v) => {
    const product = await hvp(v);
    const result = tf.tidy(() => product.map((p, i) => tf.sub(p, tf.mul(v[i], shift))));
    disposeVector(product);
    return result;
  };
  const top = await powerIteration(shifted, start, options);
  return { eigenvalue: top.eigenvalue + shift, iterations: dominant.iterations + top.iterations, converged: top.converged, dominantMagnitude };
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
