// The settings of `vdm run --evidence`: small defaults (the quickstart's evidence takes about a
// minute on top of its training), overridden by the experiment's `evidence:` keys, then by the
// flag's `key=value` list. Checked here, once, before any run trains.
import { UsageError } from '../errors.js';

export interface EvidenceSettings {
  /** Training examples each landscape point and flatness figure is measured on. */
  readonly samples: number;
  /** Points of each run's 1-D landscape. */
  readonly steps: number;
  /** Points per axis of the 2-D maps (first seed of each variant). */
  readonly grid: number;
  /** Points of each baseline <-> variant interpolation (first seed), alpha from -0.5 to 1.5. */
  readonly betweenSteps: number;
  /** Coordinates along each direction of the 1-D and 2-D landscapes. */
  readonly range: readonly [number, number];
  /** Seed of the landscape directions and of every measured subset. */
  readonly seed: number;
  /** Power iterations of vdm flatness. */
  readonly iterations: number;
  /** Hutchinson probes of vdm flatness. */
  readonly probes: number;
}

export const evidenceDefaults: EvidenceSettings = {
  samples: 512,
  steps: 21,
  grid: 11,
  betweenSteps: 21,
  range: [-1, 1],
  seed: 0,
  iterations: 20,
  probes: 10,
};

/** The override names, as written after --evidence and in `evidence:`, with what each sets. */
export const evidenceKeys: Record<string, { field: keyof EvidenceSettings; min: number; help: string }> = {
  samples: { field: 'samples', min: 1, help: 'training examples per point and per flatness figure' },
  steps: { field: 'steps', min: 2, help: 'points of each 1-D landscape' },
  grid: { field: 'grid', min: 2, help: 'points per axis of the 2-D maps' },
  between_steps: { field: 'betweenSteps', min: 2, help: 'points of each interpolation' },
  range: { field: 'range', min: 0, help: 'LOW:HIGH along each direction' },
  seed: { field: 'seed', min: 0, help: 'seed of the directions and subsets' },
  iterations: { field: 'iterations', min: 1, help: 'power iterations (flatness)' },
  probes: { field: 'probes', min: 2, help: 'Hutchinson probes (flatness)' },
};

/** `steps=31,grid=15` (the flag's value) as key -> text; `true` (the bare flag) is no override. */
export function parseEvidenceFlag(value: string | boolean | undefined): Record<string, string> {
  if (value === undefined || value === true || value === false) return {};
  const pairs: Record<string, string> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^([a-z_]+)=(.+)$/.exec(part);
    if (!match) throw new UsageError(`--evidence '${part}': expected key=value, e.g. --evidence steps=31,grid=15`);
    pairs[match[1]!] = match[2]!;
  }
  return pairs;
}

/**
 * Defaults, then `fromFile` (the experiment's evidence: block, where = 'experiment.evidence'
 * with its file), then `fromFlag`. Each bad value names where it came from.
 */
export function resolveEvidenceSettings(
  fromFile: Record<string, unknown>,
  fromFlag: Record<string, string>,
  where: { file: string; flag: string } = { file: 'evidence:', flag: '--evidence' },
): EvidenceSettings {
  const settings: Record<string, unknown> = { ...evidenceDefaults };
  for (const [source, values] of [[where.file, fromFile], [where.flag, fromFlag]] as const) {
    for (const [key, raw] of Object.entries(values)) {
      const spec = evidenceKeys[key];
      if (spec === undefined) {
        throw new UsageError(`${source} ${key}: not an evidence setting; valid: ${Object.keys(evidenceKeys).join(', ')}`);
      }
      settings[spec.field] = key === 'range' ? parseRange(source, raw) : wholeNumber(source, key, raw, spec.min);
    }
  }
  return settings as unknown as EvidenceSettings;
}

function wholeNumber(source: string, key: string, raw: unknown, min: number): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`${source} ${key}: must be a whole number >= ${min}, got '${String(raw)}'`);
  }
  return value;
}

function parseRange(source: string, raw: unknown): [number, number] {
  const parts = String(raw).split(':').map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) {
    throw new UsageError(`${source} range: must be LOW:HIGH with LOW < HIGH, e.g. -1:1; got '${String(raw)}'`);
  }
  return [parts[0]!, parts[1]!];
}
