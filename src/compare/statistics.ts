// Sample statistics for comparing variants: mean, sample std, and Welch's unequal-variance t-test.
// The t distribution comes from @stdlib (maintained, tested special functions), not hand-rolled code.
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { Delta, Stat } from './types.js';

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample variance (n-1 in the denominator). */
export function sampleVariance(values: readonly number[]): number {
  const center = mean(values);
  return values.reduce((sum, value) => sum + (value - center) ** 2, 0) / (values.length - 1);
}

export function describe(values: readonly number[]): Stat {
  return {
    n: values.length,
    mean: values.length > 0 ? mean(values) : null,
    std: values.length > 1 ? Math.sqrt(sampleVariance(values)) : null,
    values: [...values],
  };
}

/**
 * `variant` minus `baseline`: difference of means with a two-sided Welch t-test and its
 * confidence interval. Needs 2 values per side for variances; with fewer (or when both sides
 * have zero spread, which leaves t undefined) only the difference is given.
 */
export function welchDelta(variant: readonly number[], baseline: readonly number[], confidence = 0.95): Delta | null {
  if (variant.length === 0 || baseline.length === 0) return null;
  const delta = mean(variant) - mean(baseline);
  const bare: Delta = { delta, ciLow: null, ciHigh: null, df: null, t: null, pValue: null };
  if (variant.length < 2 || baseline.length < 2) return bare;
  const varianceOfMeanA = sampleVariance(variant) / variant.length;
  const varianceOfMeanB = sampleVariance(baseline) / baseline.length;
  const standardError2 = varianceOfMeanA + varianceOfMeanB;
  if (!(standardError2 > 0)) return bare;
  // Welch–Satterthwaite approximation of the degrees of freedom.
  const df =
    standardError2 ** 2 /
    (varianceOfMeanA ** 2 / (variant.length - 1) + varianceOfMeanB ** 2 / (baseline.length - 1));
  const standardError = Math.sqrt(standardError2);
  const t = delta / standardError;
  // 2*P(T <= -|t|) keeps precision for tiny p-values, where 1 - cdf would round to 0.
  const pValue = 2 * tCdf(-Math.abs(t), df);
  const halfWidth = tQuantile(1 - (1 - confidence) / 2, df) * standardError;
  return { delta, ciLow: delta - halfWidth, ciHigh: delta + halfWidth, df, t, pValue };
}

/**
 * Holm's step-down correction of a family of p-values (Holm 1979): the i-th smallest of m becomes
 * max over j <= i of min(1, (m - j + 1) p_(j)). Controls the family-wise error rate, with more
 * power than Bonferroni. Nulls (no test) stay null and do not count in m.
 */
export function holmAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  const tested = pValues.map((p, index) => ({ p, index })).filter((entry): entry is { p: number; index: number } => entry.p !== null);
  tested.sort((a, b) => a.p - b.p);
  const adjusted: (number | null)[] = pValues.map(() => null);
  let running = 0;
  tested.forEach((entry, rank) => {
    running = Math.max(running, Math.min(1, (tested.length - rank) * entry.p));
    adjusted[entry.index] = running;
  });
  return adjusted;
}
