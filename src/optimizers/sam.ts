// SAM (Foret et al., ICLR 2021) and adaptive SAM (ASAM, Kwon et al., ICML 2021) around a base
// optimizer: the trainer takes the gradient at w, ascends to w + e, takes the gradient there,
// restores w, and the base optimizer updates w with that second gradient.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { closestName } from '../registry.js';
import { adamOptimizer, adamwOptimizer } from './adam.js';
import { sgdOptimizer } from './sgd.js';
import type { CommonOptimizerOptions, Optimizer, OptimizerEntry, Perturbation } from './types.js';

/** The optimizers SAM can wrap (imported directly: the registry itself lists sam). */
const BASES = { sgd: sgdOptimizer, adam: adamOptimizer, adamw: adamwOptimizer } as const;
type BaseName = keyof typeof BASES;

/** The papers' CIFAR settings: SAM rho 0.05 (Foret et al. 2021); ASAM rho 0.5, eta 0.01 (Kwon et al. 2021). */
export const SAM_RHO = 0.05;
export const ASAM_RHO = 0.5;
export const ASAM_ETA = 0.01;
/** Added to ||g|| so that a zero gradient gives e = 0 rather than 0/0. */
const NORM_EPSILON = 1e-12;

const samOwnParams = z.object({
  base: z.enum(Object.keys(BASES) as [BaseName, ...BaseName[]]).default('sgd').describe("the optimizer that makes the update (its own keys go beside sam's)"),
  rho: z.number().min(0).optional().describe(`ascent radius; default ${SAM_RHO} (SAM), ${ASAM_RHO} with adaptive: true (ASAM); 0 makes sam its base optimizer`),
  adaptive: z.boolean().default(false).describe('ASAM: the ascent scaled elementwise by T_w = |w| + eta on weights (kernels, BatchNorm scales)'),
  eta: z.number().min(0).default(ASAM_ETA).describe("ASAM's offset in T_w = |w| + eta (ignored without adaptive)"),
  bn: z.enum(['first', 'both']).default('first').describe("which passes update BatchNorm's running statistics: 'first' (at w, as the authors' code) or 'both'"),
});
const SAM_KEYS = Object.keys(samOwnParams.shape);

export interface SamParams {
  readonly base: BaseName;
  readonly rho: number;
  readonly adaptive: boolean;
  readonly eta: number;
  readonly bn: 'first' | 'both';
  /** The base optimizer's own keys (momentum, beta1, ...), defaults filled. */
  readonly [key: string]: unknown;
}

/** Sam's keys resolved, the rest checked against the base optimizer's own schema. */
const samParams = samOwnParams.loose().transform((block, ctx): SamParams => {
  const { base, rho, adaptive, eta, bn, ...rest } = block;
  const baseSchema = BASES[base].params;
  const parsed = baseSchema.safeParse(rest, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const key = issue.keys[0]!;
        const baseKeys = baseSchema instanceof z.ZodObject ? Object.keys(baseSchema.shape) : [];
        const hint = closestName(key, [...SAM_KEYS, ...baseKeys]);
        const message = `unknown key '${key}' for sam with base ${base}${hint ? `; did you mean '${hint}'?` : ''} (sam's keys: ${SAM_KEYS.join(', ')}; ${base}'s: ${baseKeys.join(', ') || 'none'})`;
        ctx.addIssue({ code: 'custom', message, path: [key], input: rest[key] });
      } else {
        ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
      }
    }
    return z.NEVER;
  }
  return { base, rho: rho ?? (adaptive ? ASAM_RHO : SAM_RHO), adaptive, eta, bn, ...(parsed.data as Record<string, unknown>) };
});

/** The base optimizer's keys of a resolved sam block. */
function baseParamsOf(params: SamParams): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([key]) => !SAM_KEYS.includes(key)));
}

/**
 * e = rho * g / ||g|| (SAM) or rho * T^2 g / ||T g|| with T = |w| + eta on weights and 1 on
 * offsets (ASAM, Kwon et al. 2021 eq. for the element-wise operator), the norm over all params.
 * w is kept as it was, not recomputed as (w + e) - e, so that restoring it is exact.
 */
function ascent({ rho, adaptive, eta, bn }: SamParams, weightParams: readonly boolean[] | undefined): Perturbation {
  let kept: tf.Tensor[] = [];
  return {
    batchNorm: bn,
    ascend(params, grads) {
      tf.dispose(kept);
      kept = params.map((p) => tf.keep(tf.clone(p)));
      tf.tidy(() => {
        const scales = params.map((p, i) => (adaptive && (weightParams?.[i] ?? true) ? tf.add(tf.abs(p), eta) : null));
        const scaled = grads.map((g, i) => (scales[i] ? tf.mul(scales[i], g) : g));
        const norm = tf.sqrt(tf.addN(scaled.map((s) => tf.sum(tf.square(s)))));
        const factor = tf.div(rho, tf.add(norm, NORM_EPSILON));
        params.forEach((p, i) => {
          const direction = scales[i] ? tf.mul(scales[i], scaled[i]) : scaled[i];
          p.assign(tf.add(p, tf.mul(direction, factor)));
        });
      });
    },
    restore(params) {
      params.forEach((p, i) => p.assign(kept[i] as tf.Variable));
      tf.dispose(kept);
      kept = [];
    },
  };
}

function createSam(params: SamParams, common: CommonOptimizerOptions): Optimizer {
  const entry = BASES[params.base] as OptimizerEntry;
  const base = entry.create(entry.params.parse(baseParamsOf(params)), common);
  const perturbation = ascent(params, common.weightParams);
  return {
    perturbation,
    step: (p, grads, lr) => base.step(p, grads, lr),
    getState: () => base.getState(),
    setState: (state, p) => base.setState(state, p),
    dispose: () => base.dispose(),
  };
}

export const samOptimizer: OptimizerEntry<SamParams> = {
  name: 'sam',
  description:
    `sharpness-aware minimisation around sgd, adam or adamw: 2 gradient evaluations a step. Defaults are the papers' CIFAR settings: ` +
    `SAM rho ${SAM_RHO} (Foret et al., ICLR 2021); adaptive: true is ASAM, rho ${ASAM_RHO}, eta ${ASAM_ETA} (Kwon et al., ICML 2021)`,
  reference: 'Foret et al., Sharpness-Aware Minimization for Efficiently Improving Generalization, ICLR 2021; Kwon et al., ASAM: Adaptive Sharpness-Aware Minimization for Scale-Invariant Learning of Deep Neural Networks, ICML 2021',
  params: samParams as unknown as z.ZodType<SamParams>,
  gradientEvaluationsPerStep: 2,
  create: createSam,
};
