// Checks the CLI makes before a command loads TensorFlow.js and the registries, so that the
// commonest mistakes are answered at once: an experiment file given to `vdm train`, a misspelt
// `vdm list` kind.
import { loadWithExtends } from '../config/load.js';
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
 * Refuses an experiment file (`experiment: NAME` with `base:` and `variants:`) as a run config,
 * by its keys, before validation would list them as unknown settings. A file that cannot be read
 * is left to the loader, which says why.
 */
export function checkNotExperiment(file: string): void {
  let keys: string[];
  try {
    keys = Object.keys(loadWithExtends(file).value);
  } catch {
    return;
  }
  const marks = keys.filter((key) => key === 'base' || key === 'variants');
  if (marks.length > 0) {
    throw new UsageError(`${file} is an experiment file (it has ${marks.map((k) => `'${k}:'`).join(' and ')}), not a run config; run it with: vdm run ${file}`);
  }
}
