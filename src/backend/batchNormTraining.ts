// BatchNorm over the batch's own statistics as ONE differentiable op with a hand-written
// gradient, built from the ops that are fast on wasm: tf.moments + tf.batchNorm + autodiff took
// ~25% of a wasm ResNet-20 step (FusedBatchNorm alone runs 20x slower there than a broadcast
// multiply, and reducing over the outer axes transposes first). Same maths on every backend.
import * as tf from '@tensorflow/tfjs';
import { releasingCustomGradient } from './earlyGradientRelease.js';
import { divideByConstant } from './constantOperands.js';
import { recordingGradientOps } from './nestedGradients.js';
import { BATCH_NORM_APPLY_KERNEL, BATCH_NORM_INPUT_GRAD_KERNEL, BATCH_NORM_SCALE_GRAD_KERNEL } from './webgpuBatchNormKernels.js';
import { CHANNEL_SUMS_KERNEL, type ChannelSumTerm } from './channelSumsKernel.js';
import { hasFusedKernel, runFusedKernel } from './webgpuElementwise.js';

export interface BatchNormTrainingResult {
  readonly y: tf.Tensor;
  /** Batch mean and biased batch variance per channel (kept: the caller disposes them). */
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

/**
 * Per-channel sums of rows [count, channels] as [1, channels]. As rows^T times a column of ones:
 * 2x faster on wasm than tf.sum over axis 0, and the big operand is not packed as matmul weights
 * (ones^T times rows would repack it on every call). Same sums either way; cpu keeps the matmul.
 */
function channelSums(rows: tf.Tensor2D): tf.Tensor2D {
  // On webgpu that transposed matmul is the slowest kernel of a ResNet-20 step (64% of it under
  // SwiftShader; tf.profile in `npm run bench -- gpu`); its reduction kernel is the fast path there.
  if (tf.getBackend() === 'webgpu') return tf.sum(rows, 0, true);
  const [count, channels] = rows.shape;
  return tf.reshape(tf.matMul(rows, tf.ones([count, 1]) as tf.Tensor2D, true, false), [1, channels]);
}

/**
 * Per-channel sums of a's values, squares or products with b, as [1, channels]: vdm's fused
 * kernel where the backend has one (webgpuChannelSums.ts: one dispatch, the same sums as the
 * ops; wasmChannelSums.ts: one SIMD pass, float64 sums as cpu's); the ops on cpu and on a
 * gradient tape (`taped`), where only differentiable ops may run.
 */
function channelSumsOf(term: ChannelSumTerm, taped: boolean, a: tf.Tensor2D, b?: tf.Tensor2D): tf.Tensor2D {
  if (!taped && hasFusedKernel(CHANNEL_SUMS_KERNEL)) {
    return runFusedKernel(CHANNEL_SUMS_KERNEL, b === undefined ? { a } : { a, b }, { term })[0] as tf.Tensor2D;
  }
  if (term === 'value') return channelSums(a);
  return channelSums((term === 'square' ? tf.square(a) : tf.mul(a, b!)) as tf.Tensor2D);
}

/**
 * dx, dgamma and dbeta on webgpu's fused kernels, from the saved centred rows [count, channels],
 * variance and gamma (1/sigma and gamma/sigma are recomputed inside the kernels). Not on a tape.
 */
function fusedGradient(dyRows: tf.Tensor2D, saved: tf.Tensor2D[], shape: number[], epsilon: number): tf.Tensor[] {
  const [centered, variance, gamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [count, channels] = dyRows.shape;
  const sumDy = channelSumsOf('value', false, dyRows);
  const sumDyCentered = channelSumsOf('product', false, dyRows, centered);
  const dx = runFusedKernel(BATCH_NORM_INPUT_GRAD_KERNEL, { dy: dyRows, centered, variance, gamma, sumDyCentered, sumDy }, { count, epsilon })[0]!;
  const dgamma = runFusedKernel(BATCH_NORM_SCALE_GRAD_KERNEL, { sumDyCentered, variance }, { epsilon })[0]!;
  return [tf.reshape(dx, shape), tf.reshape(dgamma, [channels]), tf.reshape(sumDy, [channels])];
}

/**
 * y = (x - mean) / sqrt(var + eps) * gamma + beta over the batch statistics of x's last axis.
 * Gradient: with xhat = (x - mean) / sigma, dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)),
 * dgamma = sum(dy * xhat), dbeta = sum(dy).
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const channels = x.shape[x.rank - 1]!;
  const count = x.size / channels;
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  /**
   * Per-channel mean, centred rows and variance of rows [count, channels].
   * `taped`: on a gradient tape (the nested-gradient recomputation), so only differentiable ops.
   */
  const statistics = (rows: tf.Tensor2D, taped: boolean) => {
    const divide = taped ? (t: tf.Tensor, c: number) => tf.div(t, c) : divideByConstant;
    const mean2d = divide(channelSumsOf('value', taped, rows), count);
    const centered = tf.sub(rows, mean2d) as tf.Tensor2D;
    const variance2d = divide(channelSumsOf('square', taped, centered), count);
    return { mean2d, centered, variance2d };
  };
  /** 1/sigma and gamma/sigma (the fused webgpu kernels compute these themselves). */
  const scales = (variance2d: tf.Tensor, gammaParam: tf.Tensor) => {
    const invStd = tf.rsqrt(tf.add(variance2d, epsilon));
    return { invStd, scale: tf.mul(invStd, gammaParam) };
  };
  const recomputed = (input: tf.Tensor, gammaParam: tf.Tensor): tf.Tensor2D[] => {
    const { centered, variance2d } = statistics(tf.reshape(input, [count, channels]) as tf.Tensor2D, true);
    const { invStd, scale } = scales(variance2d, gammaParam);
    return [centered, invStd, scale] as tf.Tensor2D[];
  };
  const op = tf.customGrad((...args) => {
    const [input, scaleParam, offsetParam] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    // webgpu: the fused kernels recompute 1/sigma and gamma/sigma per invocation (webgpuBatchNormKernels.ts).
    // The forward pass is not on the tape (customGrad), so they may always run here.
    const fused = hasFusedKernel(BATCH_NORM_APPLY_KERNEL);
    const rows = tf.reshape(input!, [count, channels]) as tf.Tensor2D;
    const { mean2d, centered, variance2d } = statistics(rows, false);
    mean = tf.keep(tf.reshape(mean2d, [channels]) as tf.Tensor1D);
    variance = tf.keep(tf.reshape(variance2d, [channels]) as tf.Tensor1D);
    let normalised: tf.Tensor;
    // x and gamma last: engine clones of the inputs stay on the tape (the tensors made here do not),
    // so a nested gradient can recompute the rest from them. Clones share the inputs' buffers.
    if (fused) {
      normalised = runFusedKernel(BATCH_NORM_APPLY_KERNEL, { centered, variance: variance2d, gamma: scaleParam!, offset: offsetParam! }, { epsilon })[0]!;
      save([centered, variance2d, scaleParam!, input!, scaleParam!]);
    } else {
      const { invStd, scale } = scales(variance2d, scaleParam!);
      normalised = tf.add(tf.mul(centered, scale), offsetParam!);
      save([centered, invStd, scale, input!, scaleParam!]);
    }
    const y = tf.reshape(normalised, x.shape);
    return {
      value: y,
      // A customGrad gradient runs outside the engine's per-input tidy: without its own, its
      // full-size temporaries (dy * centered, dy * scale, ...) lived until the backward pass ended.
      gradFunc: releasingCustomGradient((dy, saved) => tf.tidy(() => {
        const dyRows = tf.reshape(dy as tf.Tensor, [count, channels]) as tf.Tensor2D;
        // Inside a nested gradient the tensors made in the forward pass are constants to the outer
        // one: recompute them from the saved x and gamma, so this gradient is differentiable.
        const taped = recordingGradientOps();
        if (fused && !taped) return fusedGradient(dyRows, saved as tf.Tensor2D[], x.shape, epsilon);
        const [savedCentered, savedInvStd, savedScale] = taped ? recomputed(saved[3]!, saved[4]!) : (saved as tf.Tensor2D[]);
        const sumDy = channelSumsOf('value', taped, dyRows);
        const sumDyCentered = channelSumsOf('product', taped, dyRows, savedCentered);
        // dx = scale*dy - (centered * scale*invStd^2*mean(dy*centered) + scale*mean(dy))
        const dx = tf.sub(
          tf.mul(dyRows, savedScale),
          tf.add(
            tf.mul(savedCentered, tf.mul(savedScale, tf.mul(tf.square(savedInvStd), tf.div(sumDyCentered, count)))),
            tf.mul(savedScale, tf.div(sumDy, count)),
          ),
        );
        return [
          tf.reshape(dx, x.shape),
          tf.reshape(tf.mul(sumDyCentered, savedInvStd), [channels]),
          tf.reshape(sumDy, [channels]),
        ];
      })),
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: mean!, variance: variance! };
}
