// The comparison as one table of display strings (plus notes), shared by the terminal,
// markdown and HTML renderers so they always show the same figures.
import { count, deltaWithInterval, missing, percentStat, plain, plainStat, pValue, ratio, seconds } from './numbers.js';
import { settingsRows, settingsTitles } from './settings.js';
import { COMPUTE_SUFFIX, CONTROL_SUFFIXES } from './summarize.js';
import type { Comparison, Delta, VariantSummary } from './types.js';

/** A plain table of display strings. */
export interface SimpleTable {
  header: string[];
  numeric: boolean[];
  rows: string[][];
}

export interface DisplayTable {
  /** 'quickstart: comparison against baseline'. */
  title: string;
  header: string[];
  /** Which columns hold numbers (right-aligned). */
  numeric: boolean[];
  rows: string[][];
  /** What the figures mean. */
  legend: string[];
  /** Runs left out of the statistics, one line each. */
  excluded: string[];
  warnings: string[];
  /** Settings every variant shares, as 'Model: lenet5' lines; the table holds the others. */
  sharedSettings: string[];
  settings: SimpleTable;
  /** One row per flatness figure and variant; null when no run has flatness.json. */
  flatness: SimpleTable | null;
  flatnessLegend: string[];
}

interface Column {
  title: string;
  numeric: boolean;
  cell: (variant: VariantSummary) => string;
}

/** The baseline is marked, unless its label already says so. */
function variantName(variant: VariantSummary): string {
  return variant.isBaseline && variant.label !== 'baseline' ? `${variant.label} (baseline)` : variant.label;
}

function columns(comparison: Comparison): Column[] {
  const hasTop5 = comparison.variants.some((v) => v.accuracy.finalTop5 !== null);
  const hasControls = comparison.variants.some((v) => v.vsControl !== null);
  // Folders from before summary.json counted them have none: no column of dashes.
  const hasCosts = comparison.variants.some((v) => v.gradientEvaluations.n > 0);
  const hasSwa = comparison.variants.some((v) => v.swaTestAcc.n > 0);
  const hasCompute = comparison.variants.some((v) => v.vsCompute !== null);
  const controlSuffix = controlSuffixOf(comparison);
  const excludedCount = (label: string) => comparison.excluded.filter((run) => run.variant === label).length;
  const all: (Column | false)[] = [
    { title: 'Variant', numeric: false, cell: variantName },
    { title: 'Runs', numeric: true, cell: (v) => `${v.completed}/${v.runs.length + excludedCount(v.label)}` },
    { title: 'Final top-1 %', numeric: true, cell: (v) => percentStat(v.accuracy.finalTop1) },
    { title: 'Best top-1 %', numeric: true, cell: (v) => percentStat(v.accuracy.bestTop1) },
    hasSwa && { title: 'SWA top-1 %', numeric: true, cell: (v) => percentStat(v.swaTestAcc) },
    hasTop5 && { title: 'Final top-5 %', numeric: true, cell: (v) => percentStat(v.accuracy.finalTop5) },
    hasTop5 && { title: 'Best top-5 %', numeric: true, cell: (v) => percentStat(v.accuracy.bestTop5) },
    comparison.baseline !== null && {
      title: 'Δ final top-1 pp [95% CI]',
      numeric: true,
      cell: (v) => (v.isBaseline ? '' : deltaWithInterval(v.vsBaseline?.finalTop1 ?? null)),
    },
    comparison.baseline !== null && {
      title: 'p',
      numeric: true,
      cell: (v) => (v.isBaseline ? '' : pValue(v.vsBaseline?.finalTop1 ?? null)),
    },
    comparison.holmCorrected && {
      title: 'p (Holm)',
      numeric: true,
      cell: (v) => (v.isBaseline ? '' : holmP(v.vsBaseline?.finalTop1 ?? null)),
    },
    hasControls && { title: `Δ vs ${controlSuffix} pp [95% CI]`, numeric: true, cell: (v) => (v.vsControl ? deltaWithInterval(v.vsControl.finalTop1) : '') },
    hasControls && { title: `p (${controlSuffix})`, numeric: true, cell: (v) => (v.vsControl ? pValue(v.vsControl.finalTop1) : '') },
    hasCompute && { title: `Δ vs ${COMPUTE_SUFFIX} pp [95% CI]`, numeric: true, cell: (v) => (v.vsCompute ? deltaWithInterval(v.vsCompute.finalTop1) : '') },
    hasCompute && { title: `p (${COMPUTE_SUFFIX})`, numeric: true, cell: (v) => (v.vsCompute ? pValue(v.vsCompute.finalTop1) : '') },
    hasCosts && { title: 'Grad evals', numeric: true, cell: (v) => count(v.gradientEvaluations.mean) },
    { title: 'Epoch s', numeric: true, cell: (v) => seconds(v.epochSeconds.mean) },
    comparison.baseline !== null && { title: 'Time ×', numeric: true, cell: (v) => ratio(v.epochTimeRatio) },
  ];
  return all.filter((column): column is Column => column !== false);
}

