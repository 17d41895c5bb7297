// Gradients for FusedBatchNorm and Mean that broadcast small tensors instead of materialising
// full-size ones. tfjs-core's BatchNorm gradient tiles 1/sqrt(var) to the activation size (on wasm
// that Tile took 15-35% of a ResNet-20 training step); its Mean gradient does two full-size ops
// where one suffices. Same maths as tfjs-core's, on every backend.
import * as tf from '@tensorflow/tfjs';

/** Sums `t` over the axes along which `shape` was broadcast up to t's shape, then reshapes to `shape`. */
function reduceToShape(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

const broadcastingBatchNormGradient: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const dyTensor = dy as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    // Computed here, not inside the per-input closures: the tape runs each closure in its own
    // tidy, so a value shared between closures must live in this (outer) scope. In training every
    // input's gradient is needed, so nothing is wasted.
    const invStd = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const scaledInvStd = scale == null ? invStd : tf.mul(invStd, scale);
    const sumDy = reduceToShape(dyTensor, mean.shape);
    // sum(dy * (x - mean)): the one full-size product the statistics' and scale's gradients need.
    const sumDyCentered = reduceToShape(tf.mul(dyTensor, tf.sub(x, mean)), mean.shape);
    return {
      x: () => tf.mul(dyTensor, scaledInvStd),
      mean: () => tf.neg(tf.mul(sumDy, scaledInvStd)),
      // d/dvar of (x - mean) * (var + eps)^-1/2 * scale = -1/2 (x - mean) (var + eps)^-3/2 scale
      variance: () => tf.mul(tf.mul(sumDyCentered, tf.mul(scaledInvStd, tf.square(invStd))), -0.5),
      scale: () => tf.mul(sumDyCentered, invStd),
      offset: () => tf.reshape(sumDy, mean.shape),
    };
  },
};

const broadcastingMeanGradient: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
    const reduceSize = axes.reduce((size, axis) => size * x.shape[axis]!, 1);
    const keptDimsShape = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
    // Divide while dy is small, then one broadcasting multiply spreads it to x's shape.
    return { x: () => tf.mul(tf.reshape(tf.div(dy as tf.Tensor, reduceSize), keptDimsShape), tf.ones(x.shape)) };
  },
};

/** Replaces tfjs-core's FusedBatchNorm and Mean gradients; idempotent (the registry keeps one per kernel). */
export function registerBroadcastingGradients(): void {
  tf.registerGradient(broadcastingBatchNormGradient);
  tf.registerGradient(broadcastingMeanGradient);
}
