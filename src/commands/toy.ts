// `vdm toy`: compare plain and deformed gradient descent on the built-in two-minimum surface;
// with --noise, the escape-time experiment (noisy heavy-ball descent against Kramers' law).
import { selectBackend } from '../backend/resolve.js';
import { UsageError } from '../errors.js';
import { parseVdmChoice } from '../toy/choice.js';
import { runEscape } from '../toy/escape.js';
import { escapeReport } from '../toy/escapeReport.js';
import { toyReport } from '../toy/report.js';
import { runToy, TOY_DEFAULT_STEPS } from '../toy/run.js';
import { vdms } from '../vdms/index.js';

/**
 * Every entry that needs no parameters from the user (not expr's formula, not recorded_scale's
 * record of another run); `none` is the plain run anyway.
 */
export function defaultToyVdms(): string[] {
  return vdms
    .entries()
    .filter((entry) => entry.name !== 'none' && entry.stepSlopes === undefined && entry.params.safeParse({}).success)
    .map((entry) => entry.name);
}

export interface ToyCommandOptions {
  readonly vdm: string[];
  /** Default 0.1; with --noise, 0.003 (the small-step limit Kramers' law needs). */
  readonly lr?: number;
  readonly starts: number;
  readonly out: string;
  readonly steps?: number;
  /** Gradient-noise std: its presence selects the escape-time experiment. */
  readonly noise?: number;
  readonly momentum?: number;
  readonly runs?: number;
  readonly seed?: number;
}

export const ESCAPE_DEFAULTS = { lr: 0.003, momentum: 0, runs: 200, steps: 50_000, seed: 1 } as const;

export async function toyCommand(opts: ToyCommandOptions): Promise<string> {
  const noisy = opts.noise !== undefined;
  const lr = opts.lr ?? (noisy ? ESCAPE_DEFAULTS.lr : 0.1);
  if (!(lr > 0)) throw new UsageError(`--lr must be a positive number, got ${lr}`);
  if (!(Number.isInteger(opts.starts) && opts.starts >= 1)) {
    throw new UsageError(`--starts must be a positive integer, got ${opts.starts}`);
  }
  if (opts.steps !== undefined && !(Number.isInteger(opts.steps) && opts.steps >= 1)) {
    throw new UsageError(`--steps must be a positive integer, got ${opts.steps}`);
  }
  if (!noisy) {
    const stray = (['momentum', 'runs', 'seed'] as const).find((key) => opts[key] !== undefined);
    if (stray) throw new UsageError(`--${stray} belongs to the escape-time experiment: give --noise too`);
  }
  await selectBackend('cpu'); // phi and phi' of two-parameter points: the cpu backend is fastest
  const names = opts.vdm.length ? opts.vdm : defaultToyVdms();
  const vdmChoices = names.map(parseVdmChoice);
  if (noisy) return escapeReport(runEscape({ vdms: vdmChoices, lr, ...escapeSettings(opts), out: opts.out }));
  const result = await runToy({ vdms: vdmChoices, lr, starts: opts.starts, steps: opts.steps ?? TOY_DEFAULT_STEPS, out: opts.out });
  return toyReport(result);
}

function escapeSettings(opts: ToyCommandOptions) {
  const sigma = opts.noise as number;
  const momentum = opts.momentum ?? ESCAPE_DEFAULTS.momentum;
  const runs = opts.runs ?? ESCAPE_DEFAULTS.runs;
  const seed = opts.seed ?? ESCAPE_DEFAULTS.seed;
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw new UsageError(`--noise must be a number >= 0 (the gradient noise std), got ${sigma}`);
  if (!(momentum >= 0 && momentum < 1)) throw new UsageError(`--momentum must be in [0, 1), got ${momentum}`);
  if (!(Number.isInteger(runs) && runs >= 1)) throw new UsageError(`--runs must be a positive integer, got ${runs}`);
  if (!(Number.isInteger(seed) && seed >= 0)) throw new UsageError(`--seed must be a whole number >= 0, got ${seed}`);
  return { sigma, momentum, runs, seed, steps: opts.steps ?? ESCAPE_DEFAULTS.steps };
}
