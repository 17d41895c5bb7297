// The elementwise parts of the training BatchNorm (batchNormTraining.ts) as one dispatch each on
// webgpu. The per-channel 1/sigma = rsqrt(var + eps) and gamma/sigma are recomputed by every
// invocation from the variance and gamma (the same f32 values each time) instead of dispatched as
// kernels of their own:
//   apply:       y = centered * (rsqrt(var + eps) * gamma) + beta                  (5 ops)
//   input grad:  dx = dy*scale - (centered*scale*invStd^2*sum(dy*centered)/n + scale*sum(dy)/n)  (10 ops, 2 scalar uploads)
//   scale grad:  dgamma = sum(dy*centered) * rsqrt(var + eps)                        (the last of 3 ops)
// Same f32 operations in the same order as the ops they replace. Registered for 'webgpu' only.
import * as tf from '@tensorflow/tfjs';
import { runElementwise, type ElementwiseShader } from './webgpuElementwise.js';

export const BATCH_NORM_APPLY_KERNEL = 'VdmBatchNormApply';
export const BATCH_NORM_INPUT_GRAD_KERNEL = 'VdmBatchNormInputGrad';
export const BATCH_NORM_SCALE_GRAD_KERNEL = 'VdmBatchNormScaleGrad';

/** 1/sigma and gamma/sigma of this invocation's channel, as the ops compute them. */
const SCALE = `let invStd = inverseSqrt(V[channel] + uniforms.epsilon);
          let scale = invStd * G[channel];`;

const applyShader: ElementwiseShader = {
  key: 'batch_norm_apply',
  inputs: ['X', 'V', 'G', 'B'],
  perChannel: ['V', 'G', 'B'],
  uniforms: ['epsilon'],
  body: `${SCALE}
          let result = X[index] * scale + B[channel];`,
};

const inputGradShader: ElementwiseShader = {
  key: 'batch_norm_input_grad',
  inputs: ['DY', 'X', 'V', 'G', 'SC', 'SD'],
  perChannel: ['V', 'G', 'SC', 'SD'],
  uniforms: ['count', 'epsilon'],
  body: `${SCALE}
          let coef = scale * ((invStd * invStd) * (SC[channel] / uniforms.count));
          let constant = scale * (SD[channel] / uniforms.count);
          let result = DY[index] * scale - (X[index] * coef + constant);`,
};

const scaleGradShader: ElementwiseShader = {
  key: 'batch_norm_scale_grad',
  inputs: ['SC', 'V'],
  uniforms: ['epsilon'],
  body: 'let result = SC[index] * inverseSqrt(V[index] + uniforms.epsilon);',
};

type Inputs = Record<string, tf.TensorInfo>;
type Epsilon = { epsilon: number };

/** centered [count, channels] normalised and shifted; variance, gamma and offset one value per channel. */
function batchNormApply({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { centered, variance, gamma, offset } = inputs as Inputs;
  return runElementwise(backend, applyShader, [centered!, variance!, gamma!, offset!], [(attrs as unknown as Epsilon).epsilon]);
}

/** BatchNorm's dx over [count, channels] rows from dy, the centred rows, the statistics and the per-channel sums. */
function batchNormInputGrad({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, centered, variance, gamma, sumDyCentered, sumDy } = inputs as Inputs;
  const { count, epsilon } = attrs as unknown as Epsilon & { count: number };
  return runElementwise(backend, inputGradShader, [dy!, centered!, variance!, gamma!, sumDyCentered!, sumDy!], [count, epsilon]);
}

/** dgamma from sum(dy * centered) and the variance (both [1, channels]). */
function batchNormScaleGrad({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { sumDyCentered, variance } = inputs as Inputs;
  return runElementwise(backend, scaleGradShader, [sumDyCentered!, variance!], [(attrs as unknown as Epsilon).epsilon]);
}

let registered = false;

/** Idempotent. Call once the webgpu backend is registered. */
export function registerWebgpuBatchNormKernels(): void {
  if (registered) return;
  const kernels: Array<[string, (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo]> = [
    [BATCH_NORM_APPLY_KERNEL, batchNormApply],
    [BATCH_NORM_INPUT_GRAD_KERNEL, batchNormInputGrad],
    [BATCH_NORM_SCALE_GRAD_KERNEL, batchNormScaleGrad],
  ];
  for (const [kernelName, kernelFunc] of kernels) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  registered = true;
}
