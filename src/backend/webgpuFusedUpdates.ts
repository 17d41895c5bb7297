// Fused updates of the training state for the webgpu backend: SGD's 6 elementwise ops per parameter
// (weight decay, momentum, step) become 2 dispatches, Adam's 15 (with L2 decay) 3, and each
// BatchNorm moving average's 3 or 4 become 1. On a GPU a ResNet-20 step is
// bound by dispatches, not FLOPs (`npm run bench -- gpu` counts them). Each shader evaluates the
// same f32 operations in the same order as the ops it replaces, so the update is the same up to a
// GPU's fusing a*b+c into one rounding (test/backend/webgpuCases.ts).
// Registered for 'webgpu' only; other backends run the ops (src/optimizers).
import * as tf from '@tensorflow/tfjs';
import { runElementwise, type ElementwiseShader } from './webgpuElementwise.js';

export const SGD_STEP_KERNEL = 'VdmSgdStep';
export const ADAM_STEP_KERNEL = 'VdmAdamStep';
export const MOVING_AVERAGE_KERNEL = 'VdmMovingAverage';

export interface SgdStepAttrs {
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  /** The first step sets the momentum buffer to the gradient (torch.optim.SGD). */
  firstStep: boolean;
  lr: number;
}

export interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  decoupled: boolean;
  /** 1 - beta1^t and 1 - beta2^t for this step t. */
  correction1: number;
  correction2: number;
  lr: number;
}

/** d = g + p*decay, as the ops compute it (`tf.add(g, tf.mul(p, decay))`). */
const decayedGradient = (decay: boolean) => (decay ? 'G[index] + P[index] * uniforms.decay' : 'G[index]');

function velocityShader(decay: boolean, first: boolean): ElementwiseShader {
  const d = decayedGradient(decay);
  return {
    key: `sgd_velocity_${decay ? 'decay' : 'plain'}_${first ? 'first' : 'next'}`,
    inputs: first ? (decay ? ['G', 'P'] : ['G']) : decay ? ['V', 'G', 'P'] : ['V', 'G'],
    uniforms: ['decay', 'momentum'], // unread uniforms are fine: they share one binding
    body: first ? `let result = ${d};` : `let result = V[index] * uniforms.momentum + (${d});`,
  };
}

function sgdParamShader(decay: boolean, withMomentum: boolean, nesterov: boolean): ElementwiseShader {
  const d = decayedGradient(decay);
  const direction = !withMomentum ? `(${d})` : nesterov ? `((${d}) + V[index] * uniforms.momentum)` : 'V[index]';
  const reads = ['P', ...(withMomentum && !nesterov ? [] : ['G']), ...(withMomentum ? ['V'] : [])];
  return {
    key: `sgd_param_${decay ? 'decay' : 'plain'}_${withMomentum ? (nesterov ? 'nesterov' : 'momentum') : 'none'}`,
    inputs: reads,
    uniforms: ['decay', 'momentum', 'rate'],
    body: `let result = P[index] - ${direction} * uniforms.rate;`,
  };
}

