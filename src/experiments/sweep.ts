// Sweeps: `--sweep key=v1,v2` flags and an experiment's `sweep:` block turn each variant into one
// variant per combination of values, named `<variant>,lr=0.01,a=1` and compared like any other.
// The order is the file's (variants, then sweep keys, then values as listed), never sorted, so
// scheduler task numbers stay the same from one submission to the next.
import { parse as parseYaml } from 'yaml';
import { settingsLabel } from '../config/overrides.js';
import { mergeSourced, type PlainObject, type Sourced } from '../config/sourced.js';
import { ConfigError, UsageError, type SourceLocation } from '../errors.js';

/** One swept key and its values, in the order given. */
export interface SweepAxis {
  readonly key: string;
  readonly values: readonly unknown[];
  readonly where: SourceLocation;
}

/** A variant of the experiment after expansion: its folder name and its overrides of the base. */
export interface PlannedVariant {
  readonly name: string;
  readonly overrides: Sourced;
}

/** More combinations than this is a typo (a value list pasted twice), not an experiment. */
export const MAX_COMBINATIONS = 1000;

const KEY_PATH = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/;

function checkValues(key: string, values: readonly unknown[], where: SourceLocation): void {
  if (values.length === 0) throw new ConfigError(`sweep of '${key}' has no values; list at least one`, where);
  const seen = values.map((v) => JSON.stringify(v));
  const twice = seen.findIndex((v, i) => seen.indexOf(v) !== i);
  if (twice >= 0) throw new ConfigError(`sweep of '${key}' lists ${seen[twice]} twice; each value is one variant`, where);
}

/** `--sweep optimizer.lr=0.01,0.05`: values are read as a YAML flow list, so `[1,2],[3,4]` is two lists. */
export function parseSweepFlag(flag: string): SweepAxis {
  const eq = flag.indexOf('=');
  const key = eq > 0 ? flag.slice(0, eq).trim() : '';
  const where = { file: '--sweep', path: key || flag };
  if (!KEY_PATH.test(key)) throw new UsageError(`--sweep '${flag}' is not of the form key.path=value,value (e.g. optimizer.lr=0.01,0.05)`);
  let values: unknown;
  try {
    values = parseYaml(`[${flag.slice(eq + 1)}]`);
  } catch (error) {
    throw new ConfigError(`cannot read the values as a YAML list: ${(error as Error).message.split('\n')[0]}`, where);
  }
  checkValues(key, values as unknown[], where);
  return { key, values: values as unknown[], where };
}

/** The file's `sweep:` block, then the flags: a flag's key replaces the block's values in place. */
export function sweepAxes(block: Record<string, readonly unknown[]> | undefined, locateKey: (key: string) => SourceLocation, flags: readonly string[]): SweepAxis[] {
  const axes: SweepAxis[] = Object.entries(block ?? {}).map(([key, values]) => {
    const where = locateKey(key);
    if (!KEY_PATH.test(key)) throw new ConfigError(`'${key}' is not a key path like optimizer.lr`, where);
    checkValues(key, values, where);
    return { key, values, where };
  });
  for (const axis of flags.map(parseSweepFlag)) {
    const at = axes.findIndex((a) => a.key === axis.key);
    if (at >= 0) axes[at] = axis;
    else axes.push(axis);
  }
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_COMBINATIONS) throw new UsageError(`the sweep makes ${count} combinations per variant; at most ${MAX_COMBINATIONS}`);
  return axes;
}

/** Every combination, the first key varying slowest: [[lr=a, x=1], [lr=a, x=2], [lr=b, x=1], ...]. */
export function combinations(axes: readonly SweepAxis[]): { key: string; value: unknown; where: SourceLocation }[][] {
  return axes.reduce<{ key: string; value: unknown; where: SourceLocation }[][]>(
    (partial, axis) => partial.flatMap((combo) => axis.values.map((value) => [...combo, { key: axis.key, value, where: axis.where }])),
    [[]],
  );
}

/** `a.b=value` as a sourced tree, located where the sweep declared it. */
function settingSourced(key: string, value: unknown, where: SourceLocation): Sourced {
  const keys = key.split('.');
  const root: PlainObject = {};
  let node = root;
  for (const part of keys.slice(0, -1)) {
    node[part] = {};
    node = node[part] as PlainObject;
  }
  node[keys[keys.length - 1]] = value;
  return { value: root, locations: new Map(keys.map((_, i) => [keys.slice(0, i + 1).join('.'), where])) };
}

/**
 * Applies the sweep. Rule: each variant other than the baseline becomes one variant per
 * combination; the baseline stays one run per seed (the reference the sweep is measured
 * against), unless it is the experiment's only variant: then it is the one swept, and its first
 * combination is the baseline. A sweep's value wins over the variant's own value of that key.
 */
export function expandVariants(
  variants: readonly PlannedVariant[],
  baseline: string,
  axes: readonly SweepAxis[],
): { variants: PlannedVariant[]; baseline: string } {
  if (axes.length === 0) return { variants: [...variants], baseline };
  const combos = combinations(axes);
  const sweepAll = variants.length === 1;
  const expanded = variants.flatMap((variant) => {
    if (variant.name === baseline && !sweepAll) return [variant];
    return combos.map((combo) => ({
      name: `${variant.name},${settingsLabel(combo)}`,
      overrides: combo.reduce((acc, s) => mergeSourced(acc, settingSourced(s.key, s.value, s.where)), variant.overrides),
    }));
  });
  const names = expanded.map((v) => v.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`two sweep variants would share the folder '${twice}'; use values that differ in letters or digits`);
  return { variants: expanded, baseline: sweepAll ? expanded[0].name : baseline };
}
