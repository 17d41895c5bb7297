// Loading a run config: read (with extends and key=value overrides), validate, and write back.
import { stringify } from 'yaml';
import { ConfigError } from '../errors.js';
import { checkVdmConfig } from './vdmCheck.js';
import { loadWithExtends } from './load.js';
import { applyOverrideSet } from './overrideSet.js';
import { chosenName, parseOverrideWord, type OverrideEntry } from './overrides.js';
import { overriddenName } from './runName.js';
import { validateConfig } from './validate.js';
import type { RunConfig } from './types.js';
import type { PlainObject, Sourced } from './sourced.js';

export type { RunConfig } from './types.js';
export { vdmConfigNote } from './vdmCheck.js';

export interface RunConfigOptions {
  /** The run's name, over the file's and the overrides' (`--name`). */
  readonly name?: string;
  /**
   * Overrides that change what is trained rename the run (runName.ts), so it gets its own
   * folder: what `vdm train` does with overrides typed on its command line.
   */
  readonly renameByOverrides?: boolean;
}

/** The one entry point for commands: a file plus `--set`/key=value overrides to a validated RunConfig. */
export function loadRunConfig(file: string, overrides: readonly string[] = [], options: RunConfigOptions = {}): RunConfig {
  const words = options.name === undefined ? overrides : [...overrides, `name=${JSON.stringify(options.name)}`];
  const entries = words.map((word) => parseOverrideWord(word));
  const own = loadWithExtends(file);
  const overridden = applyOverrideSet(own, entries);
  const config = validateSourced(overridden, file);
  if (!options.renameByOverrides || entries.length === 0 || chosenName(entries) !== undefined) return config;
  return { ...config, name: nameFromOverrides(config.name, [{ before: own, after: overridden }], entries, file) };
}

/**
 * The name for `base` once `entries` turned each `before` into its `after` (one pair per variant
 * of an experiment): runName.ts's rule, on the resolved configs (defaults filled in), or on the
 * values as written where one does not validate without the overrides.
 */
export function nameFromOverrides(base: string, variants: readonly { before: Sourced; after: Sourced }[], entries: readonly OverrideEntry[], file: string): string {
  const pairs = variants.map(({ before, after }) => ({ before: resolvedOrRaw(before, file), after: resolvedOrRaw(after, file) }));
  return overriddenName(base, pairs, entries.map((entry) => entry.path));
}

function resolvedOrRaw(sourced: Sourced, file: string): PlainObject {
  try {
    return toPlainConfig(validateConfig(sourced, file));
  } catch (error) {
    if (error instanceof ConfigError) return sourced.value;
    throw error;
  }
}

export function validateSourced(sourced: Sourced, file: string): RunConfig {
  return validateConfig(sourced, file, { checkVdm: checkVdmConfig });
}

/** The resolved config as plain YAML data, loadable again as a config (defaults filled in). */
export function toPlainConfig(config: RunConfig): Record<string, unknown> {
  const { model, dataset, optimizer, schedule, vdm } = config;
  const dropUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return {
    name: config.name,
    seed: config.seed,
    backend: config.backend,
    epochs: config.epochs,
    output: config.output,
    model: { name: model.name, ...model.params },
    dataset: dropUndefined({ name: dataset.name, batch_size: dataset.batch_size, augment: dataset.augment, subset: dataset.subset, ...dataset.params }),
    optimizer: { name: optimizer.name, lr: optimizer.lr, weight_decay: optimizer.weight_decay, ...optimizer.params },
    schedule: dropUndefined({ name: schedule.name, warmup_epochs: schedule.warmup_epochs, stretch: schedule.stretch, ...schedule.params }),
    vdm: dropUndefined({ name: vdm.name, ...vdm.options, ...vdm.params } as Record<string, unknown>),
    // Only when set: config.yaml of runs made before the key existed still match (resume).
    ...(config.logging.steps_every !== 1 || !config.logging.tensorboard ? { logging: config.logging } : {}),
    ...(config.checkpoint.keep_last !== 1 || config.checkpoint.best !== 'none' ? { checkpoint: config.checkpoint } : {}),
    ...(config.swa ? { swa: config.swa } : {}),
  };
}

export function configToYaml(config: RunConfig): string {
  return stringify(toPlainConfig(config));
}
