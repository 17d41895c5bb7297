// Parses and validates a run's metrics.csv (one row per epoch) into typed rows.
import { DataError } from '../errors.js';
import { metricColumns, optionalMetricColumns, type EpochMetrics, type MetricColumn } from './types.js';

export interface ParsedMetrics {
  rows: EpochMetrics[];
  hasTop5: boolean;
}

const expectedHeader = metricColumns.join(',');

/** `file` is used only in error messages, which name it and the 1-based line. */
export function parseMetricsCsv(text: string, file: string): ParsedMetrics {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() === '') {
    throw new DataError(`${file}: empty; expected the header ${expectedHeader}`);
  }
  const header = lines[0]!.split(',').map((name) => name.trim());
  const missing = metricColumns.filter(
    (column) => !header.includes(column) && !optionalMetricColumns.includes(column),
  );
  if (missing.length > 0) {
    throw new DataError(
      `${file}:1: header lacks ${missing.join(', ')}; expected ${expectedHeader}`,
    );
  }
  const rows: EpochMetrics[] = [];
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '') continue; // the trailing newline, or a blank line
    rows.push(parseRow(line, header, `${file}:${index + 1}`, rows.at(-1)?.epoch ?? 0));
  }
  return { rows, hasTop5: header.includes('test_top5') };
}

function parseRow(line: string, header: string[], where: string, previousEpoch: number | null): EpochMetrics {
  const fields = line.split(',');
  if (fields.length !== header.length) {
    throw new DataError(`${where}: ${fields.length} fields but the header has ${header.length}`);
  }
  const row = Object.fromEntries(metricColumns.map((column) => [column, null])) as EpochMetrics;
  header.forEach((column, i) => {
    if ((metricColumns as readonly string[]).includes(column)) {
      row[column as MetricColumn] = parseNumber(fields[i]!.trim(), column, where);
    }
  });
  const epoch = row.epoch;
  if (epoch === null || !Number.isInteger(epoch) || epoch <= (previousEpoch ?? 0)) {
    throw new DataError(
      `${where}: epoch '${fields[header.indexOf('epoch')]}' should be an integer above the previous row's ${previousEpoch}`,
    );
  }
  return row;
}

const specialNumbers: Record<string, number> = {
  nan: Number.NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
};

/** Empty cells are null; NaN and infinities are kept because diverged runs record them. */
function parseNumber(cell: string, column: string, where: string): number | null {
  if (cell === '') return null;
  const special = specialNumbers[cell.toLowerCase()];
  if (special !== undefined) return special;
  const value = Number(cell);
  if (Number.isNaN(value)) {
    throw new DataError(`${where}: ${column} '${cell}' is not a number`);
  }
  return value;
}
