// Registers vdm's own webgpu kernels: AddN over any number of inputs, and the fused kernels of a
// training step (optimizer updates, BatchNorm, ReLU's gradient, number operands as uniforms).
import { registerWebgpuConstantOperands } from './constantOperands.js';
import { registerWebgpuAddN } from './webgpuAddN.js';
import { registerWebgpuBatchNormKernels } from './webgpuBatchNormKernels.js';
import { registerWebgpuChannelSums } from './webgpuChannelSums.js';
import { registerWebgpuFusedUpdates } from './webgpuFusedUpdates.js';
import { registerWebgpuReluGradient } from './webgpuReluGradient.js';

/** Idempotent. Call once @tensorflow/tfjs-backend-webgpu is imported, before the gradients are wrapped. */
export function registerWebgpuKernels(): void {
  registerWebgpuAddN();
  registerWebgpuFusedUpdates();
  registerWebgpuBatchNormKernels();
  registerWebgpuChannelSums();
  registerWebgpuConstantOperands();
  registerWebgpuReluGradient();
}
