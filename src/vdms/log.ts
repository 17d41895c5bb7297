// `log`: the logarithmic deformation; phi' = a/(b + L) grows as the loss falls, which is what
// makes sharp low-loss minima unstable for a given step size.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { VdmEntry } from './types.js';

const logParams = z
  .object({
    a: z.number().positive().default(1).describe('output scale'),
    b: z.number().positive().default(1).describe('loss offset; phi\'(0) = a/b'),
  })
  .strict();

export const logVdm: VdmEntry<z.infer<typeof logParams>> = {
  name: 'log',
  description: 'logarithmic deformation a*log(1 + L/b)',
  formula: 'a*log(1 + L/b)',
  derivativeFormula: 'a/(b + L)',
  params: logParams,
  phi: (loss, { a, b }) => tf.tidy(() => tf.mul(a, tf.log1p(tf.div(loss, b)))),
  dphi: (loss, { a, b }) => tf.tidy(() => tf.div(a, tf.add(loss, b))),
};
