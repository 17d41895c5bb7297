// Control runs an experiment can ask for (`controls: [step_matched, compute_matched]`).
// step_matched: for each VDM variant V and seed s, a run `V~step` that is V's config with its VDM
// replaced by phi_t(L) = c_t*L (`recorded_scale`), c_t being V's recorded phi' smoothed (by
// default: each epoch's mean over all of V's seeds). The gradient is scaled by c_t where V's
// phi'(L) sat, so the control keeps V's step sizes, momentum and weight decay as V had them and
// loses only phi''s response to each batch's loss. See README, "The step-size control".
// compute_matched (src/experiments/computeMatched.ts): the baseline trained as many gradient
// evaluations as a variant that costs more a step (SAM). See README, "The compute control".
import { join } from 'node:path';
import { z } from 'zod';
import type { RunConfig } from '../config/index.js';
import { locate, mergeSourced, type ConfigPath, type PlainObject, type Sourced } from '../config/sourced.js';
import { ConfigError } from '../errors.js';
import { vdms } from '../vdms/index.js';
import { SMOOTHINGS } from '../vdms/recordedScale.js';
import { computeMatchedVariants } from './computeMatched.js';
/** What a control's variant name adds to its source's: `log` -> `log~step` (no user variant has a ~). */
export const STEP_MATCHED_SUFFIX = '~step';

/** Which of V's seeds a control of seed s takes its scales from. */
const SEED_POOLS = ['all', 'own', 'next'] as const;

const stepMatchedSettings = z
  .object({
    smoothing: z.enum(SMOOTHINGS).default('epoch_mean').describe("epoch_mean | ema | none (none: a replay of V's phi', for tests)"),
    seeds: z.enum(SEED_POOLS).default('all').describe("all: the mean over V's seeds; own: V's run of the same seed; next: V's run of the next seed"),
    ema_steps: z.number().int().min(1).default(100).describe('time constant of ema, in steps'),
    variants: z.array(z.string()).min(1).optional().describe('the VDM variants to control (default: every one that is monotone)'),
  })
  .strict();
export type StepMatchedSettings = z.infer<typeof stepMatchedSettings>;

/** One parsed entry of `controls:`. */
export type ControlRequest = { readonly kind: 'step_matched'; readonly settings: StepMatchedSettings } | { readonly kind: 'compute_matched' };
const CONTROL_KINDS = ['step_matched', 'compute_matched'] as const;

const RETIRED_LR_MATCHED =
  "lr_matched was retired: with the same seed it replays the VDM run it controls (identical with momentum 0); use step_matched (README: The step-size control)";

/** One entry of `controls:`: `step_matched`, `{ step_matched: { smoothing, seeds, ema_steps, variants } }` or `compute_matched`. */
export const controlEntry = z.unknown().transform((value, ctx): ControlRequest => {
  if (value === 'lr_matched') {
    ctx.addIssue({ code: 'custom', message: RETIRED_LR_MATCHED });
    return z.NEVER;
  }
  const single = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 ? Object.keys(value)[0]! : undefined;
  const kind = typeof value === 'string' ? value : single;
  if (kind === 'compute_matched') {
    const settings = typeof value === 'string' ? {} : (value as PlainObject).compute_matched;
    if (settings === null || (typeof settings === 'object' && !Array.isArray(settings) && Object.keys(settings as object).length === 0)) return { kind };
    ctx.addIssue({ code: 'custom', message: `compute_matched takes no settings, got ${JSON.stringify(settings)}` });
    return z.NEVER;
  }
  if (kind !== 'step_matched') {
    ctx.addIssue({ code: 'custom', message: `expected one of ${CONTROL_KINDS.join(', ')} (or { step_matched: { smoothing, seeds, ema_steps, variants } }), got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const settings = typeof value === 'string' ? {} : (value as PlainObject).step_matched;
  const parsed = stepMatchedSettings.safeParse(settings ?? {}, { reportInput: true });
  if (parsed.success) return { kind, settings: parsed.data };
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
  readonly perSeed?: (seed: number) => PlainObject;
  /** Whether it reads its source's records (vdm.seeds of them), so must start after them. */
  readonly readsSource: boolean;
}

/** The control variants, and what was left out and why (printed by vdm run). */
export interface ControlPlan {
  readonly variants: ControlVariant[];
  readonly notes: string[];
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

/**
 * A step-size control needs phi' > 0: flooding's phi' is +1 or -1 (an ascent below its level),
 * and a smoothed mean of +-1 is no step size that flooding took.
 */
function isMonotone(source: VariantSource): boolean {
  return vdms.get(source.config.vdm.name).monotone !== false;
}

/** The step_matched targets: the VDM variants named (each must be one, and monotone), else every monotone one. */
function stepMatchedTargets(settings: StepMatchedSettings, sources: readonly VariantSource[], context: ControlContext, notes: string[]): VariantSource[] {
  const candidates = vdmVariants(sources, context.baseline);
  const where = () => locate(context.own, [...context.controlsPath], context.file);
  if (settings.variants === undefined) {
    const skipped = candidates.filter((source) => !isMonotone(source));
    for (const source of skipped) {
      notes.push(
        `step_matched: no ${source.variant}${STEP_MATCHED_SUFFIX}: variant '${source.variant}' trains with ${source.config.vdm.name}, which is not monotone (phi' is +1 or -1), so no step size stands for it`,
      );
    }
    return candidates.filter(isMonotone);
  }
  return settings.variants.map((name) => {
    const source = candidates.find((candidate) => candidate.variant === name);
    if (source === undefined) {
      const valid = candidates.map((candidate) => candidate.variant).join(', ') || 'none';
      throw new ConfigError(`step_matched: variants: '${name}' is not a variant that trains with a VDM (those are: ${valid})`, where());
    }
    if (!isMonotone(source)) {
      throw new ConfigError(
        `step_matched: variants: '${name}' trains with ${source.config.vdm.name}, which is not monotone (phi' is +1 or -1): a step-size control of it is meaningless; leave it out`,
        where(),
      );
    }
    return source;
  });
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
    readsSource: true,
  };
}

/** The control variants asked for, in the order of their sources (the caller validates each run). */
export function controlVariants(controls: readonly ControlRequest[], sources: readonly VariantSource[], context: ControlContext): ControlPlan {
  const notes: string[] = [];
  const variants: ControlVariant[] = [];
  for (const kind of CONTROL_KINDS) {
    if (controls.filter((control) => control.kind === kind).length > 1) {
      const what = kind === 'step_matched' ? 'one step-size control per VDM variant' : 'one compute control per cost';
      throw new ConfigError(`controls lists ${kind} more than once; ${what}`, locate(context.own, context.controlsPath, context.file));
    }
  }
  for (const control of controls) {
    if (control.kind === 'compute_matched') {
      variants.push(...computeMatchedVariants(sources, context));
      continue;
    }
    if (vdmVariants(sources, context.baseline).length === 0) {
      throw new ConfigError(
        `controls: [step_matched] needs a variant other than the baseline '${context.baseline}' that trains with a VDM (vdm.name other than none)`,
        locate(context.own, context.controlsPath, context.file),
      );
    }
    variants.push(...stepMatchedTargets(control.settings, sources, context, notes).map((source) => stepMatched(source, control.settings, context)));
  }
  return { variants, notes };
}
