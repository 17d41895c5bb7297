// The mean escape time from runs of which some may not have escaped within the horizon.
//
// Kramers' law makes escape a constant-rate (exponential) event once the run has relaxed in the
// well, so the estimate is the exponential model's maximum-likelihood mean under right-censoring:
// (total steps observed, escaped runs up to their escape and censored runs up to the horizon) /
// (number escaped). With no censoring it is the plain mean. Its 95% CI is a bootstrap over runs
// (percentile, 2000 resamples, seeded), which does not lean on the exponential shape.
import { RandomStream } from '../random.js';

export interface EscapeEstimate {
  readonly runs: number;
  readonly escaped: number;
  /** escaped / runs. */
  readonly share: number;
  /** Censoring-aware mean escape steps (Infinity if none escaped). */
  readonly mean: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  /** Mean over the escaped runs alone (biased low when many are censored); NaN if none. */
  readonly meanOfEscaped: number;
  /** Median over all runs, censored ones counted as never (Infinity if half did not escape). */
  readonly median: number;
}

export const BOOTSTRAP_RESAMPLES = 2000;

/** escapeSteps: 1-based step of escape, 0 for a run still in the sharp basin after `horizon`. */
export function estimateEscape(escapeSteps: Int32Array, horizon: number, seed: number): EscapeEstimate {
  const n = escapeSteps.length;
  const observed = Float64Array.from(escapeSteps, (s) => (s > 0 ? s : horizon));
  const events = Uint8Array.from(escapeSteps, (s) => (s > 0 ? 1 : 0));
  const estimate = (pick: (k: number) => number) => {
    let total = 0;
    let count = 0;
    for (let k = 0; k < n; k++) {
      const i = pick(k);
      total += observed[i];
      count += events[i];
    }
    return count > 0 ? total / count : Infinity;
  };
  const mean = estimate((k) => k);
  const random = RandomStream.derive(seed, 'toy-bootstrap');
  const resampled = Float64Array.from({ length: BOOTSTRAP_RESAMPLES }, () => estimate(() => random.int(n))).sort();
  const escaped = events.reduce((a, b) => a + b, 0);
  const times = Float64Array.from(escapeSteps.filter((s) => s > 0)).sort();
  // With no escape at all the bootstrap says nothing; the exponential model still bounds the mean
  // from below: P(no event | mean m) = exp(-total/m) >= 0.05 needs m >= total/ln(20).
  const lowerBound = escaped === 0 ? (n * horizon) / Math.log(20) : quantile(resampled, 0.025);
  return {
    runs: n,
    escaped,
    share: escaped / n,
    mean,
    ciLow: lowerBound,
    ciHigh: escaped === 0 ? Infinity : quantile(resampled, 0.975),
    meanOfEscaped: escaped ? times.reduce((a, b) => a + b, 0) / escaped : NaN,
    median: quantile(Float64Array.from(escapeSteps, (s) => (s > 0 ? s : Infinity)).sort(), 0.5),
  };
}

/** Linear interpolation between order statistics of a sorted array (the 'type 7' quantile). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const position = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const k = Math.floor(position);
  const next = sorted[Math.min(k + 1, sorted.length - 1)];
  return next === Infinity || sorted[k] === Infinity ? sorted[k] : sorted[k] + (position - k) * (next - sorted[k]);
}
