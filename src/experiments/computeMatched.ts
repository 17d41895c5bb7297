// The compute control (`controls: [compute_matched]`): for each variant V whose run costs k times
// the baseline's gradient evaluations (SAM: 2 a step, so k = 2 at the same epochs), a run
// `<baseline>~compute` that is the baseline trained k times as many epochs on its schedule
// stretched by k (schedule.stretch), so that both spend the same compute. See README, "The
// compute control".
import type { RunConfig } from '../config/index.js';
import { locate, mergeSourced, type PlainObject } from '../config/sourced.js';
import { ConfigError } from '../errors.js';
import { optimizers } from '../optimizers/index.js';
import type { ControlContext, ControlVariant, VariantSource } from './controls.js';

/** What the control's name adds to the baseline's: `baseline~compute`, `baseline~compute-x2` when several k. */
export const COMPUTE_MATCHED_SUFFIX = '~compute';

/** A run's gradient evaluations in units of one step of one epoch: cost per step x epochs. */
function costOf(config: RunConfig): number {
  return optimizers.get(config.optimizer.name).gradientEvaluationsPerStep * config.epochs;
}

/** How many times the baseline's gradient evaluations a variant's run costs (same data and batch size). */
export function computeFactor(variant: RunConfig, baseline: RunConfig): number {
  return costOf(variant) / costOf(baseline);
}

const unsourced = (value: PlainObject) => ({ value, locations: new Map() });

/**
 * The baseline trained k times as long on its schedule stretched by k: milestones, the cosine
 * period and the warm-up at k times their epochs. With k = 1 it trains as the baseline, bit for
 * bit (a stretch of 1 is the identity).
 */
export function computeMatched(baseline: VariantSource, k: number, variant: string): ControlVariant {
  const change = { epochs: baseline.config.epochs * k, schedule: { stretch: (baseline.config.schedule.stretch ?? 1) * k } };
  return {
    variant,
    source: baseline.variant,
    merged: mergeSourced(baseline.merged, unsourced(change)),
    overrides: mergeSourced(unsourced(baseline.overrides), unsourced(change)).value,
    readsSource: false,
  };
}

/** One control per distinct k among the variants that cost more than the baseline. */
export function computeMatchedVariants(sources: readonly VariantSource[], context: ControlContext): ControlVariant[] {
  const where = () => locate(context.own, context.controlsPath, context.file);
  const baseline = sources.find((source) => source.variant === context.baseline)!;
  const factors = new Set<number>();
  for (const source of sources) {
    if (source === baseline) continue;
    const k = computeFactor(source.config, baseline.config);
    if (k <= 1) continue;
    if (!Number.isInteger(k)) {
      throw new ConfigError(
        `compute_matched: variant '${source.variant}' costs ${k.toPrecision(3)} times the gradient evaluations of '${baseline.variant}', not a whole number of its runs; give it epochs that make it one`,
        where(),
      );
    }
    factors.add(k);
  }
  if (factors.size === 0) {
    throw new ConfigError(
      `controls: [compute_matched] needs a variant that costs more gradient evaluations than the baseline '${baseline.variant}' (an optimizer such as sam, 2 a step); every variant costs what it does`,
      where(),
    );
  }
  const several = factors.size > 1;
  return [...factors].sort((a, b) => a - b).map((k) => computeMatched(baseline, k, `${baseline.variant}${COMPUTE_MATCHED_SUFFIX}${several ? `-x${k}` : ''}`));
}
