// Appends one row per epoch to metrics.csv as the epoch ends, so a crashed or diverged run
// keeps every finished epoch.
import { appendToFile, writeFileAtomic } from '../../files/safeWrite.js';
import type { EpochMetrics, TrainingHook } from '../hooks.js';

export const METRIC_COLUMNS = [
  'epoch', 'lr', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'test_top5',
  'deformed_loss', 'grad_scale', 'epoch_seconds', 'images_per_s',
] as const;

/** Columns for a data set: top-5 only means something with more than 10 classes. */
export function metricColumns(numClasses: number): string[] {
  return METRIC_COLUMNS.filter((c) => c !== 'test_top5' || numClasses > 10);
}

/** Rounds to a fixed number of significant digits so CSVs are readable and diffable. */
function formatValue(value: number | undefined): string {
  if (value === undefined) return '';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(7)));
}

/** One row as it appears in metrics.csv (the resume check compares a checkpoint's history with it). */
export function metricsCsvLine(metrics: EpochMetrics, numClasses: number): string {
  return metricColumns(numClasses).map((c) => formatValue(metrics[c as keyof EpochMetrics])).join(',');
}

/**
 * Writes metrics.csv afresh (with the rows of `completed` epochs when resuming, so a row written
 * after the last checkpoint is not kept twice), then one row per finished epoch.
 */
export function metricsCsvHook(path: string, numClasses: number, completed: readonly EpochMetrics[] = []): TrainingHook {
  const header = metricColumns(numClasses).join(',');
  const lines = (rows: readonly EpochMetrics[]) => rows.map((m) => `${metricsCsvLine(m, numClasses)}\n`).join('');
  // The values are numbers and names without commas or quotes: a row needs no CSV quoting.
  let started = false;
  const write = (rows: readonly EpochMetrics[]) => {
    if (started) appendToFile(path, lines(rows));
    else writeFileAtomic(path, `${header}\n${lines(rows)}`); // the first write replaces the file whole
    started = true;
  };
  return {
    onTrainStart() {
      if (completed.length > 0) write(completed);
    },
    onEpochEnd(metrics: EpochMetrics) {
      write([metrics]);
    },
  };
}
