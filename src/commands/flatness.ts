// `vdm flatness <run folders or experiment files>...`: Hessian figures (top eigenvalue, trace) of
// every completed run's final weights, written to each run's flatness.json for `vdm compare`.
import { BACKEND_CHOICES, type BackendChoice } from '../backend/resolve.js';
import { findRunFolders } from '../compare/discover.js';
import { DataError, UsageError } from '../errors.js';
import { resultFolderOf } from '../experiments/spec.js';
import { HVP_METHODS, type HvpMethod } from '../flatness/hvp.js';
import { measureRunFolder, parseMeasuredWeights, unusableReason } from '../flatness/runFolder.js';
import { describeBackend } from '../run/trainRun.js';

export interface FlatnessCommandOptions {
  samples?: number;
  iterations?: number;
  probes?: number;
  backend?: string;
  seed?: number;
  /** Default: each run's dataset.batch_size. */
  batchSize?: number;
  /** Hessian-vector products: exact (default) or finite-difference (the fallback; see src/flatness/hvp.ts). */
  hvp?: string;
  /** Finite-difference step as a fraction of ||w|| (default 1e-3; finite differences only). */
  relativeStep?: number;
  topK?: number;
  epsilon?: number;
  rho?: number;
  sigma?: number;
  ascentSteps?: number;
  noiseSamples?: number;
  /** last (default): the trained weights; swa: the run's SWA average (flatness-swa.json). */
  which?: string;
}

/** The same for every run, so every variant is measured on the same examples and probe vectors. */
export const flatnessDefaults = { samples: 1024, iterations: 20, probes: 10, seed: 0 } as const;

const backendChoices: readonly BackendChoice[] = BACKEND_CHOICES;

function wholeNumber(flag: string, value: number | undefined, fallback: number, min: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min) throw new UsageError(`${flag} must be a whole number >= ${min}, got ${value}`);
  return chosen;
}

function parseBackend(backend: string | undefined): BackendChoice | undefined {
  if (backend === undefined || (backendChoices as readonly string[]).includes(backend)) return backend as BackendChoice | undefined;
  throw new UsageError(`--backend '${backend}' is not a backend; valid: ${backendChoices.join(', ')}`);
}

function parseHvp(method: string | undefined): HvpMethod | undefined {
  if (method === undefined || (HVP_METHODS as readonly string[]).includes(method)) return method as HvpMethod | undefined;
  throw new UsageError(`--hvp '${method}' is not a method; valid: ${HVP_METHODS.join(', ')}`);
}

function parseRelativeStep(step: number | undefined, hvp: HvpMethod | undefined): number | undefined {
  if (step === undefined) return step;
  if (hvp !== 'finite-difference') throw new UsageError(`--relative-step applies only to --hvp finite-difference (exact products take no step)`);
  if (Number.isFinite(step) && step > 0 && step < 1) return step;
  throw new UsageError(`--relative-step must be a number between 0 and 1 (a fraction of the weights' norm), got ${step}`);
}

function positive(flag: string, value: number | undefined): number | undefined {
  if (value === undefined || (Number.isFinite(value) && value > 0)) return value;
  throw new UsageError(`${flag} must be a number > 0, got ${value}`);
}

export async function flatnessCommand(inputs: string[], opts: FlatnessCommandOptions, log: (line: string) => void): Promise<void> {
  if (inputs.length === 0) throw new UsageError('vdm flatness needs at least one run folder, folder of runs or experiment file');
  const options = {
    samples: wholeNumber('--samples', opts.samples, flatnessDefaults.samples, 1),
    iterations: wholeNumber('--iterations', opts.iterations, flatnessDefaults.iterations, 1),
    probes: wholeNumber('--probes', opts.probes, flatnessDefaults.probes, 2), // 2: the trace's standard error needs two
    seed: wholeNumber('--seed', opts.seed, flatnessDefaults.seed, 0),
    batchSize: opts.batchSize === undefined ? undefined : wholeNumber('--batch-size', opts.batchSize, 0, 1),
    backend: parseBackend(opts.backend),
    hvp: parseHvp(opts.hvp),
    relativeStep: parseRelativeStep(opts.relativeStep, parseHvp(opts.hvp)),
    topK: opts.topK === undefined ? undefined : wholeNumber('--top-k', opts.topK, 1, 1),
    epsilon: positive('--epsilon', opts.epsilon),
    rho: positive('--rho', opts.rho),
    sigma: positive('--sigma', opts.sigma),
    ascentSteps: opts.ascentSteps === undefined ? undefined : wholeNumber('--ascent-steps', opts.ascentSteps, 1, 1),
    noiseSamples: opts.noiseSamples === undefined ? undefined : wholeNumber('--noise-samples', opts.noiseSamples, 2, 2),
    which: parseMeasuredWeights(opts.which),
  };
  const folders = findRunFolders(inputs.map(resultFolderOf));
  const usable = folders.filter((dir) => {
    const reason = unusableReason(dir, options.which);
    if (reason !== null) log(`skipped ${dir}: ${reason}`);
    return reason === null;
  });
  if (usable.length === 0) {
    throw new DataError(`no completed run with a checkpoint among the ${folders.length} run folder(s) under ${inputs.join(', ')}`);
  }
  let lastBackend = '';
  for (const dir of usable) {
    const started = performance.now();
    const { figures, backend } = await measureRunFolder(dir, options);
    const backendLine = describeBackend(backend);
    if (backendLine !== lastBackend) log(backendLine);
    lastBackend = backendLine;
    const seconds = (performance.now() - started) / 1000;
    log(
      `${dir}${options.which === 'swa' ? ' (SWA average)' : ''}: lambda_max ${figures.hessian_top_eigenvalue.toPrecision(4)} (${figures.iterations_run} iterations), ` +
        `trace ${figures.hessian_trace.toPrecision(4)} ± ${figures.hessian_trace_stderr.toPrecision(2)}, ` +
        `loss ${figures.train_loss_subset.toFixed(4)} on ${figures.samples}, ${seconds.toFixed(1)} s`,
    );
    const topK = figures.hessian_top_eigenvalues.length > 1 ? `; top-${figures.top_k} eigenvalues ${figures.hessian_top_eigenvalues.map((v) => v.toPrecision(4)).join(', ')}` : '';
    log(
      `  sharpness: epsilon ${figures.epsilon_sharpness.toPrecision(4)} (eps ${figures.epsilon}), adaptive worst ${figures.adaptive_sharpness_worst.toPrecision(4)} (rho ${figures.rho}), ` +
        `adaptive average ${figures.adaptive_sharpness_average.toPrecision(4)} ± ${figures.adaptive_sharpness_average_stderr.toPrecision(2)} (sigma ${figures.sigma})${topK}`,
    );
  }
}
