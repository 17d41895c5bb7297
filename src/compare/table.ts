// The comparison as one table of display strings (plus notes), shared by the terminal,
// markdown and HTML renderers so they always show the same figures.
import { deltaWithInterval, percentStat, plainStat, pValue, ratio, seconds } from './numbers.js';
import type { Comparison, VariantSummary } from './types.js';

export interface DisplayTable {
  header: string[];
  /** Which columns hold numbers (right-aligned). */
  numeric: boolean[];
  rows: string[][];
  /** What the figures mean. */
  legend: string[];
  /** Runs left out of the statistics, one line each. */
  excluded: string[];
  warnings: string[];
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
  const flatnessKeys = [...new Set(comparison.variants.flatMap((v) => Object.keys(v.flatness)))].sort();
  const hasControls = comparison.variants.some((v) => v.vsControl !== null);
  const excludedCount = (label: string) => comparison.excluded.filter((run) => run.variant === label).length;
  const all: (Column | false)[] = [
    { title: 'Variant', numeric: false, cell: variantName },
    { title: 'Runs', numeric: true, cell: (v) => `${v.completed}/${v.runs.length + excludedCount(v.label)}` },
    { title: 'Final top-1 %', numeric: true, cell: (v) => percentStat(v.accuracy.finalTop1) },
    { title: 'Best top-1 %', numeric: true, cell: (v) => percentStat(v.accuracy.bestTop1) },
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
    hasControls && { title: 'Δ vs ~lr pp [95% CI]', numeric: true, cell: (v) => (v.vsControl ? deltaWithInterval(v.vsControl.finalTop1) : '') },
    hasControls && { title: 'p (~lr)', numeric: true, cell: (v) => (v.vsControl ? pValue(v.vsControl.finalTop1) : '') },
    { title: 'Epoch s', numeric: true, cell: (v) => seconds(v.epochSeconds.mean) },
    comparison.baseline !== null && { title: 'Time ×', numeric: true, cell: (v) => ratio(v.epochTimeRatio) },
    ...flatnessKeys.map((key) => ({
      title: key,
      numeric: true,
      cell: (v: VariantSummary) => (v.flatness[key] ? plainStat(v.flatness[key]) : '–'),
    })),
  ];
  return all.filter((column): column is Column => column !== false);
}

export function displayTable(comparison: Comparison): DisplayTable {
  const chosen = columns(comparison);
  return {
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
  if (comparison.variants.some((v) => v.vsControl !== null)) {
    lines.push(
      "Δ vs ~lr: final top-1 of the variant minus that of its learning-rate-matched control 'V~lr' (no VDM, V's per-step lr × φ′), Welch 95% CI and p: " +
        'the effect of the loss-dependence of φ′ beyond its step sizes; V~lr vs the baseline is the step-size effect (README: the learning-rate-matched control).',
    );
  }
  const flatnessKeys = [...new Set(comparison.variants.flatMap((v) => Object.keys(v.flatness)))].sort();
  if (flatnessKeys.length > 0) {
    lines.push(`Flatness (from flatness.json, mean ± std over the runs that have it): ${flatnessKeys.join(', ')}.`);
  }
  return lines;
}

/** Legend, excluded runs and warnings as plain lines, for the text formats. */
export function tableNotes(table: DisplayTable): string[] {
  return [
    ...table.legend,
    ...table.excluded.map((line) => `Excluded: ${line}`),
    ...table.warnings.map((line) => `Warning: ${line}`),
  ];
}