/** `~step`, or `~lr` when every control is a retired lr-matched one; `~step/~lr` for a mix of old and new folders. */
function controlSuffixOf(comparison: Comparison): string {
  const kinds = new Set(comparison.variants.flatMap((v) => (v.vsControl ? [v.vsControl.kind] : [])));
  return [...kinds].sort().reverse().map((kind) => CONTROL_SUFFIXES[kind]).join('/');
}

function holmP(delta: Delta | null): string {
  return delta?.pHolm === undefined || delta.pHolm === null ? missing : pValue({ ...delta, pValue: delta.pHolm });
}

export function titleOf(comparison: Comparison): string {
  const what = comparison.baseline === null ? 'variant comparison' : `comparison against ${comparison.baseline}`;
  return comparison.experiment === null ? what[0]!.toUpperCase() + what.slice(1) : `${comparison.experiment}: ${what}`;
}

export function displayTable(comparison: Comparison): DisplayTable {
  const chosen = columns(comparison);
  const settings = settingsTable(comparison);
  return {
    title: titleOf(comparison),
    ...settings,
    flatness: flatnessTable(comparison),
    flatnessLegend: flatnessLegend(comparison),
    header: chosen.map((column) => column.title),
    numeric: chosen.map((column) => column.numeric),
    rows: comparison.variants.map((variant) => chosen.map((column) => column.cell(variant))),
    legend: legend(comparison),
    excluded: comparison.excluded.map((run) => `${run.variant} seed ${run.seed ?? '?'} (${run.dir}): ${run.reason}`),
    warnings: comparison.warnings,
  };
}

/** What the columns mean, for the lines under the table. */
function legend(comparison: Comparison): string[] {
  const lines = [
    'Runs: completed / found. Accuracies in % as mean ± sample std over seeds (final = last epoch).' +
      (comparison.baseline === null
        ? ''
        : ` Δ: difference of means vs '${comparison.baseline}' in percentage points, Welch 95% CI;` +
          " p: Welch's t-test, two-sided. Epoch s: mean epoch time after the first (warm-up) epoch; Time ×: its ratio to the baseline's."),
  ];
  if (comparison.variants.some((v) => v.swaTestAcc.n > 0)) {
    lines.push("SWA top-1: test accuracy of the run's stochastic weight average (its BatchNorm statistics recomputed), mean ± std over the runs that have one (summary.json's swa_test_acc).");
  }
  if (comparison.variants.some((v) => v.gradientEvaluations.n > 0)) {
    lines.push('Grad evals: forward and backward passes a run cost, counted rather than timed (SAM 2 a step, every other method 1), mean over its runs (summary.json).');
  }
  if (comparison.holmCorrected) {
    const tested = comparison.variants.filter((v) => !v.isBaseline && v.runs.length > 0).length;
    lines.push(
      `p (Holm): ${tested} variants are tested against '${comparison.baseline}', so some raw p below 0.05 are expected by chance; ` +
        "p (Holm) is corrected for that (Holm's step-down method, family-wise error 5% when p (Holm) < 0.05). Raw p is kept for reference.",
    );
  }
  if (comparison.baseline !== null) {
    lines.push(
      'Time × is wall-clock time: on a shared or busy machine it moves by tens of percent from run to run (the first epoch is already left out), ' +
        'so read differences below ~20% as noise; time runs on an idle machine (or npm run bench) before claiming a cost.',
    );
  }
  for (const variant of comparison.variants) {
    if (variant.vsControl !== null) lines.push(controlReading(variant, variant.vsControl, comparison.baseline));
  }
  lines.push(...computeReadings(comparison));
  return lines;
}

/** One line per compute control: which variants it matches, at what cost, and what its Δ says. */
function computeReadings(comparison: Comparison): string[] {
  const byControl = new Map<string, VariantSummary[]>();
  for (const variant of comparison.variants) {
    if (variant.vsCompute !== null) byControl.set(variant.vsCompute.label, [...(byControl.get(variant.vsCompute.label) ?? []), variant]);
  }
  return [...byControl].map(([label, variants]) => {
    const k = variants[0]!.vsCompute!.factor;
    const times = k === null ? 'as many times' : `${plain(k)}×`;
    const control = comparison.variants.find((v) => v.label === label);
    const cost = control?.gradientEvaluations.mean ?? null;
    return (
      `Δ vs ${COMPUTE_SUFFIX} (${variants.map((v) => v.label).join(', ')}): against '${label}', '${comparison.baseline}' trained ${times} the epochs on its schedule stretched by the same factor, ` +
      `so it spent the gradient evaluations they did${cost === null ? '' : ` (${count(cost)} a run)`}; a Δ above 0 here is a gain over plain training given the same compute, ` +
      `not only over the baseline's shorter run (README: The compute control).`
    );
  });
}

/**
 * The decomposition V − baseline = (V~step − baseline) + (V − V~step), in two sentences naming
 * the control's smoothing. A retired ~lr control replays V, so its line says that instead.
 */
