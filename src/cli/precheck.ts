// Checks the CLI makes before a command loads TensorFlow.js and the registries, so that the
// commonest mistakes are answered at once: an experiment file given to `vdm train`, a misspelt
// `vdm list` kind.
import { loadWithExtends } from '../config/load.js';
import { parseOverrideWord } from '../config/overrides.js';
import { parseSweepFlag } from '../experiments/sweep.js';
import { UsageError } from '../errors.js';
import { closestName } from '../registry.js';

/** The kinds `vdm list` prints (src/commands/list.ts maps each to its registry). */
export const LIST_KINDS = ['models', 'datasets', 'optimizers', 'schedules', 'vdms'] as const;

export function listKind(kind: string | undefined): string | undefined {
  if (kind === undefined || (LIST_KINDS as readonly string[]).includes(kind)) return kind;
  const near = closestName(kind, LIST_KINDS);
  const valid = LIST_KINDS.join(', ');
  throw new UsageError(near ? `unknown kind '${kind}'; did you mean '${near}'? (expected one of ${valid})` : `unknown kind '${kind}'; expected one of ${valid}`);
}

/**
 * Reads the config file (and its `extends:` chain) and refuses an experiment file (`experiment:
 * NAME` with `base:` and `variants:`) by its keys, before validation would list them as unknown
 * settings. A missing file or bad YAML is the loader's own error, raised here before tfjs loads.
 */
export function checkNotExperiment(file: string): void {
  const keys = Object.keys(loadWithExtends(file).value);
  const marks = keys.filter((key) => key === 'base' || key === 'variants');
  if (marks.length > 0) {
    throw new UsageError(`${file} is an experiment file (it has ${marks.map((k) => `'${k}:'`).join(' and ')}), not a run config; run it with: vdm run ${file}`);
  }
}

/**
 * What `vdm run` can check before tfjs loads: the file reads as YAML, and every override and
 * sweep is well formed (their values are checked against the config when it loads).
 */
export function checkRunInputs(file: string, overrides: readonly string[], sweeps: readonly string[]): void {
  loadWithExtends(file);
  overrides.forEach((word) => parseOverrideWord(word));
  sweeps.forEach(parseSweepFlag);
}