function sgdStep({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { param, grad, velocity } = inputs as { param: tf.TensorInfo; grad: tf.TensorInfo; velocity?: tf.TensorInfo };
  const { weightDecay, momentum, nesterov, firstStep, lr } = attrs as unknown as SgdStepAttrs;
  const decay = weightDecay !== 0;
  const byName: Record<string, tf.TensorInfo | undefined> = { P: param, G: grad, V: velocity };
  const pick = (shader: ElementwiseShader) => shader.inputs.map((name) => byName[name]!);
  if (momentum === 0) {
    const shader = sgdParamShader(decay, false, false);
    return [runElementwise(backend, shader, pick(shader), [weightDecay, momentum, lr])];
  }
  const vShader = velocityShader(decay, firstStep);
  const newVelocity = runElementwise(backend, vShader, pick(vShader), [weightDecay, momentum]);
  byName.V = newVelocity;
  const pShader = sgdParamShader(decay, true, nesterov);
  return [runElementwise(backend, pShader, pick(pShader), [weightDecay, momentum, lr]), newVelocity];
}

// Adam as in src/optimizers/adam.ts: g' = g + p*wd (L2) ; m = m*b1 + g'*(1-b1) ; v = v*b2 + (g'*g')*(1-b2) ;
// p' = p - (m / (sqrt(v)/sqrt(c2) + eps)) * (lr/c1), then - p*(lr*wd) when decoupled.

function adamMomentShader(second: boolean, l2: boolean): ElementwiseShader {
  const g2 = second ? 'g * g' : 'g';
  return {
    key: `adam_${second ? 'second' : 'first'}_${l2 ? 'l2' : 'plain'}`,
    inputs: l2 ? ['M', 'G', 'P'] : ['M', 'G'],
    uniforms: ['decay', 'beta', 'oneMinusBeta'],
    body: `let g = ${l2 ? 'G[index] + P[index] * uniforms.decay' : 'G[index]'};
          let result = M[index] * uniforms.beta + (${g2}) * uniforms.oneMinusBeta;`,
  };
}

function adamParamShader(decoupled: boolean): ElementwiseShader {
  return {
    key: `adam_param_${decoupled ? 'decoupled' : 'plain'}`,
    inputs: ['P', 'M', 'V'],
    uniforms: ['sqrtCorrection2', 'epsilon', 'rate', 'decayRate'],
    body: `let denom = sqrt(V[index]) / uniforms.sqrtCorrection2 + uniforms.epsilon;
          let stepped = P[index] - (M[index] / denom) * uniforms.rate;
          let result = ${decoupled ? 'stepped - P[index] * uniforms.decayRate' : 'stepped'};`,
  };
}

function adamStep({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const { beta1, beta2, epsilon, weightDecay, decoupled, correction1, correction2, lr } = attrs as unknown as AdamStepAttrs;
  const l2 = weightDecay !== 0 && !decoupled;
  const momentInputs = (moment: tf.TensorInfo) => (l2 ? [moment, grad, param] : [moment, grad]);
  const newM = runElementwise(backend, adamMomentShader(false, l2), momentInputs(m), [weightDecay, beta1, 1 - beta1]);
  const newV = runElementwise(backend, adamMomentShader(true, l2), momentInputs(v), [weightDecay, beta2, 1 - beta2]);
  const applyDecay = decoupled && weightDecay !== 0;
  const newParam = runElementwise(backend, adamParamShader(applyDecay), [param, newM, newV], [Math.sqrt(correction2), epsilon, lr / correction1, lr * weightDecay]);
  return [newParam, newM, newV];
}

export interface MovingAverageAttrs {
  /** 1 - momentum and momentum (PyTorch's BatchNorm convention). */
  keep: number;
  take: number;
  /** Applied to the value first (n/(n-1) turns a biased variance unbiased; 1 for the mean). */
  scale: number;
}

/** moving*keep + (value*scale)*take in one dispatch, as applyBatchNormUpdates's ops compute it. */
function movingAverage({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { moving, value } = inputs as Record<'moving' | 'value', tf.TensorInfo>;
  const { keep, take, scale } = attrs as unknown as MovingAverageAttrs;
  const shader: ElementwiseShader = {
    key: 'moving_average',
    inputs: ['M', 'X'],
    uniforms: ['keep', 'take', 'scale'],
    body: 'let result = M[index] * uniforms.keep + (X[index] * uniforms.scale) * uniforms.take;',
  };
  return runElementwise(backend, shader, [moving, value], [keep, take, scale]);
}

let registered = false;

/** Idempotent. Call once the webgpu backend is registered. */
export function registerWebgpuFusedUpdates(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: SGD_STEP_KERNEL, backendName: 'webgpu', kernelFunc: sgdStep as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: ADAM_STEP_KERNEL, backendName: 'webgpu', kernelFunc: adamStep as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: MOVING_AVERAGE_KERNEL, backendName: 'webgpu', kernelFunc: movingAverage as unknown as tf.KernelFunc });
  registered = true;
}
