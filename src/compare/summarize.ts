// Per-variant figures: accuracies, epoch time, flatness and per-epoch curves, and deltas vs the baseline.
import { variantSettings } from './settings.js';
import { describe, holmAdjust, mean, welchDelta } from './statistics.js';
import type { AccuracyFigures, Band, ControlKind, CurvePoint, Delta, EpochMetrics, RunRecord, RunRef, Stat, VariantSummary } from './types.js';

/** Figures of one run, the unit that the statistics average over. */
interface RunFigures {
  finalTop1: number | null;
  bestTop1: number | null;
  finalTop5: number | null;
  bestTop5: number | null;
  meanEpochSeconds: number | null;
}

function columnValues(rows: readonly EpochMetrics[], column: keyof EpochMetrics): number[] {
  return rows.map((row) => row[column]).filter((value): value is number => value !== null);
}

/** The highest finite value: a NaN epoch of a diverged run must not hide the run's best. */
function best(values: readonly number[]): number | null {
  const finite = values.filter(Number.isFinite);
  return finite.length > 0 ? Math.max(...finite) : null;
}

function runFigures(run: RunRecord): RunFigures {
  const top1 = columnValues(run.metrics, 'test_acc');
  const top5 = run.hasTop5 ? columnValues(run.metrics, 'test_top5') : [];
  const seconds = columnValues(run.metrics, 'epoch_seconds');
  return {
    finalTop1: top1.at(-1) ?? null,
    bestTop1: best(top1),
    finalTop5: top5.at(-1) ?? null,
    bestTop5: best(top5),
    // The first epoch carries one-off costs (kernel compilation, warm caches), which differ with
    // run order; leave it out when there are others.
    meanEpochSeconds: seconds.length > 0 ? mean(seconds.length > 1 ? seconds.slice(1) : seconds) : null,
  };
}

function describePresent(values: readonly (number | null)[]): Stat {
  return describe(values.filter((value): value is number => value !== null));
}

export function runRef(run: RunRecord): RunRef {
  return { dir: run.dir, seed: run.info.seed, status: run.info.status, epochs: run.metrics.length };
}

interface VariantInput {
  label: string;
  runs: readonly RunRecord[];
}

/**
 * How `vdm run` names a variant's control (src/experiments/controls.ts): `log` -> `log~step`;
 * `~lr` is the retired lr_matched control, still read so that earlier folders compare.
 */
export const CONTROL_SUFFIXES: Readonly<Record<ControlKind, string>> = { step: '~step', lr: '~lr' };

/** How `vdm run` names the compute control of the baseline: `baseline~compute`, or `baseline~compute-x2` when there are several. */
export const COMPUTE_SUFFIX = '~compute';

/** Summaries of every variant; `baseline` (if any) is one of `variants`. */
export function summarizeVariants(variants: readonly VariantInput[], baseline: VariantInput | null): VariantSummary[] {
  const figures = new Map(variants.map((v) => [v, v.runs.map(runFigures)]));
  const accuracy = new Map(variants.map((v) => [v, accuracyFigures(figures.get(v)!)]));
  const seconds = new Map(variants.map((v) => [v, describePresent(figures.get(v)!.map((f) => f.meanEpochSeconds))]));
  const baseAccuracy = baseline ? accuracy.get(baseline)! : null;
  const baseSeconds = baseline ? seconds.get(baseline)!.mean : null;
  const baseFlatness = baseline ? flatnessFigures(baseline.runs) : null;
  const summaries = variants.map((variant): VariantSummary => {
    const own = accuracy.get(variant)!;
    const epochSeconds = seconds.get(variant)!;
    const isBaseline = variant === baseline;
    return {
      label: variant.label,
      isBaseline,
      runs: variant.runs.map(runRef),
      completed: variant.runs.filter((run) => run.info.status === 'completed').length,
      accuracy: own,
      vsBaseline: baseAccuracy === null || isBaseline ? null : deltas(own, baseAccuracy),
      vsControl: controlDeltas(variant, variants, accuracy),
      vsCompute: isBaseline || baseline === null ? null : computeDeltas(variant, baseline, variants, accuracy),
      scaleLossCorrelation: describePresent(variant.runs.map((run) => run.scaleLossCorrelation)),
      gradientEvaluations: describePresent(variant.runs.map((run) => run.gradientEvaluations)),
      swaTestAcc: describePresent(variant.runs.map((run) => run.swaTestAcc)),
      epochSeconds,
      epochTimeRatio:
        baseSeconds !== null && epochSeconds.mean !== null && baseSeconds > 0 ? epochSeconds.mean / baseSeconds : null,
      flatness: flatnessFigures(variant.runs),
      flatnessVsBaseline: baseFlatness === null || isBaseline ? null : flatnessDeltas(flatnessFigures(variant.runs), baseFlatness),
      settings: variantSettings(variant.runs),
      curves: curves(variant.runs),
    };
  });
  applyHolm(summaries);
  return summaries;
}

