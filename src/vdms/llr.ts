// The reshaping functions of LLR ("Efficient Loss Landscape Reshaping", TNNLS 2025, code at
// LongJin-lab/LLR), re-implemented from their formulas; LLR applies them to L/L0, which is
// `normalize: initial` here.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { VdmEntry } from './types.js';

const LLR_REFERENCE = 'LLR: Efficient Loss Landscape Reshaping (TNNLS 2025), github.com/LongJin-lab/LLR';

const atanParams = z
  .object({
    c0: z.number().nonnegative().default(1).describe('height of the bump added to phi\''),
    c1: z.number().positive().default(5).describe('inverse width: the bump sits near L ~ 1/c1'),
  })
  .strict();

export const atanVdm: VdmEntry<z.infer<typeof atanParams>> = {
  name: 'atan',
  description: 'L plus a squared-arctan bump: steeper at moderate loss, phi\' >= 1 everywhere',
  formula: 'L + c0*atan(c1*L)^2',
  derivativeFormula: '1 + 2*c0*c1*atan(c1*L)/(1 + (c1*L)^2)',
  reference: LLR_REFERENCE,
  params: atanParams,
  phi: (loss, { c0, c1 }) => tf.tidy(() => tf.add(loss, tf.mul(c0, tf.square(tf.atan(tf.mul(c1, loss)))))),
  dphi: (loss, { c0, c1 }) =>
    tf.tidy(() => {
      const u = tf.mul(c1, loss);
      return tf.add(1, tf.div(tf.mul(2 * c0 * c1, tf.atan(u)), tf.add(1, tf.square(u))));
    }),
};

const logexpParams = z
  .object({
    c0: z
      .number()
      .gte(0, { message: 'c0 must be in [0, 1): c0 < 0 is outside LLR\'s range' })
      .lt(1, { message: 'c0 must be in [0, 1): at c0 >= 1, log(exp(L) - c0) is undefined near L = 0' })
      .default(0.99).describe("in [0, 1); phi'(0) = 1/(1 - c0)"),
  })
  .strict();

export const logexpVdm: VdmEntry<z.infer<typeof logexpParams>> = {
  name: 'logexp',
  description: 'log(exp(L) - c0): plain at high loss, phi\' up to 1/(1 - c0) as L -> 0',
  formula: 'log(exp(L) - c0)',
  derivativeFormula: '1/(1 - c0*exp(-L))',
  reference: LLR_REFERENCE,
  params: logexpParams,
  // Written as L + log1p(-c0*exp(-L)) so large losses do not overflow exp(L).
  phi: (loss, { c0 }) => tf.tidy(() => tf.add(loss, tf.log1p(tf.mul(-c0, tf.exp(tf.neg(loss)))))),
  dphi: (loss, { c0 }) => tf.tidy(() => tf.reciprocal(tf.sub(1, tf.mul(c0, tf.exp(tf.neg(loss)))))),
};

/** ln(1 + sqrt 2) = asinh(1): with it, phi' peaks exactly at L = c1, at c0/2. */
const SECH_C = Math.log(1 + Math.SQRT2);

const sechParams = z
  .object({
    c0: z.number().positive().default(10).describe("height: phi' peaks at c0/2"),
    c1: z.number().positive().default(0.4).describe("where phi' peaks (a loss); phi' decays like exp(-0.88*L/c1) above it"),
  })
  .strict();

export const sechVdm: VdmEntry<z.infer<typeof sechParams>> = {
  name: 'sech',
  description: "negative sech well: phi' = 0 at L = 0, peaks at L = c1 and vanishes at high loss (use normalize: initial)",
  formula: '-c0*c1/(c*cosh(c*L/c1)), c = ln(1 + sqrt 2)',
  derivativeFormula: 'c0*tanh(c*L/c1)/cosh(c*L/c1)',
  reference: LLR_REFERENCE,
  params: sechParams,
  vanishesAtZero: true,
  phi: (loss, { c0, c1 }) =>
    tf.tidy(() => tf.div(-(c0 * c1) / SECH_C, tf.cosh(tf.mul(SECH_C / c1, loss)))),
  dphi: (loss, { c0, c1 }) =>
    tf.tidy(() => {
      const u = tf.mul(SECH_C / c1, loss);
      return tf.div(tf.mul(c0, tf.tanh(u)), tf.cosh(u));
    }),
};

const linearBandParams = z
  .object({
    c0: z.number().positive().default(2).describe("slope inside the band (phi' = c0 there, 1 outside)"),
    start: z.number().positive().default(0.3).describe('upper edge of the band (a loss; LLR counts it from where training starts)'),
    end: z.number().nonnegative().default(0.2).describe('lower edge of the band'),
  })
  .strict()
  .refine((p) => p.start > p.end, { message: 'start must be greater than end (the band is end <= L <= start)', path: ['start'] });

/**
 * 1 inside [end, start] (inclusive, as in LLR), 0 outside. Wrapped so the tape treats the mask as
 * a constant: tfjs has no gradient for the comparisons.
 */
function bandMask(loss: tf.Tensor, start: number, end: number): tf.Tensor {
  const mask = tf.customGrad((...inputs) => {
    const x = inputs[0] as tf.Tensor;
    return {
      value: tf.cast(tf.logicalAnd(tf.greaterEqual(x, end), tf.lessEqual(x, start)), 'float32'),
      gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
    };
  });
  return mask(loss);
}

export const linearBandVdm: VdmEntry<z.infer<typeof linearBandParams>> = {
  name: 'linear_band',
  description: 'c0*L while start >= L >= end, L elsewhere: a step multiplier over one loss band',
  formula: 'c0*L if end <= L <= start, else L',
  derivativeFormula: 'c0 if end <= L <= start, else 1',
  reference: LLR_REFERENCE,
  params: linearBandParams,
  breakpoints: ({ start, end }) => [end, start],
  // phi = L*(1 + (c0 - 1)*mask): c0*L in the band, L outside.
  phi: (loss, { c0, start, end }) =>
    tf.tidy(() => tf.mul(loss, tf.add(1, tf.mul(c0 - 1, bandMask(loss, start, end))))),
  dphi: (loss, { c0, start, end }) => tf.tidy(() => tf.add(1, tf.mul(c0 - 1, bandMask(loss, start, end)))),
};
