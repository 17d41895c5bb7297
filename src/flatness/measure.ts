// The flatness figures of one model at its current weights: top Hessian eigenvalue, Hutchinson
// trace with its standard error, and the loss, all of the undeformed loss L on a fixed training subset.
import type { Dataset } from '../datasets/types.js';
import type { Model } from '../models/types.js';
import { RandomStream } from '../random.js';
import { DEFAULT_RELATIVE_STEP, finiteDifferenceHvp } from './hvp.js';
import { modelLoss } from './modelLoss.js';
import { hutchinsonTrace, largestEigenvalue } from './spectrum.js';
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
  readonly relativeStep?: number;
}

/** The contents of flatness.json; compare reports every numeric field per variant. */
export interface FlatnessFigures {
  hessian_top_eigenvalue: number;
  hessian_trace: number;
  hessian_trace_stderr: number;
  train_loss_subset: number;
  samples: number;
  iterations_run: number;
  probes: number;
  method: string;
  /** The finite-difference step as a fraction of ||w||: the figures are curvature at that scale. */
  hvp_relative_step: number;
  /** What was differentiated: flatness is a property of L, not of the deformed phi(L) trained on. */
  loss: string;
  seed: number;
}

export const METHOD = 'finite-difference HVP, power iteration, Hutchinson';
export const LOSS_DESCRIPTION = 'mean cross-entropy L (undeformed, no weight decay) on a class-balanced training subset, BatchNorm in inference mode';

export async function measureFlatness(model: Model, dataset: Dataset, options: FlatnessOptions): Promise<FlatnessFigures> {
  const batches = await balancedTrainingSubset(dataset, options.samples, options.batchSize, options.seed);
  const loss = modelLoss(model, batches, dataset);
  const relativeStep = options.relativeStep ?? DEFAULT_RELATIVE_STEP;
  const fd = await finiteDifferenceHvp(loss, relativeStep);
  const shapes = model.params.map((p) => p.shape);
  const start = normalVector(shapes, RandomStream.derive(options.seed, 'flatness', 'start'));
  try {
    const top = await largestEigenvalue(fd.hvp, start, { maxIterations: options.iterations, tolerance: options.tolerance ?? 1e-3 });
    const probeRng = RandomStream.derive(options.seed, 'flatness', 'probes');
    const trace = await hutchinsonTrace(fd.hvp, () => rademacherVector(shapes, probeRng), options.probes);
    return {
      hessian_top_eigenvalue: top.eigenvalue,
      hessian_trace: trace.trace,
      hessian_trace_stderr: trace.stderr,
      train_loss_subset: await loss.loss(),
      samples: batches.reduce((n, b) => n + b.size, 0),
      iterations_run: top.iterations,
      probes: options.probes,
      method: METHOD,
      hvp_relative_step: relativeStep,
      loss: LOSS_DESCRIPTION,
      seed: options.seed,
    };
  } finally {
    disposeVector(start);
    fd.dispose();
    loss.dispose();
  }
}

/**
 * flatness.json: figures at the top level (compare reports every top-level number); how they
 * were measured under `settings`, so the comparison table shows measurements only.
 */
export function flatnessFileContents(figures: FlatnessFigures): Record<string, unknown> {
  const { samples, iterations_run, probes, seed, hvp_relative_step, method, loss, ...measured } = figures;
  return { ...measured, settings: { samples, iterations_run, probes, seed, hvp_relative_step, method, loss } };
}
