// ReLU's gradient dy * step(x) as one dispatch on webgpu instead of two (tfjs's Step, then a
// Multiply), evaluated as tfjs's Step shader and Multiply evaluate it: NaN inputs pass through,
// x > 0 gives dy * 1, else dy * 0. Everywhere else, and on a gradient tape (Hessian-vector
// products), tfjs's own formula runs.
import * as tf from '@tensorflow/tfjs';
import { recordingGradientOps } from './nestedGradients.js';
import { hasFusedKernel, runElementwise, runFusedKernel, type ElementwiseShader } from './webgpuElementwise.js';

export const RELU_GRAD_KERNEL = 'VdmReluGrad';

const reluGradShader: ElementwiseShader = {
  key: 'relu_grad',
  inputs: ['DY', 'X'],
  uniforms: [],
  body: `let a = X[index];
          let stepped = select(select(0.0, 1.0, a > 0.0), a, isnan(a));
          let result = DY[index] * stepped;`,
};

function reluGrad({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { dy, x } = inputs as Record<'dy' | 'x', tf.TensorInfo>;
  return runElementwise(backend, reluGradShader, [dy, x], []);
}

let registered = false;

/** Idempotent. Call once the webgpu backend is registered, before the gradients are wrapped (earlyGradientRelease.ts). */
export function registerWebgpuReluGradient(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: RELU_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: reluGrad as unknown as tf.KernelFunc });
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as tf.Tensor[];
      const dyTensor = dy as tf.Tensor;
      const fused = hasFusedKernel(RELU_GRAD_KERNEL) && !recordingGradientOps() && dyTensor.dtype === 'float32' && x!.dtype === 'float32';
      return { x: () => (fused ? runFusedKernel(RELU_GRAD_KERNEL, { dy: dyTensor, x: x! }, {})[0]! : tf.mul(dyTensor, tf.cast(tf.step(x!), 'float32'))) };
    },
  });
  registered = true;
}
