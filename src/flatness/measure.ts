// The flatness figures of one model at its current weights: top Hessian eigenvalue(s), Hutchinson
// trace with its standard error, epsilon- and adaptive sharpness, and the loss, all of the
// undeformed loss L on a fixed training subset.
import type { Dataset } from '../datasets/types.js';
import type { Model } from '../models/types.js';
import { RandomStream } from '../random.js';
import { DEFAULT_RELATIVE_STEP } from './finiteDifferenceHvp.js';
import { hessianVectorProduct, type HvpMethod } from './hvp.js';
import { modelLoss } from './modelLoss.js';
import { adaptiveAverageCase, adaptiveWorstCase, epsilonSharpness } from './sharpness.js';
import { hutchinsonTrace, largestEigenvalue, topEigenvalues } from './spectrum.js';
import { balancedTrainingSubset } from './subset.js';
import { disposeVector, normalVector, rademacherVector } from './vectors.js';

export interface FlatnessOptions {
  /** Training examples the loss is averaged over. */
  readonly samples: number;
  /** Most power iterations. */
  readonly iterations: number;
  /** Hutchinson probes (at least 2, for the standard error). */
  readonly probes: number;
  /** Picks the subset, the power iteration's start and the probes. */
  readonly seed: number;
  readonly batchSize: number;
  /** Relative change of the eigenvalue estimate that stops the power iteration. */
  readonly tolerance?: number;
  /** How Hessian-vector products are taken (default exact; see hvp.ts). */
  readonly hvp?: HvpMethod;
  /** Finite-difference step as a fraction of ||w|| (finite differences only). */
  readonly relativeStep?: number;
  /** Eigenvalues by deflation (1: lambda_max alone, no extra cost). */
  readonly topK?: number;
  /** Half width of Keskar's box, relative to |w| + 1. */
  readonly epsilon?: number;
  /** Radius of the adaptive worst case, in ||delta / |w| ||_2. */
  readonly rho?: number;
  /** Noise scale of the adaptive average case: delta = sigma |w| z. */
  readonly sigma?: number;
  /** Gradient-ascent steps of epsilon-sharpness and the adaptive worst case. */
  readonly ascentSteps?: number;
  /** Noise draws of the adaptive average case (at least 2, for the standard error). */
  readonly noiseSamples?: number;
}

export const sharpnessDefaults = { topK: 1, epsilon: 1e-3, rho: 0.05, sigma: 0.01, ascentSteps: 10, noiseSamples: 10 } as const;

/** The contents of flatness.json; compare reports every numeric field per variant. */
export interface FlatnessFigures {
  hessian_top_eigenvalue: number;
  hessian_trace: number;
  hessian_trace_stderr: number;
  /** The k largest, by deflation (an array: compare shows numbers only, so it stays out of the table). */
  hessian_top_eigenvalues: number[];
  /** Keskar et al.: 100 (max L(w + delta) - L(w)) / (1 + L(w)), |delta_i| <= epsilon (|w_i| + 1). */
  epsilon_sharpness: number;
  /** Worst-case rise of L within ||delta / |w| ||_2 <= rho. */
  adaptive_sharpness_worst: number;
  /** Mean rise of L under delta = sigma |w| z. */
  adaptive_sharpness_average: number;
  adaptive_sharpness_average_stderr: number;
  train_loss_subset: number;
  samples: number;
  iterations_run: number;
  /** The --iterations cap, and whether the power iteration converged before it (else λmax is a lower bound). */
  iterations: number;
  converged: boolean;
  probes: number;
  method: string;
  /** 'exact' (nested gradients) or 'finite-difference' (the fallback, biased on ReLU networks). */
  hvp_method: HvpMethod;
  /** The finite-difference step as a fraction of ||w|| (the figures are curvature at that scale); null for exact products. */
  hvp_relative_step: number | null;
  /** What was differentiated: flatness is a property of L, not of the deformed phi(L) trained on. */
  loss: string;
  seed: number;
  top_k: number;
  epsilon: number;
  rho: number;
  sigma: number;
  ascent_steps: number;
  noise_samples: number;
}

const ESTIMATORS = 'power iteration (deflation for top-k), Hutchinson; projected gradient ascent for worst-case sharpness';
export const METHODS: Record<HvpMethod, string> = {
  exact: `exact HVP (nested reverse-mode gradients), ${ESTIMATORS}`,
  'finite-difference': `finite-difference HVP, ${ESTIMATORS}`,
};
export const LOSS_DESCRIPTION = 'mean cross-entropy L (undeformed, no weight decay) on a class-balanced training subset, BatchNorm in inference mode';

