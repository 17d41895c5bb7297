// How figures are written for people: accuracies in percent, deltas in percentage points.
import type { Delta, Stat } from './types.js';

export const missing = '–';

export function percent(fraction: number | null, digits = 2): string {
  return fraction === null ? missing : (fraction * 100).toFixed(digits);
}

/** '71.17 ± 0.65' in percent; just the mean when there is no spread to show. */
export function percentStat(stat: Stat | null): string {
  if (stat === null || stat.mean === null) return missing;
  return stat.std === null ? percent(stat.mean) : `${percent(stat.mean)} ± ${percent(stat.std)}`;
}

function signedPoints(fraction: number): string {
  const text = (fraction * 100).toFixed(2);
  return fraction >= 0 && !text.startsWith('-') ? `+${text}` : text;
}

/** '+1.88 [+0.51, +3.26]': percentage points with the 95% CI when there is one. */
export function deltaWithInterval(delta: Delta | null): string {
  if (delta === null) return missing;
  const interval = delta.ciLow === null || delta.ciHigh === null ? '' : ` [${signedPoints(delta.ciLow)}, ${signedPoints(delta.ciHigh)}]`;
  return `${signedPoints(delta.delta)}${interval}`;
}

export function pValue(delta: Delta | null): string {
  if (delta === null || delta.pValue === null) return missing;
  return delta.pValue >= 0.001 ? delta.pValue.toFixed(3) : delta.pValue.toExponential(1);
}

/** A plain figure (seconds, flatness) to about 4 significant digits. */
export function plain(value: number | null): string {
  if (value === null) return missing;
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

export function plainStat(stat: Stat): string {
  if (stat.mean === null) return missing;
  return stat.std === null ? plain(stat.mean) : `${plain(stat.mean)} ± ${plain(stat.std)}`;
}

export function seconds(value: number | null): string {
  return value === null ? missing : value.toFixed(2);
}

export function ratio(value: number | null): string {
  return value === null ? missing : `${value.toFixed(2)}×`;
}

/** A count such as gradient evaluations, in whole units with thousands separated ('12,480'). */
export function count(value: number | null): string {
  return value === null ? missing : Math.round(value).toLocaleString('en-US');
}
