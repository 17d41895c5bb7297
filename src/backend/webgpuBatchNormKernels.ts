// The elementwise halves of the training BatchNorm (batchNormTraining.ts) as one dispatch each on
// webgpu: y = centered*scale + beta (2 ops) and the input gradient from the per-channel sums (10 ops,
// 2 of them scalar uploads: dx = dy*scale - (centered*scale*invStd^2*sum(dy*centered)/n + scale*sum(dy)/n)).
// Same f32 operations in the same order as the ops; per-channel operands are read by channel
// instead of broadcast. Registered for 'webgpu' only.
import * as tf from '@tensorflow/tfjs';
import { runElementwise, type ElementwiseShader } from './webgpuElementwise.js';

export const BATCH_NORM_APPLY_KERNEL = 'VdmBatchNormApply';
export const BATCH_NORM_INPUT_GRAD_KERNEL = 'VdmBatchNormInputGrad';

const applyShader: ElementwiseShader = {
  key: 'batch_norm_apply',
  inputs: ['X', 'S', 'B'],
  perChannel: ['S', 'B'],
  uniforms: [],
  body: 'let result = X[index] * S[channel] + B[channel];',
};

// The per-channel coefficients are recomputed by every invocation (the same f32 values each time)
// rather than dispatched as 5 tiny kernels of their own.
const inputGradShader: ElementwiseShader = {
  key: 'batch_norm_input_grad',
  inputs: ['DY', 'S', 'X', 'I', 'SC', 'SD'],
  perChannel: ['S', 'I', 'SC', 'SD'],
  uniforms: ['count'],
  body: `let coef = S[channel] * ((I[channel] * I[channel]) * (SC[channel] / uniforms.count));
          let constant = S[channel] * (SD[channel] / uniforms.count);
          let result = DY[index] * S[channel] - (X[index] * coef + constant);`,
};

/** centered [count, channels] * scale + offset (both one value per channel). */
function batchNormApply({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { centered, scale, offset } = inputs as Record<'centered' | 'scale' | 'offset', tf.TensorInfo>;
  return runElementwise(backend, applyShader, [centered, scale, offset], []);
}

/** BatchNorm's dx over [count, channels] rows from dy, the saved forward values and the per-channel sums. */
function batchNormInputGrad({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, scale, centered, invStd, sumDyCentered, sumDy } = inputs as Record<'dy' | 'scale' | 'centered' | 'invStd' | 'sumDyCentered' | 'sumDy', tf.TensorInfo>;
  const { count } = attrs as { count: number };
  return runElementwise(backend, inputGradShader, [dy, scale, centered, invStd, sumDyCentered, sumDy], [count]);
}

let registered = false;

/** Idempotent. Call once the webgpu backend is registered. */
export function registerWebgpuBatchNormKernels(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: BATCH_NORM_APPLY_KERNEL, backendName: 'webgpu', kernelFunc: batchNormApply as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: BATCH_NORM_INPUT_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: batchNormInputGrad as unknown as tf.KernelFunc });
  registered = true;
}
