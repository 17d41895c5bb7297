// `flood`: phi(L) = |L - b| + b (flooding, Ishida et al., ICML 2020). Above the flood level b it is
// plain training; below it phi' = -1 and the step ascends, so the loss floats around b. It is not
// monotone, hence not a VDM in the paper's sense: the entry says so and the load-time check notes
// it instead of refusing.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { VdmEntry } from './types.js';

const floodParams = z
  .object({
    b: z.number().min(0).default(0.1).describe('flood level: the loss below which the step ascends (the paper chooses it by validation)'),
  })
  .strict();

export const floodVdm: VdmEntry<z.infer<typeof floodParams>> = {
  name: 'flood',
  description: 'flooding |L - b| + b (Ishida et al. 2020): plain above b, gradient ascent below b; not monotone, so not a VDM',
  formula: '|L - b| + b',
  derivativeFormula: '1 if L >= b, -1 below',
  reference: 'Ishida et al., Do We Need Zero Training Loss After Achieving Zero Training Error?, ICML 2020',
  params: floodParams,
  monotone: false,
  breakpoints: ({ b }) => [b],
  phi: (loss, { b }) => tf.tidy(() => tf.add(tf.abs(tf.sub(loss, b)), b)),
  // sign(sign(L - b) + 0.5): +1 from b on (plain at the level itself), -1 below.
  dphi: (loss, { b }) => tf.tidy(() => tf.sign(tf.add(tf.sign(tf.sub(loss, b)), 0.5))),
};
