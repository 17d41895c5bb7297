// Groups runs into variants (same resolved config apart from seed, output, name and backend),
// labels each variant, and picks the baseline.
import { UsageError } from '../errors.js';
import { formatConfigValue, sameValue } from './flatten.js';
import type { RunRecord } from './types.js';

/**
 * Config keys that vary between seeds or machines of one variant, so never split a group.
 * `vdm.seeds`: which source seeds a step-size control reads, its own or the next one per seed.
 */
const perRunKeys = ['seed', 'output', 'name', 'backend', 'vdm.seeds'];

export interface RunGroup {
  label: string;
  /** The shared config, without the per-run keys. */
  config: Record<string, unknown>;
  runs: RunRecord[];
}

export function variantConfig(config: Record<string, unknown>): Record<string, unknown> {
  const isPerRun = (key: string) => perRunKeys.some((k) => key === k || key.startsWith(`${k}.`));
  return Object.fromEntries(Object.entries(config).filter(([key]) => !isPerRun(key)));
}

/** Keys whose value is not the same in every config (absent counts as a value). */
export function differingKeys(configs: readonly Record<string, unknown>[]): string[] {
  const keys = new Set(configs.flatMap((config) => Object.keys(config)));
  return [...keys].filter((key) => configs.some((config) => !sameValue(config[key], configs[0]![key]))).sort();
}

export function groupRuns(runs: readonly RunRecord[]): { groups: RunGroup[]; warnings: string[] } {
  const byConfig = new Map<string, RunGroup>();
  for (const run of runs) {
    const config = variantConfig(run.config);
    const key = JSON.stringify(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
    const group = byConfig.get(key) ?? { label: '', config, runs: [] };
    group.runs.push(run);
    byConfig.set(key, group);
  }
  const groups = [...byConfig.values()];
  const varying = differingKeys(groups.map((group) => group.config));
  for (const group of groups) group.label = labelFor(group, varying);
  return { groups, warnings: disambiguateLabels(groups) };
}

/** run.json's variant; else `key=value` for the keys that tell variants apart; else the run name. */
function labelFor(group: RunGroup, varying: readonly string[]): string {
  const declared = unique(group.runs.map((run) => run.info.variant).filter((v): v is string => v !== null));
  if (declared.length > 0) return declared.join('+');
  // vdm.name first: it is what usually tells a VDM variant from its baseline.
  const keys = varying.filter((key) => group.config[key] !== undefined);
  keys.sort((a, b) => Number(b === 'vdm.name') - Number(a === 'vdm.name'));
  const derived = keys.map((key) => `${key}=${formatConfigValue(group.config[key])}`).join(', ');
  const names = unique(group.runs.map((run) => run.config.name).filter((n): n is string => typeof n === 'string'));
  if (keys.length > 0 && (keys.length <= 3 || names.length !== 1)) return derived;
  return names.length === 1 ? names[0]! : 'runs';
}

/** Two configs under one label (e.g. 'log' from two experiments) get '#2', '#3' and a warning. */
function disambiguateLabels(groups: RunGroup[]): string[] {
  const warnings: string[] = [];
  const byLabel = new Map<string, RunGroup[]>();
  for (const group of groups) byLabel.set(group.label, [...(byLabel.get(group.label) ?? []), group]);
  for (const [label, same] of byLabel) {
    if (same.length < 2) continue;
    same.forEach((group, i) => {
      if (i > 0) group.label = `${label} #${i + 1}`;
    });
    const keys = differingKeys(same.map((group) => group.config));
    warnings.push(
      `runs labelled '${label}' have different configs (differing: ${keys.join(', ')}); shown as ${same
        .map((group) => `'${group.label}'`)
        .join(', ')}`,
    );
  }
  return warnings;
}

/** The requested label; else the variant named 'baseline'; else the one with vdm.name 'none'. */
export function chooseBaseline(
  groups: readonly RunGroup[],
  requested: string | undefined,
): { baseline: RunGroup | null; warnings: string[] } {
  if (requested !== undefined) {
    const match = groups.find((group) => group.label === requested);
    if (match === undefined) {
      const labels = groups.map((group) => `'${group.label}'`).join(', ');
      throw new UsageError(`--baseline '${requested}' is not one of the variants found: ${labels}`);
    }
    return { baseline: match, warnings: [] };
  }
  const named = groups.find((group) => group.label === 'baseline');
  if (named) return { baseline: named, warnings: [] };
  const plain = groups.filter((group) => group.config['vdm.name'] === 'none');
  if (plain.length === 1) return { baseline: plain[0]!, warnings: [] };
  if (plain.length > 1) {
    const labels = plain.map((group) => `'${group.label}'`).join(', ');
    return {
      baseline: plain[0]!,
      warnings: [`several variants have vdm.name=none (${labels}); using '${plain[0]!.label}' as the baseline; choose with --baseline`],
    };
  }
  if (groups.length < 2) return { baseline: null, warnings: [] };
  return {
    baseline: null,
    warnings: ["no baseline: no variant is labelled 'baseline' or has vdm.name=none; choose one with --baseline to get deltas"],
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
