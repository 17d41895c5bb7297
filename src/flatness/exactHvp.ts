// Exact Hessian-vector products by nested reverse-mode gradients (Pearlmutter 1994):
// H v = d/dw (g(w) . v), with g taped inside an outer gradient. tfjs supports this once every op's
// gradient is itself differentiable, which src/backend/secondOrderGradients.ts, logSoftmax.ts and
// batchNormTraining.ts see to; the PyTorch parity tests (test/flatness/torchParity*.test.ts) check it.
import * as tf from '@tensorflow/tfjs';
import type { DifferentiableLoss, HessianVectorProduct } from './hvp.js';
import { disposeVector, type ParamVector } from './vectors.js';

/** H v of one scalar term: the gradient of (its gradient . v). Costs about two to three gradients. */
function termProduct(term: () => tf.Scalar, params: readonly tf.Variable[], v: ParamVector): tf.Tensor[] {
  const { value, grads } = tf.variableGrads(() => {
    const inner = tf.variableGrads(term, [...params]).grads;
    // A weight the term does not reach has no gradient: it adds nothing to g . v.
    return tf.addN(params.map((p, i) => (inner[p.name] ? tf.sum(tf.mul(inner[p.name]!, v[i]!)) : tf.scalar(0)))) as tf.Scalar;
  }, [...params]);
  value.dispose();
  return params.map((p) => grads[p.name] ?? tf.zerosLike(p));
}

/** H v summed over the loss's terms (batches), at the variables' current values. */
export function exactHvp(loss: Pick<DifferentiableLoss, 'params' | 'terms'>): HessianVectorProduct {
  return async (v) => {
    let sum: tf.Tensor[] | null = null;
    for (const term of loss.terms) {
      const product = termProduct(term, loss.params, v);
      if (sum === null) sum = product;
      else {
        const previous: tf.Tensor[] = sum;
        sum = tf.tidy(() => previous.map((t, i) => tf.add(t, product[i]!)));
        disposeVector(previous);
        disposeVector(product);
      }
    }
    return sum ?? loss.params.map((p) => tf.zerosLike(p));
  };
}