function flatnessDeltas(own: Record<string, Stat>, base: Record<string, Stat>): Record<string, Delta | null> {
  // An estimator's standard error (hessian_trace_stderr) describes the measurement, not the minimum.
  const figures = Object.entries(own).filter(([key]) => !key.endsWith('_stderr'));
  return Object.fromEntries(figures.map(([key, stat]) => [key, base[key] ? welchDelta(stat.values, base[key].values) : null]));
}

/**
 * Every figure tested against the baseline is one family over the variants: with 9 variants,
 * some raw p < 0.05 are expected by chance alone, so each Delta also gets its Holm-corrected p.
 */
function applyHolm(summaries: readonly VariantSummary[]): void {
  const families: Delta[][] = [];
  for (const key of ['finalTop1', 'bestTop1', 'finalTop5', 'bestTop5'] as const) {
    families.push(summaries.map((v) => v.vsBaseline?.[key] ?? null).filter((d): d is Delta => d !== null));
  }
  const flatnessKeys = new Set(summaries.flatMap((v) => Object.keys(v.flatnessVsBaseline ?? {})));
  for (const key of flatnessKeys) {
    families.push(summaries.map((v) => v.flatnessVsBaseline?.[key] ?? null).filter((d): d is Delta => d !== null));
  }
  for (const family of families) {
    const adjusted = holmAdjust(family.map((delta) => delta.pValue));
    family.forEach((delta, i) => (delta.pHolm = adjusted[i]));
  }
}

function accuracyFigures(figures: readonly RunFigures[]): AccuracyFigures {
  const top5 = describePresent(figures.map((f) => f.finalTop5));
  return {
    finalTop1: describePresent(figures.map((f) => f.finalTop1)),
    bestTop1: describePresent(figures.map((f) => f.bestTop1)),
    finalTop5: top5.n > 0 ? top5 : null,
    bestTop5: top5.n > 0 ? describePresent(figures.map((f) => f.bestTop5)) : null,
  };
}

function deltas(own: AccuracyFigures, base: AccuracyFigures): NonNullable<VariantSummary['vsBaseline']> {
  const delta = (a: Stat | null, b: Stat | null) => (a && b ? welchDelta(a.values, b.values) : null);
  return {
    finalTop1: delta(own.finalTop1, base.finalTop1),
    bestTop1: delta(own.bestTop1, base.bestTop1),
    finalTop5: delta(own.finalTop5, base.finalTop5),
    bestTop5: delta(own.bestTop5, base.bestTop5),
  };
}

/** How a control smooths, as its runs' config says: `epoch_mean over seeds 1, 2, 3`. */
function smoothingOf(control: VariantInput): string | null {
  const config = control.runs[0]?.config;
  if (config === undefined || typeof config['vdm.smoothing'] !== 'string') return null;
  const seeds = new Set(control.runs.map((run) => JSON.stringify(run.config['vdm.seeds'])));
  const pooled = seeds.size === 1 ? (JSON.parse([...seeds][0]) as number[] | undefined) : undefined;
  const ema = config['vdm.smoothing'] === 'ema' ? ` (${config['vdm.ema_steps']} steps)` : '';
  const source = pooled && pooled.length > 1 ? ` over seeds ${pooled.join(', ')}` : ' of one source seed a run';
  return `${config['vdm.smoothing']}${ema}${source}`;
}