export async function measureFlatness(model: Model, dataset: Dataset, options: FlatnessOptions): Promise<FlatnessFigures> {
  const batches = await balancedTrainingSubset(dataset, options.samples, options.batchSize, options.seed);
  const loss = modelLoss(model, batches, dataset);
  const hessian = await hessianVectorProduct(loss, options.hvp ?? 'exact', options.relativeStep ?? DEFAULT_RELATIVE_STEP);
  const shapes = model.params.map((p) => p.shape);
  const start = normalVector(shapes, RandomStream.derive(options.seed, 'flatness', 'start'));
  const sharp = { ...sharpnessDefaults, ...definedOnly(options) };
  try {
    const top = await largestEigenvalue(hessian.hvp, start, { maxIterations: options.iterations, tolerance: options.tolerance ?? 1e-3 });
    // The shift m must bound every |lambda|; the dominant magnitude from power iteration is a lower
    // bound until it converges (within --iterations it may not), so twice it leaves a margin.
    const topK =
      sharp.topK > 1
        ? (await topEigenvalues(hessian.hvp, start, sharp.topK, { maxIterations: options.iterations, tolerance: options.tolerance ?? 1e-3 }, 2 * top.dominantMagnitude)).eigenvalues
        : [top.eigenvalue];
    const probeRng = RandomStream.derive(options.seed, 'flatness', 'probes');
    const trace = await hutchinsonTrace(hessian.hvp, () => rademacherVector(shapes, probeRng), options.probes);
    const ascent = { steps: sharp.ascentSteps, seed: options.seed };
    const epsilon = await epsilonSharpness(loss, sharp.epsilon, ascent);
    const worst = await adaptiveWorstCase(loss, sharp.rho, ascent);
    const average = await adaptiveAverageCase(loss, sharp.sigma, sharp.noiseSamples, options.seed);
    return {
      hessian_top_eigenvalue: top.eigenvalue,
      hessian_trace: trace.trace,
      hessian_trace_stderr: trace.stderr,
      hessian_top_eigenvalues: topK,
      epsilon_sharpness: epsilon.sharpness,
      adaptive_sharpness_worst: worst,
      adaptive_sharpness_average: average.average,
      adaptive_sharpness_average_stderr: average.stderr,
      train_loss_subset: await loss.loss(),
      samples: batches.reduce((n, b) => n + b.size, 0),
      iterations_run: top.iterations,
      iterations: options.iterations,
      converged: top.converged,
      probes: options.probes,
      method: METHODS[hessian.method],
      hvp_method: hessian.method,
      hvp_relative_step: hessian.relativeStep,
      loss: LOSS_DESCRIPTION,
      seed: options.seed,
      top_k: sharp.topK,
      epsilon: sharp.epsilon,
      rho: sharp.rho,
      sigma: sharp.sigma,
      ascent_steps: sharp.ascentSteps,
      noise_samples: sharp.noiseSamples,
    };
  } finally {
    disposeVector(start);
    hessian.dispose();
    loss.dispose();
  }
}

/**
 * flatness.json: figures at the top level (compare reports every top-level number); how they
 * were measured under `settings`, so the comparison table shows measurements only.
 */
export function flatnessFileContents(figures: FlatnessFigures): Record<string, unknown> {
  const { samples, iterations_run, iterations, converged, probes, seed, hvp_method, hvp_relative_step, method, loss, top_k, epsilon, rho, sigma, ascent_steps, noise_samples, ...measured } = figures;
  return {
    ...measured,
    settings: { samples, iterations_run, iterations, converged, probes, seed, hvp_method, hvp_relative_step, method, loss, top_k, epsilon, rho, sigma, ascent_steps, noise_samples },
  };
}

/** Options given as undefined leave the defaults in place. */
function definedOnly(options: FlatnessOptions): Partial<typeof sharpnessDefaults> {
  const { topK, epsilon, rho, sigma, ascentSteps, noiseSamples } = options;
  return Object.fromEntries(Object.entries({ topK, epsilon, rho, sigma, ascentSteps, noiseSamples }).filter(([, v]) => v !== undefined));
}
