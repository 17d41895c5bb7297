// `vdm run --on slurm --evidence`: the local evidence recipe (index.ts) cut into array tasks. Task
// units, numbered the same at submission and in every task: each run's flatness and 1-D landscape,
// each first-seed run's 2-D grid in row chunks, each baseline -> variant interpolation. The report
// job merges the chunks into the grids' own CSVs and then runs the local recipe, which finds every
// piece done and only draws, compares and writes the report: the files `vdm run --evidence` writes.
import { UsageError } from '../errors.js';
import { folderOf, runLabel } from '../experiments/runner.js';
import type { Experiment, ExperimentRun } from '../experiments/spec.js';
import { unusableReason } from '../flatness/runFolder.js';
import { computeLandscape, gridChunks, mergeLandscapeChunks, type GridChunk } from '../landscape/index.js';
import { landscapeRequest, measureFlatness, type EvidenceOptions } from './index.js';
import type { EvidenceSettings } from './settings.js';

export type EvidenceUnit =
  | { readonly kind: 'run'; readonly run: ExperimentRun }
  | { readonly kind: '2d'; readonly run: ExperimentRun; readonly chunk: GridChunk }
  | { readonly kind: 'between'; readonly run: ExperimentRun; readonly partner: ExperimentRun };

/**
 * The first seed's runs, as the local recipe picks them when every run trained: 2-D maps and
 * interpolations are drawn for these. (Should the first seed's runs all fail, the report job
 * draws another seed's itself, as the local recipe would.)
 */
function firstSeedRuns(experiment: Experiment): ExperimentRun[] {
  const seed = experiment.runs[0]?.seed;
  return experiment.runs.filter((run) => run.seed === seed);
}

export function evidenceUnits(experiment: Experiment, settings: EvidenceSettings, chunks: number): EvidenceUnit[] {
  const grid = { ...landscapeRequest(settings, '2d'), partner: null };
  const first = firstSeedRuns(experiment);
  const baseline = first.find((run) => run.variant === experiment.baseline);
  return [
    ...experiment.runs.map((run): EvidenceUnit => ({ kind: 'run', run })),
    ...first.flatMap((run) => gridChunks(grid, chunks).map((chunk): EvidenceUnit => ({ kind: '2d', run, chunk }))),
    ...(baseline ? first.filter((run) => run !== baseline).map((run): EvidenceUnit => ({ kind: 'between', run: baseline, partner: run })) : []),
  ];
}

const fileSafe = (run: ExperimentRun) => runLabel(run).replace('/', '-');

/** `evidence-<variant>-seed-N[-2d-part1of3]`: the task's log files under slurm/logs. */
export function unitLogName(unit: EvidenceUnit): string {
  if (unit.kind === 'run') return `evidence-${fileSafe(unit.run)}`;
  if (unit.kind === '2d') return `evidence-${fileSafe(unit.run)}-2d-part${unit.chunk.index + 1}of${unit.chunk.count}`;
  return `evidence-${unit.run.variant}-to-${fileSafe(unit.partner)}`;
}

function unitTitle(unit: EvidenceUnit): string {
  if (unit.kind === 'run') return `flatness and 1-D landscape of ${runLabel(unit.run)}`;
  if (unit.kind === '2d') return `2-D landscape of ${runLabel(unit.run)}, chunk ${unit.chunk.index + 1} of ${unit.chunk.count} (points ${unit.chunk.from + 1}-${unit.chunk.to})`;
  return `interpolation ${runLabel(unit.run)} → ${runLabel(unit.partner)}`;
}

/** Evidence task `index` (what array task N runs); a run that did not complete is left out, as locally. */
export async function runEvidenceUnit(experiment: Experiment, settings: EvidenceSettings, chunks: number, index: number, options: EvidenceOptions): Promise<void> {
  const units = evidenceUnits(experiment, settings, chunks);
  const unit = units[index];
  if (unit === undefined) throw new UsageError(`--evidence-task ${index}: the evidence of ${experiment.name} has tasks 0-${units.length - 1}`);
  const dirs = [unit.run, ...(unit.kind === 'between' ? [unit.partner] : [])].map((run) => folderOf(experiment, run));
  options.log(`evidence: task ${index} is the ${unitTitle(unit)}`);
  for (const dir of dirs) {
    const reason = unusableReason(dir);
    if (reason !== null) {
      options.log(`evidence: left out ${dir} (${reason}); the report leaves it out too`);
      return;
    }
  }
  const started = performance.now();
  const draw = { backend: options.backend, signal: options.signal };
  if (unit.kind === 'run') {
    await measureFlatness([{ dir: dirs[0]!, variant: unit.run.variant, seed: unit.run.seed }], settings, options);
    await computeLandscape(dirs, landscapeRequest(settings, '1d'), undefined, draw);
  } else if (unit.kind === '2d') {
    const [grid] = await computeLandscape(dirs, landscapeRequest(settings, '2d'), unit.chunk, draw);
    options.log(`evidence: ${grid!.computed} points computed (${unit.chunk.to - unit.chunk.from - grid!.computed} already in ${grid!.csv})`);
  } else {
    await computeLandscape(dirs, landscapeRequest(settings, 'between'), undefined, draw);
  }
  options.log(`evidence: task ${index} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * The report job's first step: each first-seed run's 2-D grid merged from its chunks (whatever a
 * chunk lacks, its task having failed or run out of time, computed here first).
 */
export async function mergeEvidenceChunks(experiment: Experiment, settings: EvidenceSettings, chunks: number, options: EvidenceOptions): Promise<void> {
  for (const run of firstSeedRuns(experiment)) {
    const dir = folderOf(experiment, run);
    if (unusableReason(dir) !== null) continue; // the local recipe names it and leaves it out
    const computed = await mergeLandscapeChunks(dir, landscapeRequest(settings, '2d'), chunks, { backend: options.backend, signal: options.signal });
    options.log(`evidence: 2-D landscape of ${runLabel(run)} merged from ${chunks} chunks${computed > 0 ? ` (${computed} points missing from them computed here)` : ''}`);
  }
}
