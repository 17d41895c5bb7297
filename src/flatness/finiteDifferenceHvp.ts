// The fallback Hessian-vector product (`--hvp finite-difference`): central differences of
// gradients, Hv ~ (g(w + e v) - g(w - e v)) / (2 e), the weights moved and put back exactly.
// Biased on ReLU networks: a step of 1e-3 ||w|| crosses activation kinks, so it measures a
// smoothed curvature, not the Hessian (issue 22, LeNet-5 on MNIST: Hutchinson trace 127.7 against
// PyTorch's exact 46.1; see README "Flatness"). Kept to reproduce figures measured before exact products.
import * as tf from '@tensorflow/tfjs';
import type { DifferentiableLoss, HessianVectorProduct } from './hvp.js';
import { cloneVector, disposeVector, norm, scale, type ParamVector } from './vectors.js';

export interface FiniteDifferenceHvp {
  readonly hvp: HessianVectorProduct;
  /** Frees the saved copy of the weights (the variables themselves are left as they were). */
  dispose(): void;
}

/**
 * Why the step is e = relativeStep * ||w|| / ||v|| (so that ||e v|| = relativeStep * ||w||):
 * the central difference has a truncation error that grows as e^2 and a rounding error that
 * grows as 1/e. In float32 (unit roundoff u ~ 6e-8) each weight w_i + e v_i is rounded to about
 * u |w_i| and a gradient carries a relative error of a few u, so the balance point is near
 * u^(1/3) ~ 4e-3 of the weights' scale. On softmax regression (test/flatness/hvp.test.ts) the
 * error against the exact Hessian was 2e-3 at 1e-1, 2e-5 at 1e-2 and 3e-3, 6e-5 at 1e-3, 6e-4 at
 * 1e-4 and 6e-3 at 1e-5. We take 1e-3, on the small side of the optimum: a deep ReLU network is
 * far less smooth than softmax regression (a larger move crosses more kinks), and 1e-4 relative
 * error is far below the Hutchinson estimate's own noise. On a ResNet-20 trained to loss 2e-4
 * (saturated cross-entropy, tiny curvature) the figures depend on the step: lambda_max 440 / 0.42
 * / 0.19 / 0.17 and trace 1.6 / 2.2 +- 0.5 / 3.6 +- 1.1 / 23 +- 6 at 1e-2 / 1e-3 / 1e-4 / 1e-5
 * (truncation above, float32 noise below); compare runs only at one step, which flatness.json
 * records. A zero weight vector uses scale 1.
 */
export const DEFAULT_RELATIVE_STEP = 1e-3;

/** Finite-difference Hv at the variables' current values of `loss`. */
export async function finiteDifferenceHvp(loss: DifferentiableLoss, relativeStep = DEFAULT_RELATIVE_STEP): Promise<FiniteDifferenceHvp> {
  const origin = cloneVector(loss.params);
  const weightScale = (await norm(origin)) || 1;
  const moveTo = (v: ParamVector, step: number) =>
    tf.tidy(() => loss.params.forEach((p, i) => p.assign(tf.add(origin[i], tf.mul(v[i], step)))));
  const restore = () => loss.params.forEach((p, i) => p.assign(origin[i]));

  const hvp: HessianVectorProduct = async (v) => {
    const length = await norm(v);
    if (length === 0) return scale(v, 0);
    const step = (relativeStep * weightScale) / length;
    let plus: tf.Tensor[] = [];
    let minus: tf.Tensor[] = [];
    try {
      moveTo(v, step);
      plus = await loss.gradient();
      moveTo(v, -step);
      minus = await loss.gradient();
    } catch (error) {
      disposeVector(plus);
      throw error;
    } finally {
      restore();
    }
    const product = tf.tidy(() => plus.map((g, i) => tf.div(tf.sub(g, minus[i]), 2 * step)));
    disposeVector(plus);
    disposeVector(minus);
    return product;
  };
  return { hvp, dispose: () => disposeVector(origin) };
}
