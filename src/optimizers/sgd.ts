// SGD with momentum and Nesterov, exactly as torch.optim.SGD (dampening 0): d = g + wd*p;
// buf = mu*buf + d; step along buf (or d + mu*buf with Nesterov).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { hasFusedKernel, runFusedKernel } from '../backend/webgpuElementwise.js';
import { SGD_STEP_KERNEL, type SgdStepAttrs } from '../backend/webgpuFusedUpdates.js';
import { SlotSet } from './slots.js';
import type { OptimizerEntry } from './types.js';

const sgdParams = z
  .object({
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(false),
  })
  .strict();

export const sgdOptimizer: OptimizerEntry<z.infer<typeof sgdParams>> = {
  name: 'sgd',
  description: 'SGD with momentum (default 0.9) and optional Nesterov; L2 weight decay added to the gradient (torch.optim.SGD)',
  params: sgdParams,
  gradientEvaluationsPerStep: 1,
  create({ momentum, nesterov }, { weight_decay }) {
    const buffers = new SlotSet();
    let stepCount = 0;
    return {
      step(params, grads, lr) {
        tf.tidy(() => {
          if (hasFusedKernel(SGD_STEP_KERNEL)) {
            // One kernel per parameter (webgpu: 2 dispatches instead of the 6 ops below).
            const attrs: SgdStepAttrs = { weightDecay: weight_decay, momentum, nesterov, firstStep: stepCount === 0, lr };
            params.forEach((p, i) => {
              const inputs: Record<string, tf.Tensor> = { param: p, grad: grads[i]! };
              if (momentum !== 0) inputs.velocity = buffers.get(i, p);
              const [next, velocity] = runFusedKernel(SGD_STEP_KERNEL, inputs, attrs);
              if (velocity !== undefined) buffers.get(i, p).assign(velocity);
              p.assign(next!);
            });
            return;
          }
          // One scalar of each per step, not one per parameter: on webgpu every number operand
          // is a host-to-GPU upload that also ends the open compute pass (same values, same maths).
          const decay = tf.scalar(weight_decay);
          const mu = tf.scalar(momentum);
          const rate = tf.scalar(lr);
          params.forEach((p, i) => {
            let d = grads[i];
            if (weight_decay !== 0) d = tf.add(d, tf.mul(p, decay));
            if (momentum !== 0) {
              const buf = buffers.get(i, p);
              buf.assign(stepCount === 0 ? d : tf.add(tf.mul(buf, mu), d));
              d = nesterov ? tf.add(d, tf.mul(buf, mu)) : buf;
            }
            p.assign(tf.sub(p, tf.mul(d, rate)));
          });
        });
        stepCount++;
      },
      getState: () => ({ step: stepCount, slots: { momentum: buffers.save() } }),
      setState(state, params) {
        stepCount = state.step;
        buffers.restore(state.slots.momentum ?? [], params);
      },
      dispose: () => buffers.dispose(),
    };
  },
};
