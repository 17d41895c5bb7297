// Landscapes of run folders, the recipe `vdm landscape` and `vdm run --evidence` share: compute or
// resume each run's grid (whole, or in chunks merged later), then draw every run's table into one set of plots.
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { BackendChoice } from '../backend/resolve.js';
import { UsageError } from '../errors.js';
import { openRun, type OpenedRun } from '../flatness/runFolder.js';
import { renderPng, renderSvg } from '../compare/render.js';
import { readJsonIfPresent } from '../files/boundedRead.js';
import { makeFolder, writeFileAtomic } from '../files/safeWrite.js';
import { computeGrid, LANDSCAPE_FOLDER, openGridTable, pointsDone, probePoint, type GridResult } from './grid.js';
import type { GridChunk } from './chunks.js';
import { chunkStates, gridComplete, mergeChunks } from './mergeChunks.js';
import { curveSpec, mapsSpec, type LabelledTable } from './plots.js';
import type { LandscapeProgress } from './progress.js';
import { gridPoints, settingsStem, type LandscapeSettings } from './settings.js';

export { landscapeDefaults, type LandscapeSettings } from './settings.js';
export { gridChunks, gridRows, type GridChunk } from './chunks.js';

/** Settings as asked for; 'between' gets its partner from the run folders. */
export type LandscapeRequest = Omit<LandscapeSettings, 'partner'>;

export interface DrawOptions {
  readonly backend?: BackendChoice;
  readonly signal?: AbortSignal;
  readonly progress?: LandscapeProgress;
  /** Where the plots go (default: the run's landscape/ folder, or landscape/ beside several runs). */
  readonly outDir?: string;
}

export interface RunGrid extends GridResult {
  readonly run: string;
  readonly label: LabelledTable;
}

export interface DrawResult {
  readonly grids: RunGrid[];
  /** SVG and PNG files written. */
  readonly plots: string[];
}

/** The run(s) whose folders hold a table, each with its settings ('between': A, partner B). */
function targets(runFolders: readonly string[], request: LandscapeRequest): { run: string; settings: LandscapeSettings; partner?: string }[] {
  if (request.kind !== 'between') return runFolders.map((run) => ({ run, settings: { ...request, partner: null } }));
  if (runFolders.length !== 2) throw new UsageError(`--between needs exactly two run folders (A and B), got ${runFolders.length}`);
  const [a, b] = runFolders;
  return [{ run: a, settings: { ...request, partner: realpathSync(b) }, partner: b }];
}

function labelOf(run: string): { variant: string; seed: number | null } {
  const info = readJsonIfPresent<{ variant?: string | null; seed?: number | null }>(join(run, 'run.json'));
  return { variant: info?.variant ?? basename(dirname(resolve(run))), seed: info?.seed ?? null };
}

/** The deepest folder holding every run. */
function commonFolder(runs: readonly string[]): string {
  const split = runs.map((r) => resolve(r).split(sep));
  const shared: string[] = [];
  for (let i = 0; split.every((parts) => i < parts.length && parts[i] === split[0][i]); i++) shared.push(split[0][i]);
  return shared.join(sep) || sep;
}

export function defaultOutDir(runFolders: readonly string[], kind: LandscapeSettings['kind']): string {
  const runs = kind === 'between' ? runFolders.slice(0, 1) : runFolders;
  return runs.length === 1 ? join(runs[0], LANDSCAPE_FOLDER) : join(commonFolder(runs), LANDSCAPE_FOLDER);
}

async function withRuns<T>(dirs: readonly string[], request: LandscapeRequest, backend: BackendChoice | undefined, use: (runs: OpenedRun[]) => Promise<T>): Promise<T> {
  const runs: OpenedRun[] = [];
  try {
    for (const dir of dirs) runs.push(await openRun(dir, { samples: request.samples, seed: request.seed, backend, which: request.which ?? 'last' }));
    return await use(runs);
  } finally {
    for (const run of runs) await run.close();
  }
}

export async function drawLandscapes(runFolders: readonly string[], request: LandscapeRequest, options: DrawOptions = {}): Promise<DrawResult> {
  const jobs = targets(runFolders, request);
  // Tables opened up front: the progress total counts only the points still to do.
  const opened = jobs.map((job) => openGridTable(job.run, job.settings));
  const total = jobs.reduce((n, job) => n + gridPoints(job.settings).length, 0);
  options.progress?.start(total, opened.reduce((n, o) => n + o.table.rows.length, 0));
  const grids: RunGrid[] = [];
  try {
    for (const [i, job] of jobs.entries()) {
      const dirs = job.partner ? [job.run, job.partner] : [job.run];
      // A complete table (merged from a cluster's chunks, or an earlier run) needs no model loaded.
      const complete = opened[i].table.rows.length >= gridPoints(job.settings).length;
      const grid = complete
        ? { ...opened[i], computed: 0, forwardPasses: 0 }
        : await withRuns(dirs, request, options.backend, ([run, partner]) =>
            computeGrid(run, job.settings, { signal: options.signal, onPoint: () => options.progress?.tick(job.run) }, partner),
          );
      const swa = request.which === 'swa' ? ' (SWA)' : '';
      const { variant, seed } = labelOf(job.run);
      const label = job.partner ? `${variant}${swa} → ${labelOf(job.partner).variant}${swa}` : `${variant}${swa}`;
      grids.push({ ...grid, run: job.run, label: { variant: label, seed, columns: grid.table.columns, rows: grid.table.rows } });
    }
  } finally {
    options.progress?.stop();
  }
  const outDir = options.outDir ?? defaultOutDir(runFolders, request.kind);
  const plots = await writePlots(grids.map((g) => g.label), jobs[0].settings, outDir);
  return { grids, plots };
}