/** This variant minus its control (`~step`, else a retired `~lr`), when there is one. */
function controlDeltas(variant: VariantInput, all: readonly VariantInput[], accuracy: Map<VariantInput, AccuracyFigures>): VariantSummary['vsControl'] {
  for (const kind of ['step', 'lr'] as const) {
    const control = all.find((other) => other.label === `${variant.label}${CONTROL_SUFFIXES[kind]}`);
    if (control === undefined) continue;
    const [own, base] = [accuracy.get(variant)!, accuracy.get(control)!];
    return {
      label: control.label,
      kind,
      smoothing: kind === 'step' ? smoothingOf(control) : null,
      finalTop1: welchDelta(own.finalTop1.values, base.finalTop1.values),
      bestTop1: welchDelta(own.bestTop1.values, base.bestTop1.values),
    };
  }
  return null;
}

/** The gradient evaluations of a variant's first completed run (every seed costs the same); null without one. */
function costOf(variant: VariantInput): number | null {
  return variant.runs.find((run) => run.info.status === 'completed' && run.gradientEvaluations !== null)?.gradientEvaluations ?? null;
}

/** Whether a label names a compute control of the baseline: `baseline~compute`, `baseline~compute-x2`. */
function isComputeControl(label: string, baseline: string): boolean {
  const name = `${baseline}${COMPUTE_SUFFIX}`;
  return label === name || (label.startsWith(`${name}-x`) && /^\d+$/.test(label.slice(name.length + 2)));
}

/**
 * This variant minus the compute control that spent the same gradient evaluations: matched by
 * the counts in summary.json, not by name, so a variant that costs what the baseline does (a VDM,
 * flooding) gets none, and one that costs twice as much gets the ×2 control.
 */
function computeDeltas(variant: VariantInput, baseline: VariantInput, all: readonly VariantInput[], accuracy: Map<VariantInput, AccuracyFigures>): VariantSummary['vsCompute'] {
  if (variant.label.includes('~')) return null; // a control itself
  const [own, base] = [costOf(variant), costOf(baseline)];
  if (own === null || base === null || own <= base) return null;
  const control = all.find((other) => isComputeControl(other.label, baseline.label) && costOf(other) === own);
  if (control === undefined) return null;
  const [mine, theirs] = [accuracy.get(variant)!, accuracy.get(control)!];
  return {
    label: control.label,
    factor: base > 0 ? own / base : null,
    finalTop1: welchDelta(mine.finalTop1.values, theirs.finalTop1.values),
    bestTop1: welchDelta(mine.bestTop1.values, theirs.bestTop1.values),
  };
}

/** Every numeric field any run's flatness.json has, summarised over the runs that have it. */
function flatnessFigures(runs: readonly RunRecord[]): Record<string, Stat> {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.flatness ?? {})))].sort();
  return Object.fromEntries(keys.map((key) => [key, describePresent(runs.map((run) => run.flatness?.[key] ?? null))]));
}

function band(values: readonly (number | null)[]): Band | null {
  const finite = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (finite.length === 0) return null;
  return { mean: mean(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** Mean, min and max over runs at each epoch that at least one run reached. */
function curves(runs: readonly RunRecord[]): CurvePoint[] {
  const epochs = [...new Set(runs.flatMap((run) => run.metrics.map((row) => row.epoch!)))].sort((a, b) => a - b);
  return epochs.map((epoch) => {
    const rows = runs.map((run) => run.metrics.find((row) => row.epoch === epoch)).filter((row) => row !== undefined);
    return {
      epoch,
      runs: rows.length,
      test_acc: band(rows.map((row) => row.test_acc)),
      train_loss: band(rows.map((row) => row.train_loss)),
      grad_scale: band(rows.map((row) => row.grad_scale)),
    };
  });
}
