// Loading a run config: read (with extends and --set overrides), validate, and write back.
import { stringify } from 'yaml';
import { checkVdmConfig } from './vdmCheck.js';
import { applyOverrides, loadWithExtends } from './load.js';
import { namesItself, overriddenName } from './overrides.js';
import { validateConfig } from './validate.js';
import type { RunConfig } from './types.js';
import type { Sourced } from './sourced.js';

export type { RunConfig } from './types.js';
export { vdmConfigNote } from './vdmCheck.js';

export interface RunConfigOptions {
  /** The run's name, over the file's and the overrides' (`--name`). */
  readonly name?: string;
  /**
   * Overrides that change what is trained rename the run (overriddenName), so it gets its own
   * folder: what `vdm train` does with overrides typed on its command line.
   */
  readonly renameByOverrides?: boolean;
}

/** The one entry point for commands: a file plus `--set`/key=value overrides to a validated RunConfig. */
export function loadRunConfig(file: string, overrides: readonly string[] = [], options: RunConfigOptions = {}): RunConfig {
  const named = options.name === undefined ? overrides : [...overrides, `name=${JSON.stringify(options.name)}`];
  const config = validateSourced(applyOverrides(loadWithExtends(file), named), file);
  if (!options.renameByOverrides || namesItself(named)) return config;
  return { ...config, name: overriddenName(config.name, overrides) };
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
    schedule: { name: schedule.name, warmup_epochs: schedule.warmup_epochs, ...schedule.params },
    vdm: dropUndefined({ name: vdm.name, ...vdm.options, ...vdm.params } as Record<string, unknown>),
    // Only when set: config.yaml of runs made before the key existed still match (resume).
    ...(config.logging.steps_every !== 1 || !config.logging.tensorboard ? { logging: config.logging } : {}),
    ...(config.checkpoint.keep_last !== 1 || config.checkpoint.best !== 'none' ? { checkpoint: config.checkpoint } : {}),
  };
}

export function configToYaml(config: RunConfig): string {
  return stringify(toPlainConfig(config));
}
