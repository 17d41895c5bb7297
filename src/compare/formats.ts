// Renders a comparison as an aligned terminal table, markdown, CSV or JSON.
import { displayTable, tableNotes, type DisplayTable, type SimpleTable } from './table.js';
import type { Comparison, Delta, Stat, VariantSummary } from './types.js';

export const outputFormats = ['table', 'markdown', 'csv', 'json'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export function formatComparison(comparison: Comparison, format: OutputFormat): string {
  switch (format) {
    case 'table':
      return terminalTable(displayTable(comparison));
    case 'markdown':
      return markdownTable(displayTable(comparison));
    case 'csv':
      return csvTable(comparison);
    case 'json':
      return jsonDocument(comparison);
  }
}

function alignedLines(table: SimpleTable): string[] {
  const widths = table.header.map((title, i) => Math.max(title.length, ...table.rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (table.numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [line(table.header), rule, ...table.rows.map(line)];
}

/** Prose notes wrapped at `width` for a terminal, continuation lines indented; long words stay whole. */
export function wrapNote(note: string, width = 100): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of note.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = `  ${word}`;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  return [...lines, current];
}

/** Results first (what a terminal user looks at), then settings, then flatness: one narrow table each. */
function terminalTable(table: DisplayTable): string {
  // The legend is prose and wraps; warnings and exclusions stay one line each, whole (grep-able).
  const notes = (lines: readonly string[]) => lines.flatMap((line) => wrapNote(line));
  const lines = [table.title, '', ...alignedLines(table), '', ...notes(table.legend), ...tableNotes({ ...table, legend: [] }), '', 'Settings'];
  lines.push(...table.sharedSettings.map((line) => `  ${line}`), '', ...alignedLines(table.settings));
  if (table.flatness !== null) lines.push('', 'Flatness', ...alignedLines(table.flatness), '', ...notes(table.flatnessLegend));
  return lines.join('\n') + '\n';
}

function markdownLines(table: SimpleTable): string[] {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const align = table.numeric.map((numeric) => (numeric ? '---:' : ':---'));
  return [line(table.header), `|${align.join('|')}|`, ...table.rows.map(line)];
}

function markdownTable(table: DisplayTable): string {
  const bullets = (lines: readonly string[]) => lines.map((line) => `- ${line}`);
  const lines = [`# ${table.title}`, '', ...markdownLines(table), '', ...bullets(tableNotes(table)), '', '## Settings', ''];
  lines.push(...bullets(table.sharedSettings), '', ...markdownLines(table.settings));
  if (table.flatness !== null) lines.push('', '## Flatness', '', ...markdownLines(table.flatness), '', ...bullets(table.flatnessLegend));
  return lines.join('\n') + '\n';
}

/** Machine-readable: separate mean/std/CI columns, accuracies in percent, full precision. */
function csvTable(comparison: Comparison): string {
  const flatnessKeys = [...new Set(comparison.variants.flatMap((v) => Object.keys(v.flatness)))].sort();
  const hasControls = comparison.variants.some((v) => v.vsControl !== null);
  const hasCompute = comparison.variants.some((v) => v.vsCompute !== null);
  const rows = comparison.variants.map((v) => {
    const cells: Record<string, unknown> = {
      variant: v.label,
      is_baseline: v.isBaseline,
      runs: v.runs.length,
      completed: v.completed,
    };
    const accuracy = v.accuracy;
    const figures = [
      ['final_top1', accuracy.finalTop1, v.vsBaseline?.finalTop1],
      ['best_top1', accuracy.bestTop1, v.vsBaseline?.bestTop1],
      ['final_top5', accuracy.finalTop5, v.vsBaseline?.finalTop5],
      ['best_top5', accuracy.bestTop5, v.vsBaseline?.bestTop5],
    ] as const;
    for (const [name, stat, delta] of figures) Object.assign(cells, accuracyCells(name, stat, delta ?? null));
    if (hasControls) Object.assign(cells, controlCells(v));
    if (hasControls) cells.scale_loss_correlation_mean = v.scaleLossCorrelation.mean;
    cells.gradient_evaluations_mean = v.gradientEvaluations.mean;
    // In percent, as the other accuracy columns are.
    cells.swa_top1_mean_pct = v.swaTestAcc.mean === null ? null : v.swaTestAcc.mean * 100;
    cells.swa_top1_std_pct = v.swaTestAcc.std === null ? null : v.swaTestAcc.std * 100;
    if (hasCompute) Object.assign(cells, computeCells(v));
    cells.epoch_seconds_mean = v.epochSeconds.mean;
    cells.epoch_seconds_std = v.epochSeconds.std;
    cells.epoch_time_ratio = v.epochTimeRatio;
    for (const key of flatnessKeys) {
      const delta = v.flatnessVsBaseline?.[key] ?? null;
      cells[`${key}_mean`] = v.flatness[key]?.mean ?? null;
      cells[`${key}_std`] = v.flatness[key]?.std ?? null;
      cells[`${key}_delta`] = delta?.delta ?? null;
      cells[`${key}_delta_ci_low`] = delta?.ciLow ?? null;
      cells[`${key}_delta_ci_high`] = delta?.ciHigh ?? null;
      cells[`${key}_p_value`] = delta?.pValue ?? null;
      cells[`${key}_p_holm`] = delta?.pHolm ?? null;
    }
    for (const [key, value] of Object.entries(v.settings)) cells[`setting_${key}`] = value;
    return cells;
  });
  const header = Object.keys(rows[0] ?? { variant: '' });
  const body = rows.map((row) => header.map((key) => csvCell(row[key])).join(','));
  return [header.join(','), ...body].join('\n') + '\n';
}

function accuracyCells(name: string, stat: Stat | null, delta: Delta | null): Record<string, number | null> {
  const pct = (fraction: number | null | undefined) => (fraction === null || fraction === undefined ? null : fraction * 100);
  return {
    [`${name}_mean_pct`]: pct(stat?.mean),
    [`${name}_std_pct`]: pct(stat?.std),
    [`${name}_delta_pp`]: pct(delta?.delta),
    [`${name}_delta_ci_low_pp`]: pct(delta?.ciLow),
    [`${name}_delta_ci_high_pp`]: pct(delta?.ciHigh),
    [`${name}_welch_df`]: delta?.df ?? null,
    [`${name}_p_value`]: delta?.pValue ?? null,
    [`${name}_p_holm`]: delta?.pHolm ?? null,
  };
}

/** Final top-1 against the variant's step-size control `V~step` (or a retired `V~lr`; empty where it has none). */
function controlCells(v: VariantSummary): Record<string, unknown> {
  const delta = v.vsControl?.finalTop1 ?? null;
  const pct = (fraction: number | null | undefined) => (fraction === null || fraction === undefined ? null : fraction * 100);
  return {
    control: v.vsControl?.label ?? null,
    control_smoothing: v.vsControl?.smoothing ?? null,
    final_top1_vs_control_delta_pp: pct(delta?.delta),
    final_top1_vs_control_ci_low_pp: pct(delta?.ciLow),
    final_top1_vs_control_ci_high_pp: pct(delta?.ciHigh),
    final_top1_vs_control_p_value: delta?.pValue ?? null,
  };
}

/** Final top-1 against the compute control that spent the same gradient evaluations (empty where none). */
function computeCells(v: VariantSummary): Record<string, unknown> {
  const delta = v.vsCompute?.finalTop1 ?? null;
  const pct = (fraction: number | null | undefined) => (fraction === null || fraction === undefined ? null : fraction * 100);
  return {
    compute_control: v.vsCompute?.label ?? null,
    compute_factor: v.vsCompute?.factor ?? null,
    final_top1_vs_compute_delta_pp: pct(delta?.delta),
    final_top1_vs_compute_ci_low_pp: pct(delta?.ciLow),
    final_top1_vs_compute_ci_high_pp: pct(delta?.ciHigh),
    final_top1_vs_compute_p_value: delta?.pValue ?? null,
  };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  // 12 significant digits drop float noise (92.00000000000001) and keep every real digit.
  const text = typeof value === 'number' ? String(Number(value.toPrecision(12))) : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function jsonDocument(comparison: Comparison): string {
  const document = {
    units: {
      accuracy: 'fraction in [0,1], as in metrics.csv (tables show percent)',
      delta: 'variant minus baseline, same units as the figure; CI is Welch 95%, p two-sided; pHolm corrected over the variants tested on that figure',
      epochSeconds: 'seconds',
      swaTestAcc: "per run, summary.json's swa_test_acc: the SWA average's test top-1 (fraction in [0,1]); n counts the runs with one",
      gradientEvaluations: "per run, summary.json's gradient_evaluations: forward and backward passes counted (SAM 2 a step, the rest 1)",
      scaleLossCorrelation: "per run, the Pearson correlation of steps.csv's grad_scale with the batch loss within each epoch (pooled over epochs); 0 for a control whose scale does not follow the loss",
    },
    ...comparison,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