function controlReading(variant: VariantSummary, control: NonNullable<VariantSummary['vsControl']>, baseline: string | null): string {
  const V = variant.label;
  if (control.kind === 'lr') {
    return (
      `Δ vs ~lr (${V}): against '${control.label}', the retired learning-rate-matched control; with the same seed it replays ${V} ` +
      '(identical with momentum 0), so this delta measures only how momentum and weight decay treat a recorded lr, not the loss-dependence of φ′. Rerun with controls: [step_matched].'
    );
  }
  const against = baseline === null ? 'the baseline' : `'${baseline}'`;
  return (
    `Δ vs ~step (${V}): ${V} − ${against} = (${control.label} − ${against}) + (${V} − ${control.label}); ` +
    `the first term is the effect of ${V}'s step sizes alone, the second (this column, Welch 95% CI and p) that of φ′ following each batch's loss. ` +
    `${control.label} trains with φ_t(L) = c_t·L, c_t being ${V}'s recorded φ′ smoothed by ${control.smoothing ?? 'an unknown smoothing'} (README: The step-size control).`
  );
}

/** Shared settings as lines, the differing ones (and seeds) as a table with a row per variant. */
function settingsTable(comparison: Comparison): { sharedSettings: string[]; settings: SimpleTable } {
  const keys = [...settingsRows.map((row) => row.key), 'seeds'];
  const variants = comparison.variants;
  const shared = keys.filter((key) => key !== 'seeds' && variants.length > 0 && variants.every((v) => v.settings[key] === variants[0]!.settings[key]));
  const own = keys.filter((key) => !shared.includes(key));
  return {
    // An optional block no variant uses (SWA: –) says nothing: leave its line out.
    sharedSettings: shared.filter((key) => !(key === 'swa' && variants[0]!.settings[key] === '–')).map((key) => `${settingsTitles[key]}: ${variants[0]!.settings[key]}`),
    settings: {
      header: ['Variant', ...own.map((key) => settingsTitles[key]!)],
      numeric: [false, ...own.map(() => false)],
      rows: variants.map((v) => [variantName(v), ...own.map((key) => v.settings[key] ?? missing)]),
    },
  };
}

/** An estimator's own standard error (hessian_trace_stderr): not a figure to test between variants. */
export function isStandardError(key: string): boolean {
  return key.endsWith('_stderr');
}

function flatnessKeysOf(comparison: Comparison): string[] {
  return [...new Set(comparison.variants.flatMap((v) => Object.keys(v.flatness)))].filter((key) => !isStandardError(key)).sort();
}

/** Long form (a row per figure and variant) so that many figures never widen the table. */
function flatnessTable(comparison: Comparison): SimpleTable | null {
  const keys = flatnessKeysOf(comparison);
  if (keys.length === 0) return null;
  const withBaseline = comparison.baseline !== null;
  const header = ['Figure', 'Variant', 'Mean ± std', ...(withBaseline ? ['Δ vs baseline [95% CI]', 'p'] : []), ...(comparison.holmCorrected ? ['p (Holm)'] : [])];
  const rows = keys.flatMap((key) =>
    comparison.variants.map((v) => {
      const stat = v.flatness[key];
      const delta = v.flatnessVsBaseline?.[key] ?? null;
      const cells = [key, variantName(v), stat ? plainStat(stat) : missing];
      if (withBaseline) cells.push(v.isBaseline ? '' : plainDelta(delta), v.isBaseline ? '' : pValue(delta));
      if (comparison.holmCorrected) cells.push(v.isBaseline ? '' : holmP(delta));
      return cells;
    }),
  );
  return { header, numeric: header.map((_, i) => i >= 2), rows };
}

/** '+12.3 [+1.2, +23.4]' in the figure's own units. */
function plainDelta(delta: Delta | null): string {
  if (delta === null) return missing;
  const signed = (value: number) => (value >= 0 ? `+${plain(value)}` : plain(value));
  const interval = delta.ciLow === null || delta.ciHigh === null ? '' : ` [${signed(delta.ciLow)}, ${signed(delta.ciHigh)}]`;
  return `${signed(delta.delta)}${interval}`;
}

function flatnessLegend(comparison: Comparison): string[] {
  if (flatnessKeysOf(comparison).length === 0) return [];
  return [
    'Flatness figures from each run\'s flatness.json (vdm flatness), mean ± sample std over the runs that have it; ' +
      'Δ: difference of means vs the baseline in the figure\'s units, Welch 95% CI, p two-sided' +
      (comparison.holmCorrected ? ', p (Holm) corrected over the variants per figure.' : '.') +
      ' The estimators\' own standard errors (*_stderr) are in the CSV and JSON. How the figures were measured is below, not in the table.',
    `Flatness settings: ${Object.entries(comparison.flatnessSettings).map(([key, value]) => `${key} ${value}`).join('; ') || 'not recorded'}.`,
  ];
}

/** Legend, excluded runs and warnings as plain lines, for the text formats. */
export function tableNotes(table: DisplayTable): string[] {
  return [
    ...table.legend,
    ...table.excluded.map((line) => `Excluded: ${line}`),
    ...table.warnings.map((line) => `Warning: ${line}`),
  ];
}
