// Control runs an experiment can ask for (`controls: [step_matched]`). step_matched: for each VDM
// variant V and seed s, a run `V~step` that is V's config with its VDM replaced by
// phi_t(L) = c_t*L (`recorded_scale`), c_t being V's recorded phi' smoothed (by default: each
// epoch's mean over all of V's seeds). The gradient is scaled by c_t where V's phi'(L) sat, so the
// control keeps V's step sizes, momentum and weight decay as V had them and loses only phi''s
// response to each batch's loss. See README, "The step-size control".
import { join } from 'node:path';
import { z } from 'zod';
import type { RunConfig } from '../config/index.js';
import { locate, mergeSourced, type ConfigPath, type PlainObject, type Sourced } from '../config/sourced.js';
import { ConfigError } from '../errors.js';
import { SMOOTHINGS } from '../vdms/recordedScale.js';

/** What a control's variant name adds to its source's: `log` -> `log~step` (no user variant has a ~). */
export const STEP_MATCHED_SUFFIX = '~step';

/** Which of V's seeds a control of seed s takes its scales from. */
const SEED_POOLS = ['all', 'own', 'next'] as const;

const stepMatchedSettings = z
  .object({
    smoothing: z.enum(SMOOTHINGS).default('epoch_mean').describe("epoch_mean | ema | none (none: a replay of V's phi', for tests)"),
    seeds: z.enum(SEED_POOLS).default('all').describe("all: the mean over V's seeds; own: V's run of the same seed; next: V's run of the next seed"),
    ema_steps: z.number().int().min(1).default(100).describe('time constant of ema, in steps'),
  })
  .strict();
export type StepMatchedSettings = z.infer<typeof stepMatchedSettings>;

const RETIRED_LR_MATCHED =
  "lr_matched was retired: with the same seed it replays the VDM run it controls (identical with momentum 0); use step_matched (README: The step-size control)";

/** One entry of `controls:`: `step_matched`, or `{ step_matched: { smoothing, seeds, ema_steps } }`. */
export const controlEntry = z.unknown().transform((value, ctx): StepMatchedSettings => {
  if (value === 'lr_matched') {
    ctx.addIssue({ code: 'custom', message: RETIRED_LR_MATCHED });
    return z.NEVER;
  }
  const settings = value === 'step_matched' ? {} : typeof value === 'object' && value !== null && Object.keys(value).length === 1 ? (value as PlainObject).step_matched : undefined;
  if (settings === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected step_matched or { step_matched: { smoothing, seeds, ema_steps } }, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const parsed = stepMatchedSettings.safeParse(settings ?? {}, { reportInput: true });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['step_matched', ...issue.path] } as never);
  return z.NEVER;
});

/** One plain variant of the experiment, as the controls need it. */
export interface VariantSource {
  readonly variant: string;
  /** Base config merged with the variant's overrides (no seed yet). */
  readonly merged: Sourced;
  readonly overrides: PlainObject;
  /** The variant's validated config for the first seed: its vdm and logging, its output. */
  readonly config: RunConfig;
}

export interface ControlVariant {
  readonly variant: string;
  /** The variant whose runs this one must follow. */
  readonly source: string;
  readonly merged: Sourced;
  readonly overrides: PlainObject;
  /** What a control of seed s adds for its seed (which source seeds it reads). */
  readonly perSeed: (seed: number) => PlainObject;
}

export interface ControlContext {
  readonly file: string;
  readonly experiment: string;
  readonly baseline: string;
  readonly seeds: readonly number[];
  /** Where `controls:` sits in the file, for errors. */
  readonly controlsPath: ConfigPath;
  /** The file's own sourced tree (for locating errors). */
  readonly own: Sourced;
}

/** The variants a control applies to: every non-baseline variant that trains with a VDM. */
function vdmVariants(sources: readonly VariantSource[], baseline: string): VariantSource[] {
  return sources.filter((source) => source.variant !== baseline && source.config.vdm.name !== 'none');
}

/** Where V's steps.csv lands for any seed: recorded_scale fills in {seed}. */
function stepsCsvOf(source: VariantSource, experiment: string): string {
  return join(source.config.output, experiment, source.variant, 'seed-{seed}', 'steps.csv');
}

/** The source seeds a control of `seed` reads. */
function sourceSeeds(pool: StepMatchedSettings['seeds'], seeds: readonly number[], seed: number): number[] {
  if (pool === 'all') return [...seeds];
  if (pool === 'own') return [seed];
  return [seeds[(seeds.indexOf(seed) + 1) % seeds.length]];
}

function stepMatched(source: VariantSource, settings: StepMatchedSettings, context: ControlContext): ControlVariant {
  if (source.config.logging.steps_every !== 1) {
    throw new ConfigError(
      `controls: [step_matched] needs every step of variant '${source.variant}' in its steps.csv, but its logging.steps_every is ${source.config.logging.steps_every}; set it to 1 (the default)`,
      locate(source.merged, ['logging', 'steps_every'], context.file),
    );
  }
  // A name change replaces V's whole vdm block, its options included: the recorded phi' already
  // holds V's window (1 outside it), cap and normalisation.
  const vdm = { name: 'recorded_scale', steps: stepsCsvOf(source, context.experiment), smoothing: settings.smoothing, ema_steps: settings.ema_steps };
  const change: PlainObject = { vdm };
  return {
    variant: `${source.variant}${STEP_MATCHED_SUFFIX}`,
    source: source.variant,
    merged: mergeSourced(source.merged, { value: change, locations: new Map() }),
    overrides: { ...source.overrides, ...change },
    perSeed: (seed) => ({ vdm: { seeds: sourceSeeds(settings.seeds, context.seeds, seed) } }),
  };
}

/** The control variants asked for, in the order of their sources (the caller validates each run). */
export function controlVariants(controls: readonly StepMatchedSettings[], sources: readonly VariantSource[], context: ControlContext): ControlVariant[] {
  if (controls.length === 0) return [];
  if (controls.length > 1) {
    throw new ConfigError('controls lists step_matched more than once; one step-size control per VDM variant', locate(context.own, context.controlsPath, context.file));
  }
  const targets = vdmVariants(sources, context.baseline);
  if (targets.length === 0) {
    throw new ConfigError(
      `controls: [step_matched] needs a variant other than the baseline '${context.baseline}' that trains with a VDM (vdm.name other than none)`,
      locate(context.own, context.controlsPath, context.file),
    );
  }
  return targets.map((source) => stepMatched(source, controls[0], context));
}
