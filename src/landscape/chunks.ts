// A grid split into row chunks, so that several processes (array tasks on a cluster) compute one
// landscape between them: chunk k of K holds whole rows (for 2-D, one y each) in the grid's own
// point order, is written to its own resumable CSV, and the chunks concatenated in order are the
// grid's CSV, value for value.
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { gridPoints, type LandscapeSettings } from './settings.js';

export interface GridChunk {
  /** 0-based chunk number. */
  readonly index: number;
  /** How many chunks the grid is split into (part of the file name: another K, other files). */
  readonly count: number;
  /** First point (index into gridPoints) and one past the last. */
  readonly from: number;
  readonly to: number;
}

/** The grid's rows: `steps` rows of `steps` points in 2-D, one point a row otherwise. */
export function gridRows(settings: LandscapeSettings): { rows: number; perRow: number } {
  return settings.kind === '2d' ? { rows: settings.steps, perRow: settings.steps } : { rows: gridPoints(settings).length, perRow: 1 };
}

/** `count` contiguous chunks of whole rows, the first ones a row longer when rows do not divide evenly. */
export function gridChunks(settings: LandscapeSettings, count: number): GridChunk[] {
  const { rows, perRow } = gridRows(settings);
  if (!Number.isInteger(count) || count < 1 || count > rows) {
    throw new UsageError(`a grid of ${rows} rows splits into 1 to ${rows} chunks, not ${count}`);
  }
  const chunks: GridChunk[] = [];
  for (let index = 0, row = 0; index < count; index++) {
    const length = Math.floor(rows / count) + (index < rows % count ? 1 : 0);
    chunks.push({ index, count, from: row * perRow, to: (row + length) * perRow });
    row += length;
  }
  return chunks;
}

/** `<landscape>/chunks/<stem>-part2of3.csv` beside the grid's `<landscape>/<stem>.csv`. */
export function chunkCsv(gridCsv: string, chunk: GridChunk): string {
  return join(dirname(gridCsv), 'chunks', `${basename(gridCsv, '.csv')}-part${chunk.index + 1}of${chunk.count}.csv`);
}
