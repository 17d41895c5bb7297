// One landscape of one run: opens (or resumes) its CSV, walks the grid's remaining points in
// order, and writes each row as soon as it is measured.
import { existsSync } from 'node:fs';
import { readBoundedTextIfPresent } from '../files/boundedRead.js';
import { basename, dirname, join } from 'node:path';
import { InterruptedError } from '../errors.js';
import { balancedSubset } from '../flatness/subset.js';
import type { OpenedRun } from '../flatness/runFolder.js';
import { makeFolder, writeJsonAtomic } from '../files/safeWrite.js';
import { VDM_VERSION } from '../run/provenance.js';
import { pointEvaluator, type PointEvaluator } from './evaluate.js';
import { coordinateColumns, gridPoints, settingsStem, valueColumns, type LandscapeSettings } from './settings.js';
import { LANDSCAPE_CSV_LIMIT, openTable, type LandscapeTable } from './table.js';
import { directionSurface, interpolationSurface, type Surface } from './surfaces.js';
import { chunkCsv, type GridChunk } from './chunks.js';

export const LANDSCAPE_FOLDER = 'landscape';

export interface LandscapeFiles {
  readonly csv: string;
  readonly json: string;
}

export function landscapeFiles(runDir: string, settings: LandscapeSettings): LandscapeFiles {
  const stem = settingsStem(settings);
  const dir = join(runDir, LANDSCAPE_FOLDER);
  return { csv: join(dir, `${stem}.csv`), json: join(dir, `${stem}.json`) };
}

export interface GridHooks {
  readonly signal?: AbortSignal;
  /** After each point written (not after points found already done). */
  readonly onPoint?: () => void;
}

export interface GridResult extends LandscapeFiles {
  readonly table: LandscapeTable;
  /** Points measured now (the rest were already in the file). */
  readonly computed: number;
  /** Forward passes over a batch, all splits together. */
  readonly forwardPasses: number;
}

/**
 * Opens the run's table, writing the settings file beside it first, so a CSV never lacks its
 * settings. With `chunk`, the table is that chunk's own file and holds only its points.
 */
export function openGridTable(run: string, settings: LandscapeSettings, chunk?: GridChunk): LandscapeFiles & { table: LandscapeTable } {
  const whole = landscapeFiles(run, settings);
  makeFolder(join(run, LANDSCAPE_FOLDER));
  if (!existsSync(whole.json)) {
    writeJsonAtomic(whole.json, { settings, run, csv: basename(whole.csv), vdm_version: VDM_VERSION, created_at: new Date().toISOString() });
  }
  const files = chunk ? { ...whole, csv: chunkCsv(whole.csv, chunk) } : whole;
  if (chunk) makeFolder(dirname(files.csv));
  const table = openTable(files.csv, gridColumns(settings), pointsOf(settings, chunk));
  return { ...files, table };
}

export const gridColumns = (settings: LandscapeSettings) => [...coordinateColumns(settings.kind), ...valueColumns(settings)];

/** The grid's points, or one chunk's, in the order they are written. */
const pointsOf = (settings: LandscapeSettings, chunk?: GridChunk) => (chunk ? gridPoints(settings).slice(chunk.from, chunk.to) : gridPoints(settings));

/** Evaluators per split; with --bn recompute only the training one re-estimates (on its examples). */
async function evaluators(run: OpenedRun, settings: LandscapeSettings): Promise<PointEvaluator[]> {
  const batchSize = settings.batchSize ?? run.config.dataset.batch_size;
  const made: PointEvaluator[] = [];
  for (const split of settings.splits) {
    const batches = await balancedSubset(run.dataset, split, settings.samples, batchSize, settings.seed);
    made.push(pointEvaluator(run.parts.model, batches, run.dataset, split === 'train' ? settings.bn : 'stored'));
  }
  return made;
}

/** The surface of `settings` through `run`'s model (`partner`: the other end of 'between'). */
function surfaceOf(run: OpenedRun, settings: LandscapeSettings, partner?: OpenedRun): Surface {
  if (settings.kind === 'between') return interpolationSurface(run.parts.model, partner!.parts.model, `${run.dir} and ${partner!.dir}`);
  return directionSurface(run.parts.model, settings.seed, settings.kind === '2d' ? 2 : 1, settings.ignore);
}

