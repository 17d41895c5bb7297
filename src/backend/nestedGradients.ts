// Whether the ops running now are being recorded for a gradient: true inside a gradient function
// only when that gradient is itself being differentiated (a nested tf.grad, as exact
// Hessian-vector products take). A hand-written gradient that reads tensors its forward pass
// saved must then recompute them from its live inputs: the saved ones were made inside the op,
// off the tape, so the outer gradient would treat them as constants.
import * as tf from '@tensorflow/tfjs';

export function recordingGradientOps(): boolean {
  return tf.engine().isTapeOn();
}
