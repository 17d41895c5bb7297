// `exp`: phi(L) = (exp(a*L) - 1)/a, convex: phi' = exp(a*L) grows with the loss, the opposite of
// log, so it is the counter-control (large steps at high loss, plain steps near a minimum).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { VdmEntry } from './types.js';

const expParams = z
  .object({
    a: z.number().positive().default(0.1).describe("rate; phi'(L) = exp(a*L), so keep a*L_max small"),
  })
  .strict();

export const expVdm: VdmEntry<z.infer<typeof expParams>> = {
  name: 'exp',
  description: 'exponential deformation (exp(a*L) - 1)/a, steeper at high loss',
  formula: '(exp(a*L) - 1)/a',
  derivativeFormula: 'exp(a*L)',
  params: expParams,
  phi: (loss, { a }) => tf.tidy(() => tf.div(tf.expm1(tf.mul(loss, a)), a)),
  dphi: (loss, { a }) => tf.tidy(() => tf.exp(tf.mul(loss, a))),
};
