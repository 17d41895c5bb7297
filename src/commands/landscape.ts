// `vdm landscape <run folders or experiment files>...`: filter-normalised 1-D/2-D loss landscapes
// of each completed run, or the line between two runs (--between A B), as CSVs and plots.
import { BACKEND_CHOICES, type BackendChoice } from '../backend/resolve.js';
import { findRunFolders } from '../compare/discover.js';
import { DataError, UsageError } from '../errors.js';
import { resultFolderOf } from '../experiments/spec.js';
import { parseMeasuredWeights, unusableReason, type MeasuredWeights } from '../flatness/runFolder.js';
import { ignoreChoices, type IgnoreChoice } from '../landscape/directions.js';
import { bnChoices, type BnChoice } from '../landscape/evaluate.js';
import { drawLandscapes, landscapeDefaults, planLandscapes, type LandscapeRequest } from '../landscape/index.js';
import { formatSeconds, plainProgress, terminalProgress, wantsLiveBar } from '../landscape/progress.js';
import type { SplitChoice } from '../landscape/settings.js';

export interface LandscapeCommandOptions {
  dims?: string;
  range?: string;
  steps?: string;
  samples?: string;
  seed?: string;
  ignore?: string;
  bn?: string;
  split?: string;
  batchSize?: string;
  backend?: string;
  between?: boolean;
  out?: string;
  dryRun?: boolean;
  quiet?: boolean;
  /** last (default) or swa: the runs' SWA averages. */
  which?: string;
}


function wholeNumber(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value < min) throw new UsageError(`${flag} must be a whole number >= ${min}, got '${text}'`);
  return value;
}

function choice<T extends string>(flag: string, text: string | undefined, valid: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if ((valid as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`${flag} '${text}' is not one of ${valid.join(', ')}`);
}

function parseRange(text: string | undefined, fallback: readonly [number, number]): [number, number] {
  if (text === undefined) return [...fallback];
  const parts = text.split(':').map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1])) {
    throw new UsageError(`--range must be LOW:HIGH with LOW < HIGH, e.g. -1:1; got '${text}'`);
  }
  return [parts[0], parts[1]];
}

function parseSplits(text: string | undefined): SplitChoice[] {
  if (text === undefined) return ['train'];
  const splits = text.split(',').map((s) => s.trim());
  const bad = splits.find((s) => s !== 'train' && s !== 'test');
  if (bad !== undefined || splits.length === 0) throw new UsageError(`--split '${text}': expected train, test or train,test`);
  return [...new Set(splits as SplitChoice[])];
}

/** Every flag checked before any run is opened: a bad one costs nothing. */
export function landscapeRequest(opts: LandscapeCommandOptions): LandscapeRequest {
  const dims = opts.dims === undefined ? 1 : choice('--dims', opts.dims, ['1', '2'], '1') === '2' ? 2 : 1;
  if (opts.between && opts.dims !== undefined) throw new UsageError('--between draws the line between two runs; it takes no --dims');
  if (opts.between && opts.ignore !== undefined) throw new UsageError('--between moves every weight; it takes no --ignore');
  const splits = parseSplits(opts.split);
  const bn = choice<BnChoice>('--bn', opts.bn, bnChoices, landscapeDefaults.bn);
  if (bn === 'recompute' && !splits.includes('train')) {
    throw new UsageError("--bn recompute re-estimates the statistics on the training subset: --split must include train (e.g. train,test)");
  }
  return {
    kind: opts.between ? 'between' : dims === 2 ? '2d' : '1d',
    range: parseRange(opts.range, opts.between ? landscapeDefaults.betweenRange : landscapeDefaults.range),
    steps: wholeNumber('--steps', opts.steps, landscapeDefaults.steps, 2),
    samples: wholeNumber('--samples', opts.samples, landscapeDefaults.samples, 1),
    seed: wholeNumber('--seed', opts.seed, landscapeDefaults.seed, 0),
    ignore: choice<IgnoreChoice>('--ignore', opts.ignore, ignoreChoices, landscapeDefaults.ignore),
    bn,
    splits,
    batchSize: opts.batchSize === undefined ? null : wholeNumber('--batch-size', opts.batchSize, 0, 1),
    ...(parseMeasuredWeights(opts.which) === 'swa' ? { which: 'swa' as const } : {}),
  };
}

/** Completed runs with checkpoints; for --between, each input must be exactly one run. */
function runFoldersOf(inputs: string[], between: boolean, which: MeasuredWeights, log: (line: string) => void): string[] {
  if (between) {
    if (inputs.length !== 2) throw new UsageError(`--between needs exactly two run folders (A B), got ${inputs.length}`);
    return inputs.map((input) => {
      const found = findRunFolders([input]);
      if (found.length !== 1) throw new DataError(`${input}: --between needs one run folder, found ${found.length} runs under it`);
      const reason = unusableReason(found[0], which);
      if (reason !== null) throw new DataError(`${found[0]}: cannot be used (${reason})`);
      return found[0];
    });
  }
  const folders = findRunFolders(inputs.map(resultFolderOf));
  const usable = folders.filter((dir) => {
    const reason = unusableReason(dir, which);
    if (reason !== null) log(`skipped ${dir}: ${reason}`);
    return reason === null;
  });
  if (usable.length === 0) throw new DataError(`no completed run with a checkpoint among the ${folders.length} run folder(s) under ${inputs.join(', ')}`);
  return usable;
}

export async function landscapeCommand(inputs: string[], opts: LandscapeCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  if (inputs.length === 0) throw new UsageError('vdm landscape needs at least one run folder, folder of runs or experiment file');
  const request = landscapeRequest(opts);
  const backend = choice<BackendChoice | 'run'>('--backend', opts.backend, [...BACKEND_CHOICES, 'run'], 'run');
  const chosenBackend = backend === 'run' ? undefined : backend;
  const runs = runFoldersOf(inputs, opts.between === true, request.which ?? 'last', log);
  if (opts.dryRun) {
    const plan = await planLandscapes(runs, request, chosenBackend);
    for (const r of plan.runs) log(`${r.run}: ${r.points} points${r.done > 0 ? `, ${r.done} already written` : ''}`);
    log(
      `${plan.pointsToDo} points to compute, ${Math.round(plan.forwardPassesPerPoint)} forward passes of a batch each ` +
        `(${Math.round(plan.pointsToDo * plan.forwardPassesPerPoint)} in all); timed probe ${plan.secondsPerPoint.toFixed(3)} s/point ` +
        `-> about ${formatSeconds(plan.pointsToDo * plan.secondsPerPoint)}`,
    );
    return;
  }
  const progress = !opts.quiet && wantsLiveBar() ? terminalProgress() : plainProgress(log);
  const result = await drawLandscapes(runs, request, { backend: chosenBackend, signal, progress, outDir: opts.out });
  for (const grid of result.grids) {
    const resumed = grid.table.rows.length - grid.computed;
    log(`${grid.csv}: ${grid.computed} points computed${resumed > 0 ? `, ${resumed} resumed from the file` : ''}`);
  }
  for (const plot of result.plots) log(`wrote ${plot}`);
}
