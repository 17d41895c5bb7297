// Hessian-vector products of a loss at the weights the variables hold: exact, by differentiating
// the gradient (exactHvp.ts, the default), or by central differences of gradients
// (finiteDifferenceHvp.ts, a fallback whose bias on ReLU networks is stated there).
import type * as tf from '@tensorflow/tfjs';
import { exactHvp } from './exactHvp.js';
import { DEFAULT_RELATIVE_STEP, finiteDifferenceHvp } from './finiteDifferenceHvp.js';
import type { HvpMethod } from './hvpMethods.js';
import type { ParamVector } from './vectors.js';

/** A scalar loss of some variables: a sum of terms (one per batch), its value and its gradient. */
export interface DifferentiableLoss {
  readonly params: readonly tf.Variable[];
  /** The loss as a sum of these scalars, each computed afresh from the variables (so it can be taped). */
  readonly terms: readonly (() => tf.Scalar)[];
  /** The gradient at the variables' current values: new tensors, one per param; the caller disposes them. */
  gradient(): Promise<tf.Tensor[]>;
  loss(): Promise<number>;
}

/** v -> H v at the point the variables held when the product was made; returns new tensors. */
export type HessianVectorProduct = (v: ParamVector) => Promise<tf.Tensor[]>;

export { HVP_METHODS, type HvpMethod } from './hvpMethods.js';

export interface HvpOperator {
  readonly hvp: HessianVectorProduct;
  readonly method: HvpMethod;
  /** The finite-difference step as a fraction of ||w||; null for exact products. */
  readonly relativeStep: number | null;
  /** Frees what the operator holds (the variables themselves are left as they were). */
  dispose(): void;
}

/** The Hessian-vector product of `loss` by `method` (relativeStep: finite differences only). */
export async function hessianVectorProduct(loss: DifferentiableLoss, method: HvpMethod, relativeStep = DEFAULT_RELATIVE_STEP): Promise<HvpOperator> {
  if (method === 'exact') return { hvp: exactHvp(loss), method, relativeStep: null, dispose: () => {} };
  const fd = await finiteDifferenceHvp(loss, relativeStep);
  return { hvp: fd.hvp, method, relativeStep, dispose: fd.dispose };
}
