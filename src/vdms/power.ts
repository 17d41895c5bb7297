// `power`: phi(L) = (L + eps)^p with 0 < p < 1, concave like log but with phi' -> p*eps^(p-1)
// at zero loss, so eps sets how strongly the lowest losses are amplified.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { VdmEntry } from './types.js';

const powerParams = z
  .object({
    p: z
      .number()
      .gt(0, { message: 'p must be strictly between 0 and 1 (p <= 0 is not increasing)' })
      .lt(1, { message: 'p must be strictly between 0 and 1 (p >= 1 is not a concave deformation)' })
      .default(0.5).describe('exponent, strictly between 0 and 1'),
    eps: z.number().positive().default(0.01).describe("loss offset; phi'(0) = p*eps^(p-1)"),
  })
  .strict();

export const powerVdm: VdmEntry<z.infer<typeof powerParams>> = {
  name: 'power',
  description: 'power deformation (L + eps)^p, 0 < p < 1',
  formula: '(L + eps)^p',
  derivativeFormula: 'p*(L + eps)^(p - 1)',
  params: powerParams,
  phi: (loss, { p, eps }) => tf.tidy(() => tf.pow(tf.add(loss, eps), p)),
  dphi: (loss, { p, eps }) => tf.tidy(() => tf.mul(p, tf.pow(tf.add(loss, eps), p - 1))),
};
