// `none`: phi(L) = L, the baseline every comparison is made against.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { VdmEntry } from './types.js';

export const noneVdm: VdmEntry<Record<string, never>> = {
  name: 'none',
  description: 'no deformation: train on the loss itself (the baseline)',
  formula: 'L',
  derivativeFormula: '1',
  params: z.object({}).strict(),
  phi: (loss) => tf.clone(loss),
  dphi: (loss) => tf.onesLike(loss),
};
