// Control runs an experiment can ask for (`controls: [lr_matched]`). lr_matched: for each VDM
// variant V and seed s, a run `V~lr` that is V's config with no VDM and, at every step, the
// learning rate V/seed-s used times the φ′ it applied (the `recorded` schedule reads both from V's
// steps.csv): V's step sizes without their dependence on the loss. See README, "The
// learning-rate-matched control", for what it reproduces exactly and what only approximately.
import { join } from 'node:path';
import type { RunConfig } from '../config/index.js';
import { locate, mergeSourced, type ConfigPath, type PlainObject, type Sourced } from '../config/sourced.js';
import { ConfigError } from '../errors.js';

export const controlKinds = ['lr_matched'] as const;
export type ControlKind = (typeof controlKinds)[number];

/** What a control's variant name adds to its source's: `log` -> `log~lr` (no user variant has a ~). */
export const LR_MATCHED_SUFFIX = '~lr';

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
  /** The variant whose runs this one must follow (seed by seed). */
  readonly source: string;
  readonly merged: Sourced;
  readonly overrides: PlainObject;
}

export interface ControlContext {
  readonly file: string;
  readonly experiment: string;
  readonly baseline: string;
  /** Where `controls:` sits in the file, for errors. */
  readonly controlsPath: ConfigPath;
  /** The file's own sourced tree (for locating errors). */
  readonly own: Sourced;
}

/** The variants the lr_matched control applies to: every non-baseline variant that trains with a VDM. */
function vdmVariants(sources: readonly VariantSource[], baseline: string): VariantSource[] {
  return sources.filter((source) => source.variant !== baseline && source.config.vdm.name !== 'none');
}

/** Where V's steps.csv lands for any seed: the `recorded` schedule fills in {seed}. */
function stepsCsvOf(source: VariantSource, experiment: string): string {
  return join(source.config.output, experiment, source.variant, 'seed-{seed}', 'steps.csv');
}

function lrMatched(source: VariantSource, context: ControlContext): ControlVariant {
  if (source.config.logging.steps_every !== 1) {
    throw new ConfigError(
      `controls: [lr_matched] needs every step of variant '${source.variant}' in its steps.csv, but its logging.steps_every is ${source.config.logging.steps_every}; set it to 1 (the default)`,
      locate(source.merged, ['logging', 'steps_every'], context.file),
    );
  }
  const change: PlainObject = {
    vdm: { name: 'none' },
    // The recorded rates already hold V's warm-up: no second one on top.
    schedule: { name: 'recorded', steps: stepsCsvOf(source, context.experiment), warmup_epochs: 0 },
  };
  return {
    variant: `${source.variant}${LR_MATCHED_SUFFIX}`,
    source: source.variant,
    merged: mergeSourced(source.merged, { value: change, locations: new Map() }),
    overrides: { ...source.overrides, ...change },
  };
}

/** The control variants asked for, in the order of their sources (the caller validates each run). */
export function controlVariants(kinds: readonly ControlKind[], sources: readonly VariantSource[], context: ControlContext): ControlVariant[] {
  if (!kinds.includes('lr_matched')) return [];
  const targets = vdmVariants(sources, context.baseline);
  if (targets.length === 0) {
    throw new ConfigError(
      `controls: [lr_matched] needs a variant other than the baseline '${context.baseline}' that trains with a VDM (vdm.name other than none)`,
      locate(context.own, context.controlsPath, context.file),
    );
  }
  return targets.map((source) => lrMatched(source, context));
}
