// A landscape's CSV, written one whole line per point and read back on resume: the rows already
// there are points not to compute again. A torn last line (a crash mid-write) is dropped.
import { closeSync, ftruncateSync } from 'node:fs';
import { DataError, excerpt } from '../errors.js';
import { MiB, readBoundedTextIfPresent } from '../files/boundedRead.js';
import { appendToFile, assertWritableFile, openForAppend } from '../files/safeWrite.js';

/** A 2-D grid of 1,000 x 1,000 points at ~100 bytes a row. */
export const LANDSCAPE_CSV_LIMIT = { maxBytes: 128 * MiB, what: 'landscape CSV' } as const;

/** Cuts a torn last line off, through a descriptor opened without following links. */
function truncateTo(file: string, bytes: number): void {
  const fd = openForAppend(file);
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

export interface LandscapeTable {
  readonly file: string;
  readonly columns: readonly string[];
  /** Rows already in the file, in order. */
  readonly rows: number[][];
  append(row: readonly number[]): void;
}

/** Opens `file` for appending, creating it with its header; `expectedPoints` checks the rows' coordinates. */
export function openTable(file: string, columns: readonly string[], expectedPoints: readonly (readonly number[])[]): LandscapeTable {
  const header = columns.join(',');
  const rows: number[][] = [];
  assertWritableFile(file); // before reading: a link's target is neither read nor appended to
  const text = readBoundedTextIfPresent(file, LANDSCAPE_CSV_LIMIT);
  if (text !== undefined) {
    const whole = text.slice(0, text.lastIndexOf('\n') + 1);
    if (whole.length < text.length) truncateTo(file, Buffer.byteLength(whole));
    const lines = whole.split('\n').filter((line) => line.length > 0);
    if (lines.length > 0 && lines[0] !== header) {
      throw new DataError(`${file}: header '${excerpt(lines[0]!, 60)}' is not '${header}'; move the file away to recompute it`);
    }
    if (lines.length === 0) appendToFile(file, `${header}\n`);
    lines.slice(1).forEach((line, i) => {
      const row = line.split(',').map(Number);
      const point = expectedPoints[i];
      const matches = point !== undefined && row.length === columns.length && point.every((c, k) => Math.abs(row[k] - c) < 1e-9);
      if (!matches) throw new DataError(`${file}: line ${i + 2} is not point ${i + 1} of this grid; move the file away to recompute it`);
      rows.push(row);
    });
  } else {
    appendToFile(file, `${header}\n`);
  }
  return {
    file,
    columns,
    rows,
    append(row) {
      // One write of one whole line: an interruption leaves whole rows, at worst a torn last one.
      appendToFile(file, `${row.map((v) => String(v)).join(',')}\n`);
      rows.push([...row]);
    },
  };
}
