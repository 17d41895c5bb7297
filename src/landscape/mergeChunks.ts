// Joins a grid's chunk files (see chunks.ts) into the grid's own CSV, the file a grid computed in
// one go writes: the same header, then each chunk's lines in chunk order, copied as written.
import { existsSync } from 'node:fs';
import { DataError } from '../errors.js';
import { readBoundedTextIfPresent } from '../files/boundedRead.js';
import { writeFileAtomic } from '../files/safeWrite.js';
import { chunkCsv, gridChunks, type GridChunk } from './chunks.js';
import { gridColumns, landscapeFiles, pointsDone } from './grid.js';
import { gridPoints, type LandscapeSettings } from './settings.js';
import { LANDSCAPE_CSV_LIMIT, openTable } from './table.js';

export interface ChunkState {
  readonly chunk: GridChunk;
  readonly csv: string;
  /** Points already in the chunk's file. */
  readonly done: number;
}

/** Each chunk's file and how far it got; reads only. */
export function chunkStates(runDir: string, settings: LandscapeSettings, count: number): ChunkState[] {
  const grid = landscapeFiles(runDir, settings).csv;
  return gridChunks(settings, count).map((chunk) => {
    const csv = chunkCsv(grid, chunk);
    return { chunk, csv, done: Math.min(dataLines(csv).length, chunk.to - chunk.from) };
  });
}

/** True when the grid's own CSV already holds every point (merged before, or computed in one go). */
export function gridComplete(runDir: string, settings: LandscapeSettings): boolean {
  return pointsDone(runDir, settings) >= gridPoints(settings).length;
}

/**
 * Writes the grid's CSV from its `count` chunks, each of which must be complete (checked point by
 * point against the grid, as a resume checks them); returns the grid's CSV.
 */
export function mergeChunks(runDir: string, settings: LandscapeSettings, count: number): string {
  const grid = landscapeFiles(runDir, settings).csv;
  if (gridComplete(runDir, settings)) return grid;
  const columns = gridColumns(settings);
  const points = gridPoints(settings);
  const lines: string[] = [columns.join(',')];
  for (const { chunk, csv, done } of chunkStates(runDir, settings, count)) {
    const expected = chunk.to - chunk.from;
    if (!existsSync(csv) || done < expected) {
      throw new DataError(`${csv}: chunk ${chunk.index + 1} of ${count} has ${done} of its ${expected} points; compute it before merging`);
    }
    openTable(csv, columns, points.slice(chunk.from, chunk.to)); // header and every coordinate checked
    lines.push(...dataLines(csv).slice(0, expected));
  }
  writeFileAtomic(grid, `${lines.join('\n')}\n`);
  return grid;
}

/** The whole data lines of a CSV (header and a torn last line left out); none when it is missing. */
function dataLines(csv: string): string[] {
  const text = readBoundedTextIfPresent(csv, LANDSCAPE_CSV_LIMIT);
  if (text === undefined) return [];
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((line) => line.length > 0).slice(1);
}
