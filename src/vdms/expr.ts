// `expr`: a deformation written in the config as a formula in L; phi' comes from the symbolic
// derivative, and the formula is checked when the config loads.
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { compileExpr, type CompiledExpr } from './expr/compile.js';
import type { VdmEntry } from './types.js';

/** Compiled once per formula text: phi and dphi run every training step. */
const compiled = new Map<string, CompiledExpr>();

export function compiledFormula(text: string): CompiledExpr {
  let entry = compiled.get(text);
  if (entry === undefined) {
    entry = compileExpr(text);
    compiled.set(text, entry);
  }
  return entry;
}

const exprParams = z
  .object({
    phi: z.string().describe("formula in L, e.g. 'log(1 + 3*L)'; functions: log, exp, sqrt, atan, tanh, sech, ..."),
  })
  .strict()
  .superRefine(({ phi }, ctx) => {
    try {
      compiledFormula(phi);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.problem, path: ['phi'] });
    }
  });

export const exprVdm: VdmEntry<z.infer<typeof exprParams>> = {
  name: 'expr',
  description: 'your own phi: a formula in L (phi\' by symbolic differentiation)',
  formula: 'phi (given in the config)',
  derivativeFormula: "d phi/dL (derived symbolically)",
  params: exprParams,
  phi: (loss: tf.Tensor, { phi }) => compiledFormula(phi).phi(loss),
  dphi: (loss: tf.Tensor, { phi }) => compiledFormula(phi).dphi(loss),
};