/** 'train' first: with --bn recompute its evaluation sets the statistics the test split then uses. */
function trainFirst(settings: LandscapeSettings): LandscapeSettings['splits'] {
  return [...settings.splits].sort((a, b) => (a === 'train' ? -1 : b === 'train' ? 1 : 0));
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Computes the points of the grid (or of `chunk`) not yet in its file. Every point's value depends
 * only on the point (weights set from the run's own, the same examples), so a grid computed in
 * chunks equals one computed in one go.
 */
export async function computeGrid(run: OpenedRun, settings: LandscapeSettings, hooks: GridHooks = {}, partner?: OpenedRun, chunk?: GridChunk): Promise<GridResult> {
  const { table, ...files } = openGridTable(run.dir, settings, chunk);
  const points = pointsOf(settings, chunk);
  if (table.rows.length >= points.length) return { ...files, table, computed: 0, forwardPasses: 0 };
  const splits = trainFirst(settings);
  const splitEvaluators = await evaluators(run, { ...settings, splits });
  const surface = surfaceOf(run, settings, partner);
  const byColumn = new Map<string, number>();
  let computed = 0;
  let forwardPasses = 0;
  try {
    for (let i = table.rows.length; i < points.length; i++) {
      if (hooks.signal?.aborted) throw new InterruptedError(`interrupted after ${i} of ${points.length} points; run the same command again to resume (${files.csv})`);
      surface.moveTo(points[i]);
      for (const [k, split] of splits.entries()) {
        const value = await splitEvaluators[k].evaluate();
        byColumn.set(`${split}_loss`, value.loss).set(`${split}_accuracy`, value.accuracy);
      }
      table.append([...points[i], ...valueColumns(settings).map((column) => byColumn.get(column)!)]);
      computed++;
      hooks.onPoint?.();
      await nextTick(); // lets a Ctrl-C be seen between points
    }
  } finally {
    surface.dispose();
    forwardPasses = splitEvaluators.reduce((n, e) => n + e.forwardPasses, 0);
    splitEvaluators.forEach((e) => e.dispose());
  }
  return { ...files, table, computed, forwardPasses };
}

export interface PointProbe {
  /** Seconds per point, timed after one warm-up point (kernels compile on first use). */
  readonly secondsPerPoint: number;
  readonly forwardPassesPerPoint: number;
}

/** Times points of this grid without writing anything (for --dry-run). */
export async function probePoint(run: OpenedRun, settings: LandscapeSettings, partner?: OpenedRun, timed = 2): Promise<PointProbe> {
  const splits = trainFirst(settings);
  const splitEvaluators = await evaluators(run, { ...settings, splits });
  const surface = surfaceOf(run, settings, partner);
  const points = gridPoints(settings);
  try {
    const evaluateAt = async (point: readonly number[]) => {
      surface.moveTo(point);
      for (const e of splitEvaluators) await e.evaluate();
    };
    await evaluateAt(points[0]);
    const passesBefore = splitEvaluators.reduce((n, e) => n + e.forwardPasses, 0);
    const started = performance.now();
    for (let k = 1; k <= timed; k++) await evaluateAt(points[Math.min(k, points.length - 1)]);
    const seconds = (performance.now() - started) / 1000;
    const passes = splitEvaluators.reduce((n, e) => n + e.forwardPasses, 0) - passesBefore;
    return { secondsPerPoint: seconds / timed, forwardPassesPerPoint: passes / timed };
  } finally {
    surface.dispose();
    splitEvaluators.forEach((e) => e.dispose());
  }
}

/** Rows already written for this grid (0 when there is no file yet); reads only. */
export function pointsDone(runDir: string, settings: LandscapeSettings): number {
  const { csv } = landscapeFiles(runDir, settings);
  const text = readBoundedTextIfPresent(csv, LANDSCAPE_CSV_LIMIT);
  if (text === undefined) return 0;
  const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((line) => line.length > 0);
  return Math.max(0, lines.length - 1);
}
