// Log-softmax over the last axis whose gradient is itself differentiable, so a nested tf.grad
// (an exact Hessian-vector product, src/flatness/exactHvp.ts) sees the softmax's curvature.
// tf.logSoftmax is a customGrad whose gradient reads the forward value the op saved; that value is
// made inside the op, off the tape, so a gradient of the gradient treats it as a constant and
// loses the softmax's curvature, the largest part of a classifier's Hessian.
import * as tf from '@tensorflow/tfjs';
import { releasingCustomGradient } from './earlyGradientRelease.js';
import { recordingGradientOps } from './nestedGradients.js';

/** Same forward value and, outside a nested gradient, the same first-order gradient as tf.logSoftmax. */
export function logSoftmax(logits: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const [input] = args as tf.Tensor[];
    const save = args[1] as tf.GradSaveFunc;
    const value = tf.logSoftmax(input!);
    // The input too (engine clones stay on the tape, unlike tensors made inside this op).
    save([value, input!]);
    return {
      value,
      // Tidied: a customGrad gradient runs outside the engine's per-input tidy.
      gradFunc: releasingCustomGradient((dy, saved) => tf.tidy(() => {
        const upstream = dy as tf.Tensor;
        // Recomputed from the saved input when this gradient is itself being recorded.
        const softmax = recordingGradientOps() ? tf.softmax(saved[1]!) : tf.exp(saved[0]!);
        return tf.sub(upstream, tf.mul(tf.sum(upstream, -1, true), softmax));
      })),
    };
  });
  return op(logits);
}
