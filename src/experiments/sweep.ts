// Sweeps: `--sweep key=v1,v2` flags and an experiment's `sweep:` block turn each variant into one
// variant per combination of values, named `<variant>,lr=0.01,a=1` and compared like any other.
// The order is the file's (variants, then sweep keys, then values as listed), never sorted, so
// scheduler task numbers stay the same from one submission to the next.
import { parse as parseYaml } from 'yaml';
import { hydraValueProblem, isKeyPath, keyPathOf, type OverrideEntry } from '../config/overrides.js';
import { settingsLabel } from '../config/runName.js';
import type { Sourced } from '../config/sourced.js';
import { ConfigError, UsageError, type SourceLocation } from '../errors.js';

/** One swept key and its values, in the order given. */
export interface SweepAxis {
  readonly key: string;
  readonly values: readonly unknown[];
  readonly where: SourceLocation;
}

/**
 * A variant of the experiment after expansion: its folder name, what the file declares for it,
 * and the sweep's settings on top (applied with the command line's overrides as one set).
 */
export interface PlannedVariant {
  readonly name: string;
  readonly declared: Sourced;
  readonly settings: readonly OverrideEntry[];
}

/** More combinations than this is a typo (a value list pasted twice), not an experiment. */
export const MAX_COMBINATIONS = 1000;

function checkValues(key: string, values: readonly unknown[], where: SourceLocation): void {
  if (values.length === 0) throw new ConfigError(`sweep of '${key}' has no values; list at least one`, where);
  const seen = values.map((v) => JSON.stringify(v));
  const twice = seen.findIndex((v, i) => seen.indexOf(v) !== i);
  if (twice >= 0) throw new ConfigError(`sweep of '${key}' lists ${seen[twice]} twice; each value is one variant`, where);
}

/**
 * Keys a sweep cannot vary, and what to write instead. A seed is not a variant: every variant
 * already runs every seed (variants x seeds), and a seed among the overrides would be replaced
 * by the experiment's seeds.
 */
function unsweptKeyProblem(key: string, values: readonly unknown[], flag: boolean): string | undefined {
  const seeds = flag ? `give them with --seeds ${values.join(',')} or the file's seeds: [${values.join(', ')}]` : `list them in seeds: [${values.join(', ')}]`;
  if (key === 'seed') return `seeds are not swept as variants (each variant runs every seed); ${seeds}`;
  if (key === 'name' || key === 'output') return `${key} places the experiment's results; it is not a setting to compare (sweep a setting such as optimizer.lr)`;
  return undefined;
}

/** `--sweep optimizer.lr=0.01,0.05`: values are read as a YAML flow list, so `[1,2],[3,4]` is two lists. */
export function parseSweepFlag(flag: string): SweepAxis {
  const eq = flag.indexOf('=');
  const key = eq > 0 ? flag.slice(0, eq).trim() : '';
  const raw = flag.slice(eq + 1);
  const where = { file: '--sweep', path: key || flag };
  if (!isKeyPath(key, false)) {
    if (isKeyPath(key)) throw new UsageError(`--sweep '${flag}': a sweep sets whole keys, not list items; sweep whole lists instead (e.g. --sweep model.hidden=[16],[32])`);
    throw new UsageError(`--sweep '${flag}' is not of the form key.path=value,value (e.g. optimizer.lr=0.01,0.05)`);
  }
  const unswept = unsweptKeyProblem(key, raw.split(','), true);
  if (unswept) throw new UsageError(`--sweep ${key}: ${unswept}`);
  const problem = hydraValueProblem(key, raw, true);
  if (problem) throw new ConfigError(problem, where);
  let values: unknown;
  try {
    values = parseYaml(`[${raw}]`);
  } catch (error) {
    throw new ConfigError(`cannot read the values as a YAML list: ${(error as Error).message.split('\n')[0]}`, where);
  }
  checkValues(key, values as unknown[], where);
  return { key, values: values as unknown[], where };
}

/** A key given by two --sweep flags: an error, not a union, so a pasted flag is never a silent extra. */
function checkRepeatedFlags(flags: readonly string[], axes: readonly SweepAxis[]): void {
  const twice = axes.find((axis, i) => axes.findIndex((a) => a.key === axis.key) !== i);
  if (!twice) return;
  const values = flags.filter((f) => f.slice(0, f.indexOf('=')).trim() === twice.key).map((f) => f.slice(f.indexOf('=') + 1)).join(',');
  throw new UsageError(`--sweep ${twice.key} is given twice; list every value in one flag: --sweep ${twice.key}=${values}`);
}

/** The file's `sweep:` block, then the flags: a flag's key replaces the block's values in place. */
export function sweepAxes(block: Record<string, readonly unknown[]> | undefined, locateKey: (key: string) => SourceLocation, flags: readonly string[]): SweepAxis[] {
  const axes: SweepAxis[] = Object.entries(block ?? {}).map(([key, values]) => {
    const where = locateKey(key);
    if (!isKeyPath(key, false)) throw new ConfigError(`'${key}' is not a key path like optimizer.lr (a sweep sets whole keys, not list items)`, where);
    const unswept = unsweptKeyProblem(key, values.map((v) => JSON.stringify(v)), false);
    if (unswept) throw new ConfigError(unswept, where);
    checkValues(key, values, where);
    return { key, values, where };
  });
  const flagged = flags.map(parseSweepFlag);
  checkRepeatedFlags(flags, flagged);
  for (const axis of flagged) {
    const at = axes.findIndex((a) => a.key === axis.key);
    if (at >= 0) axes[at] = axis;
    else axes.push(axis);
  }
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_COMBINATIONS) throw new UsageError(`the sweep makes ${count} combinations per variant; at most ${MAX_COMBINATIONS}`);
  return axes;
}

/** One swept value as an override entry (`null` unsets the key, as on the command line). */
function settingOf(axis: SweepAxis, value: unknown): OverrideEntry {
  const unset = value === null;
  return { key: axis.key, path: keyPathOf(axis.key), value: unset ? undefined : value, unset, where: axis.where };
}

/** Every combination, the first key varying slowest: [[lr=a, x=1], [lr=a, x=2], [lr=b, x=1], ...]. */
export function combinations(axes: readonly SweepAxis[]): OverrideEntry[][] {
  return axes.reduce<OverrideEntry[][]>((partial, axis) => partial.flatMap((combo) => axis.values.map((value) => [...combo, settingOf(axis, value)])), [[]]);
}

/**
 * Applies the sweep. Rule: each variant other than the baseline becomes one variant per
 * combination; the baseline stays one run per seed (the reference the sweep is measured
 * against), unless it is the experiment's only variant: then it is the one swept, and its first
 * combination is the baseline. A sweep's value wins over the variant's own value of that key.
 */
export function expandVariants(
  variants: readonly { readonly name: string; readonly declared: Sourced }[],
  baseline: string,
  axes: readonly SweepAxis[],
): { variants: PlannedVariant[]; baseline: string } {
  if (axes.length === 0) return { variants: variants.map((v) => ({ ...v, settings: [] })), baseline };
  const combos = combinations(axes);
  const sweepAll = variants.length === 1;
  const expanded = variants.flatMap((variant): PlannedVariant[] => {
    if (variant.name === baseline && !sweepAll) return [{ ...variant, settings: [] }];
    return combos.map((combo) => ({ name: `${variant.name},${settingsLabel(combo)}`, declared: variant.declared, settings: combo }));
  });
  const names = expanded.map((v) => v.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`two sweep variants would share the folder '${twice}'; use values that differ in letters or digits`);
  return { variants: expanded, baseline: sweepAll ? expanded[0].name : baseline };
}
