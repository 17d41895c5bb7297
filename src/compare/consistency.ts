// Warnings that make a comparison less trustworthy: variants that differ in more than their
// declared overrides, and groups with too few seeds for a spread or a test.
import { flattenObject, formatConfigValue } from './flatten.js';
import { differingKeys, type RunGroup } from './grouping.js';

/** A key a variant may change: under a declared override, or in the block of a renamed entry. */
function isDeclared(key: string, overrides: readonly string[]): boolean {
  return overrides.some((path) => {
    if (key === path || key.startsWith(`${path}.`)) return true;
    // Changing vdm.name (or model.name, ...) also changes which parameter defaults get filled in.
    if (path.endsWith('.name') && key.startsWith(path.slice(0, -'name'.length))) return true;
    // So does adding the swa: block: setting any of its keys fills in the others' defaults.
    return path.startsWith('swa.') && key.startsWith('swa.');
  });
}

function declaredOverrides(group: RunGroup): string[] | null {
  const recorded = group.runs.find((run) => run.info.overrides !== null)?.info.overrides;
  if (!recorded) return null;
  return Object.keys(flattenObject(recorded));
}

/** One warning per variant whose config differs from the baseline's outside what it declares. */
export function undeclaredDifferenceWarnings(groups: readonly RunGroup[], baseline: RunGroup | null): string[] {
  if (baseline === null) return [];
  const warnings: string[] = [];
  for (const group of groups) {
    if (group === baseline) continue;
    const own = declaredOverrides(group);
    const base = declaredOverrides(baseline);
    const declared = own === null && base === null ? null : [...(own ?? []), ...(base ?? [])];
    const undeclared = differingKeys([group.config, baseline.config]).filter((key) =>
      declared === null ? !key.startsWith('vdm.') : !isDeclared(key, declared),
    );
    if (undeclared.length === 0) continue;
    const details = undeclared
      .map((key) => `${key} (${formatConfigValue(group.config[key])} vs ${formatConfigValue(baseline.config[key])})`)
      .join(', ');
    const scope = declared === null ? 'outside vdm.*' : 'beyond its declared overrides';
    warnings.push(`variant '${group.label}' differs from baseline '${baseline.label}' ${scope}: ${details}`);
  }
  return warnings;
}

/** Groups with under 2 usable runs (no spread, CI or p-value) and seeds that appear twice. */
export function seedWarnings(label: string, seeds: readonly (number | null)[]): string[] {
  const warnings: string[] = [];
  if (seeds.length < 2) {
    warnings.push(
      `variant '${label}' has ${seeds.length} usable run${seeds.length === 1 ? '' : 's'}; ` +
        'std, confidence interval and p-value need at least 2 seeds',
    );
  }
  const repeated = [...new Set(seeds.filter((seed, i) => seed !== null && seeds.indexOf(seed) !== i))];
  if (repeated.length > 0) {
    warnings.push(`variant '${label}' has several runs with seed ${repeated.join(', ')}; each seed should run once`);
  }
  return warnings;
}
