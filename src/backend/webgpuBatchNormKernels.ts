// The elementwise halves of the training BatchNorm (batchNormTraining.ts) as one dispatch each on
// webgpu: y = centered*scale + beta (2 ops) and dx = dy*scale - (centered*coef + constant) (4 ops).
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

const inputGradShader: ElementwiseShader = {
  key: 'batch_norm_input_grad',
  inputs: ['DY', 'S', 'X', 'C', 'K'],
  perChannel: ['S', 'C', 'K'],
  uniforms: [],
  body: 'let result = DY[index] * S[channel] - (X[index] * C[channel] + K[channel]);',
};

/** centered [count, channels] * scale + offset (both one value per channel). */
function batchNormApply({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { centered, scale, offset } = inputs as Record<'centered' | 'scale' | 'offset', tf.TensorInfo>;
  return runElementwise(backend, applyShader, [centered, scale, offset], []);
}

/** dy*scale - (centered*centeredCoef + constant) over [count, channels] rows. */
function batchNormInputGrad({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, scale, centered, centeredCoef, constant } = inputs as Record<'dy' | 'scale' | 'centered' | 'centeredCoef' | 'constant', tf.TensorInfo>;
  return runElementwise(backend, inputGradShader, [dy, scale, centered, centeredCoef, constant], []);
}

let registered = false;

/** Idempotent. Call once the webgpu backend is registered. */
export function registerWebgpuBatchNormKernels(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: BATCH_NORM_APPLY_KERNEL, backendName: 'webgpu', kernelFunc: batchNormApply as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: BATCH_NORM_INPUT_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: batchNormInputGrad as unknown as tf.KernelFunc });
  registered = true;
}
