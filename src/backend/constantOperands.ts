// x / c and x + c for a JS number c without the scalar tensor tfjs makes for it. On webgpu that
// scalar is a host-to-GPU upload that also ends the open compute pass (two per training
// BatchNorm layer and step, plus one for its epsilon); here c travels as a shader uniform of the
// same f32 value. Other backends run tf.div / tf.add. Not differentiable: use the ops on a tape.
import * as tf from '@tensorflow/tfjs';
import { hasFusedKernel, runElementwise, runFusedKernel, type ElementwiseShader } from './webgpuElementwise.js';

export const CONSTANT_OPERAND_KERNEL = 'VdmConstantOperand';

type ConstantOp = 'add' | 'divide';

const shaders: Record<ConstantOp, ElementwiseShader> = {
  add: { key: 'constant_add', inputs: ['X'], uniforms: ['c'], body: 'let result = X[index] + uniforms.c;' },
  divide: { key: 'constant_divide', inputs: ['X'], uniforms: ['c'], body: 'let result = X[index] / uniforms.c;' },
};

function constantOperand({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { op, c } = attrs as { op: ConstantOp; c: number };
  return runElementwise(backend, shaders[op], [(inputs as { x: tf.TensorInfo }).x], [c]);
}

function apply(op: ConstantOp, x: tf.Tensor, c: number): tf.Tensor {
  if (hasFusedKernel(CONSTANT_OPERAND_KERNEL) && x.dtype === 'float32') return runFusedKernel(CONSTANT_OPERAND_KERNEL, { x }, { op, c })[0]!;
  return op === 'add' ? tf.add(x, c) : tf.div(x, c);
}

export const addConstant = (x: tf.Tensor, c: number): tf.Tensor => apply('add', x, c);
export const divideByConstant = (x: tf.Tensor, c: number): tf.Tensor => apply('divide', x, c);

let registered = false;

/** Idempotent. Call once the webgpu backend is registered. */
export function registerWebgpuConstantOperands(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: CONSTANT_OPERAND_KERNEL, backendName: 'webgpu', kernelFunc: constantOperand as unknown as tf.KernelFunc });
  registered = true;
}
