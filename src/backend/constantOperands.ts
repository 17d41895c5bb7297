// x / c for a JS number c without the scalar tensor tfjs makes for it. On webgpu that scalar is a
// host-to-GPU upload that also ends the open compute pass (two per training BatchNorm layer and
// step); here c travels as a shader uniform of the same f32 value. Other backends run tf.div.
// Not differentiable: use tf.div on a tape.
import * as tf from '@tensorflow/tfjs';
import { hasFusedKernel, runElementwise, runFusedKernel, type ElementwiseShader } from './webgpuElementwise.js';

export const CONSTANT_OPERAND_KERNEL = 'VdmConstantOperand';

const divideShader: ElementwiseShader = { key: 'constant_divide', inputs: ['X'], uniforms: ['c'], body: 'let result = X[index] / uniforms.c;' };

function constantOperand({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  return runElementwise(backend, divideShader, [(inputs as { x: tf.TensorInfo }).x], [(attrs as { c: number }).c]);
}

export function divideByConstant(x: tf.Tensor, c: number): tf.Tensor {
  if (hasFusedKernel(CONSTANT_OPERAND_KERNEL) && x.dtype === 'float32') return runFusedKernel(CONSTANT_OPERAND_KERNEL, { x }, { c })[0]!;
  return tf.div(x, c);
}

let registered = false;

/** Idempotent. Call once the webgpu backend is registered. */
export function registerWebgpuConstantOperands(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: CONSTANT_OPERAND_KERNEL, backendName: 'webgpu', kernelFunc: constantOperand as unknown as tf.KernelFunc });
  registered = true;
}
