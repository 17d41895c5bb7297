// What identifies a landscape: its settings. The settings name the files (a different setting is
// a different file, never a stale one reused) and fix the order of the grid's points.
import { createHash } from 'node:crypto';
import type { BnChoice } from './evaluate.js';
import type { IgnoreChoice } from './directions.js';

export type LandscapeKind = '1d' | '2d' | 'between';
export type SplitChoice = 'train' | 'test';

export interface LandscapeSettings {
  readonly kind: LandscapeKind;
  /** Coordinates along each direction (for 'between': alpha, 0 = run A, 1 = run B). */
  readonly range: readonly [number, number];
  /** Points per axis. */
  readonly steps: number;
  readonly samples: number;
  /** Picks the directions and the examples. */
  readonly seed: number;
  readonly ignore: IgnoreChoice;
  readonly bn: BnChoice;
  readonly splits: readonly SplitChoice[];
  /** Evaluation batch size; only speed depends on it (null: the run's). */
  readonly batchSize: number | null;
  /** 'between': the other end's run folder (its real path, so the name is stable). */
  readonly partner: string | null;
  /** 'swa': the runs' SWA averages. Absent for the last weights, so earlier tables keep their names. */
  readonly which?: 'swa';
}

export const landscapeDefaults = {
  range: [-1, 1] as const,
  betweenRange: [-0.5, 1.5] as const,
  steps: 51,
  samples: 2048,
  seed: 0,
  ignore: 'biasbn' as IgnoreChoice,
  bn: 'stored' as BnChoice,
};

/** The grid's points in the order they are computed and written: 2-D row by row (y outer). */
export function gridPoints(settings: LandscapeSettings): number[][] {
  const [low, high] = settings.range;
  const axis = Array.from({ length: settings.steps }, (_, i) =>
    settings.steps === 1 ? low : Number((low + ((high - low) * i) / (settings.steps - 1)).toPrecision(12)),
  );
  if (settings.kind === '2d') return axis.flatMap((y) => axis.map((x) => [x, y]));
  return axis.map((x) => [x]);
}

export function coordinateColumns(kind: LandscapeKind): string[] {
  return kind === '2d' ? ['x', 'y'] : kind === '1d' ? ['x'] : ['alpha'];
}

export function valueColumns(settings: LandscapeSettings): string[] {
  return settings.splits.flatMap((split) => [`${split}_loss`, `${split}_accuracy`]);
}

function hashOf(settings: LandscapeSettings): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 8);
}

/**
 * A readable stem with the settings a user varies, plus a hash of all of them:
 * `2d-s51-r-1_1-n2048-seed0-biasbn-stored-1a2b3c4d`.
 */
export function settingsStem(settings: LandscapeSettings): string {
  const range = `r${settings.range[0]}_${settings.range[1]}`;
  const shared = [`s${settings.steps}`, range, `n${settings.samples}`];
  const parts =
    settings.kind === 'between'
      ? [...shared, settings.bn]
      : [...shared, `seed${settings.seed}`, settings.ignore, settings.bn];
  if (settings.splits.includes('test')) parts.push('test');
  if (settings.which === 'swa') parts.push('swa');
  return [settings.kind, ...parts, hashOf(settings)].join('-');
}