async function writePlots(tables: LabelledTable[], settings: LandscapeSettings, outDir: string): Promise<string[]> {
  const stem = join(outDir, settingsStem(settings));
  const range = `${settings.range[0]}…${settings.range[1]}`;
  const spec =
    settings.kind === '2d'
      ? mapsSpec(tables, `2-D loss landscape (filter-normalised directions, ${settings.steps}×${settings.steps} points)`)
      : settings.kind === '1d'
        ? curveSpec(tables, `1-D loss landscape (filter-normalised direction, ${range})`, 'x', 'step along the direction')
        : curveSpec(tables, 'Linear interpolation between two runs (weights and BatchNorm statistics)', 'alpha', 'α (0: first run, 1: second run)');
  const svg = await renderSvg(spec);
  makeFolder(outDir);
  writeFileAtomic(`${stem}.svg`, svg);
  writeFileAtomic(`${stem}.png`, renderPng(svg));
  return [`${stem}.svg`, `${stem}.png`];
}

/**
 * Computes one chunk of each run's grid, or the whole grid without `chunk`, and draws nothing:
 * what one array task of `vdm run --on slurm --evidence` does (the report job draws).
 */
export async function computeLandscape(runFolders: readonly string[], request: LandscapeRequest, chunk: GridChunk | undefined, options: DrawOptions = {}): Promise<GridResult[]> {
  const results: GridResult[] = [];
  for (const job of targets(runFolders, request)) {
    const dirs = job.partner ? [job.run, job.partner] : [job.run];
    const hooks = { signal: options.signal, onPoint: () => options.progress?.tick(job.run) };
    // A resubmitted task whose piece is already complete loads no model.
    const opened = openGridTable(job.run, job.settings, chunk);
    if (opened.table.rows.length >= (chunk ? chunk.to - chunk.from : gridPoints(job.settings).length)) {
      results.push({ ...opened, computed: 0, forwardPasses: 0 });
      continue;
    }
    results.push(await withRuns(dirs, request, options.backend, ([run, partner]) => computeGrid(run, job.settings, hooks, partner, chunk)));
  }
  return results;
}

/**
 * Joins the `count` chunks of one run's grid into its CSV, first computing here whatever a chunk
 * still lacks (its task failed or ran out of time); returns the points computed here.
 */
export async function mergeLandscapeChunks(runFolder: string, request: LandscapeRequest, count: number, options: DrawOptions = {}): Promise<number> {
  const [job] = targets([runFolder], request);
  if (gridComplete(job.run, job.settings)) return 0;
  const unfinished = chunkStates(job.run, job.settings, count).filter((s) => s.done < s.chunk.to - s.chunk.from);
  let computed = 0;
  if (unfinished.length > 0) {
    await withRuns([job.run], request, options.backend, async ([run]) => {
      for (const { chunk } of unfinished) computed += (await computeGrid(run, job.settings, { signal: options.signal }, undefined, chunk)).computed;
    });
  }
  mergeChunks(job.run, job.settings, count);
  return computed;
}

export interface LandscapePlan {
  readonly runs: { run: string; points: number; done: number }[];
  readonly pointsToDo: number;
  readonly forwardPassesPerPoint: number;
  readonly secondsPerPoint: number;
}

/** What a grid would cost, from a timed probe on the first run; writes nothing (--dry-run). */
export async function planLandscapes(runFolders: readonly string[], request: LandscapeRequest, backend?: BackendChoice): Promise<LandscapePlan> {
  const jobs = targets(runFolders, request);
  const runs = jobs.map((job) => ({ run: job.run, points: gridPoints(job.settings).length, done: pointsDone(job.run, job.settings) }));
  const first = jobs[0];
  const dirs = first.partner ? [first.run, first.partner] : [first.run];
  const probe = await withRuns(dirs, request, backend, ([run, partner]) => probePoint(run, first.settings, partner));
  return {
    runs,
    pointsToDo: runs.reduce((n, r) => n + r.points - r.done, 0),
    forwardPassesPerPoint: probe.forwardPassesPerPoint,
    secondsPerPoint: probe.secondsPerPoint,
  };
}
