// `scale`: phi(L) = a*L, the control that is exactly a learning-rate change by a factor a.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { VdmEntry } from './types.js';

const scaleParams = z
  .object({
    a: z.number().positive().default(2).describe('gradient scale; equals multiplying the learning rate by a'),
  })
  .strict();

export const scaleVdm: VdmEntry<z.infer<typeof scaleParams>> = {
  name: 'scale',
  description: 'linear control a*L: the same as training with lr*a (no reshaping at all)',
  formula: 'a*L',
  derivativeFormula: 'a',
  params: scaleParams,
  phi: (loss, { a }) => tf.tidy(() => tf.mul(loss, a)),
  dphi: (loss, { a }) => tf.tidy(() => tf.fill(loss.shape, a)),
};
