// The data `vdm compare` reads from run folders and the comparison it computes from them.
// Accuracies stay fractions in [0,1] here, as in metrics.csv; formatters turn them into percent.

export const runStatuses = ['running', 'completed', 'failed', 'interrupted', 'diverged'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** Columns of metrics.csv; test_top5 is written only for data sets with more than 10 classes. */
export const metricColumns = [
  'epoch',
  'lr',
  'train_loss',
  'train_acc',
  'test_loss',
  'test_acc',
  'test_top5',
  'deformed_loss',
  'grad_scale',
  'epoch_seconds',
  'images_per_s',
] as const;
export type MetricColumn = (typeof metricColumns)[number];
export const optionalMetricColumns: readonly MetricColumn[] = ['test_top5'];

/** One epoch of metrics.csv; an empty cell (or an absent optional column) is null. */
export type EpochMetrics = Record<MetricColumn, number | null>;

/** The fields of run.json that compare uses (the file may hold more). */
export interface RunInfo {
  status: RunStatus;
  message: string | null;
  experiment: string | null;
  variant: string | null;
  seed: number | null;
  backend: string | null;
  /** The variant's overrides of the experiment's base config, when the runner records them. */
  overrides: Record<string, unknown> | null;
}

/** One run folder, parsed and validated. */
export interface RunRecord {
  dir: string;
  info: RunInfo;
  /** config.yaml flattened to dot paths (`optimizer.lr`), arrays kept whole. */
  config: Record<string, unknown>;
  metrics: EpochMetrics[];
  hasTop5: boolean;
  /** Numeric fields of flatness.json, flattened to dot paths; null when the file is absent. */
  flatness: Record<string, number> | null;
  /** flatness.json's `settings` (how the figures were measured), flattened; null when absent. */
  flatnessSettings: Record<string, unknown> | null;
  /** Within-epoch correlation of the per-step gradient scale with the batch loss (steps.csv); null without one. */
  scaleLossCorrelation: number | null;
  /** summary.json's count of forward and backward passes (SAM 2 a step, the rest 1); null where absent. */
  gradientEvaluations: number | null;
  /** summary.json's swa_test_acc: the SWA average's test top-1 (fraction); null for a run without SWA. */
  swaTestAcc: number | null;
}

/** Mean and sample standard deviation of one figure over a variant's runs. */
export interface Stat {
  n: number;
  mean: number | null;
  /** Sample (n-1) standard deviation; null below 2 values. */
  std: number | null;
  values: number[];
}

/** Variant minus baseline: difference of means, Welch 95% CI and two-sided p-value. */
export interface Delta {
  delta: number;
  ciLow: number | null;
  ciHigh: number | null;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number | null;
  t: number | null;
  pValue: number | null;
  /**
   * Holm-corrected p over the variants tested against the baseline on this figure (equal to
   * pValue when only one is); absent where no correction was computed.
   */
  pHolm?: number | null;
}

/** Mean, min and max over a variant's runs at one epoch (accuracy as a fraction). */
export interface CurvePoint {
  epoch: number;
  runs: number;
  test_acc: Band | null;
  train_loss: Band | null;
  grad_scale: Band | null;
}
export interface Band {
  mean: number;
  min: number;
  max: number;
}

export interface RunRef {
  dir: string;
  seed: number | null;
  status: RunStatus;
  epochs: number;
}

export interface ExcludedRun extends RunRef {
  variant: string;
  reason: string;
}

export interface AccuracyFigures {
  finalTop1: Stat;
  bestTop1: Stat;
  /** null when no included run has test_top5. */
  finalTop5: Stat | null;
  bestTop5: Stat | null;
}

/** `step`: the step-size control V~step; `lr`: the retired lr-matched control V~lr (a replay of V). */
export type ControlKind = 'step' | 'lr';

export interface VariantSummary {
  label: string;
  isBaseline: boolean;
  /** Runs whose figures enter the statistics. */
  runs: RunRef[];
  completed: number;
  accuracy: AccuracyFigures;
  /** Against the baseline; null for the baseline itself or when there is none. */
  vsBaseline: {
    finalTop1: Delta | null;
    bestTop1: Delta | null;
    finalTop5: Delta | null;
    bestTop5: Delta | null;
  } | null;
  /**
   * Against this variant's step-size control, the variant labelled `<label>~step` (V's step
   * sizes, smoothed, without their loss-dependence), or, in folders from before it, the retired
   * lr-matched `<label>~lr`; null when the comparison has none.
   */
  vsControl: {
    label: string;
    kind: ControlKind;
    /** The control's smoothing (vdm.smoothing and vdm.seeds of its config), for the report; null for ~lr. */
    smoothing: string | null;
    finalTop1: Delta | null;
    bestTop1: Delta | null;
  } | null;
  /**
   * Against the compute control `<baseline>~compute` (the baseline trained k times as long on a
   * stretched schedule) whose runs cost the gradient evaluations this variant's do; null when
   * the comparison has none or this variant costs what the baseline does.
   */
  vsCompute: {
    label: string;
    /** The control's gradient evaluations over the baseline's (k). */
    factor: number | null;
    finalTop1: Delta | null;
    bestTop1: Delta | null;
  } | null;
  /** Per run: the within-epoch correlation of the gradient scale with the batch loss (steps.csv). */
  scaleLossCorrelation: Stat;
  /** Per run: the gradient evaluations the run cost (summary.json), summarised over runs. */
  gradientEvaluations: Stat;
  /** Per run: the SWA average's test top-1 (summary.json's swa_test_acc), summarised over the runs that have one. */
  swaTestAcc: Stat;
  /** Per-run mean of epoch_seconds, summarised over runs. */
  epochSeconds: Stat;
  /** This variant's mean epoch time over the baseline's. */
  epochTimeRatio: number | null;
  flatness: Record<string, Stat>;
  /** Each flatness figure against the baseline's; null for the baseline itself or when there is none. */
  flatnessVsBaseline: Record<string, Delta | null> | null;
  /** What the variant trained: settingsKeys -> display text (see settings.ts). */
  settings: Record<string, string>;
  curves: CurvePoint[];
}

/** A config key whose value is not the same in every variant. */
export interface ConfigDifference {
  key: string;
  /** Value per variant label; undefined where the key is absent. */
  values: Record<string, unknown>;
}

export interface Comparison {
  /** The experiment's name from run.json (or config name), when every run names the same one. */
  experiment: string | null;
  baseline: string | null;
  /** More than one variant is tested against the baseline, so p-values are Holm-corrected too. */
  holmCorrected: boolean;
  /** flatness.json settings over all runs: key -> the distinct values, as text. */
  flatnessSettings: Record<string, string>;
  variants: VariantSummary[];
  excluded: ExcludedRun[];
  warnings: string[];
  configDifferences: ConfigDifference[];
}

export interface CompareOptions {
  /** Label of the baseline variant; default: variant 'baseline', else the one with vdm.name 'none'. */
  baseline?: string;
  /** Count failed, diverged, running and interrupted runs in the statistics. */
  includeIncomplete?: boolean;
}
