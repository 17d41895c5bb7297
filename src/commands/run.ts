// `vdm run <experiment>`: every variant x seed of an experiment (completed runs skipped), then
// the comparison table, files and HTML report at the experiment's root.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RunFailedError, UsageError } from '../errors.js';
import { estimateRuns, estimateSummary, type ExperimentEstimate } from '../experiments/estimate.js';
import { formatDuration } from '../experiments/progress.js';
import { folderOf, isDone, otherConfigInFolder, runExperiment, runLabel } from '../experiments/runner.js';
import { experimentTasks, loadExperiment, runForTask, type Experiment, type ExperimentRun } from '../experiments/spec.js';
import { launchers, type Launcher, type LaunchOptions } from '../launchers/index.js';
import { launchPlan } from '../launchers/tasks.js';
import { runCompare } from './compare.js';
import { flatnessCommand } from './flatness.js';
import { evidenceUnits, mergeEvidenceChunks, runEvidenceUnit, unitLogName } from '../evidence/cluster.js';
import { gatherEvidence, parseEvidenceFlag, resolveEvidenceSettings, type EvidenceSettings } from '../evidence/index.js';
import type { EvidenceTasks } from '../launchers/tasks.js';

export interface RunCommandOptions {
  readonly dryRun?: boolean;
  readonly parallel?: number;
  readonly force?: boolean;
  /** `variant` or `variant/seed-N`: run only these (repeatable). */
  readonly only?: string[];
  readonly seeds?: number[];
  /** commander's --no-compare sets compare: false. */
  readonly compare?: boolean;
  /** Measure each completed run's flatness (`vdm flatness` defaults) before comparing. */
  readonly flatness?: boolean;
  /** Run only task N (its index in --dry-run): what each scheduler task runs. */
  readonly task?: number;
  /** Added to --task: a second Indexed Job (the controls) counts its completion indices from 0. */
  readonly taskOffset?: number;
  /** Hand the runs to a scheduler instead of running them here: slurm or k8s. */
  readonly on?: string;
  /** At most this many runs at once on the scheduler. */
  readonly maxParallel?: number;
  readonly sbatchArg?: string[];
  /** After training: flatness, landscapes and the full report (`true`, or `key=value,...` overrides). */
  readonly evidence?: string | boolean;
  /** With --on slurm --evidence: array tasks each 2-D grid is split into (row chunks; default 1). */
  readonly evidenceChunks?: number;
  /** Run only evidence task N, as an evidence array task does. */
  readonly evidenceTask?: number;
  /** Merge the evidence chunks, then draw, compare and write the report, as the report job does. */
  readonly evidenceReport?: boolean;
  /** key=value overrides of every run (positional words and --set). */
  readonly set?: string[];
  /** `--sweep key=v1,v2` flags. */
  readonly sweep?: string[];
  /** The experiment's name instead of the file's (or the overrides'). */
  readonly name?: string;
}

export type RunCommandFlags = RunCommandOptions & Omit<LaunchOptions, 'compare' | 'sbatchArgs'>;

function selectRuns(experiment: Experiment, only: readonly string[]): ExperimentRun[] {
  if (only.length === 0) return [...experiment.runs];
  const labels = new Set(experiment.runs.flatMap((r) => [r.variant, runLabel(r)]));
  const unknown = only.filter((o) => !labels.has(o));
  if (unknown.length > 0) {
    throw new UsageError(`--only ${unknown[0]} matches no run; runs are ${experiment.runs.map(runLabel).join(', ')}`);
  }
  return experiment.runs.filter((r) => only.includes(r.variant) || only.includes(runLabel(r)));
}

function describePlan(experiment: Experiment, runs: readonly ExperimentRun[], estimate: ExperimentEstimate): string {
  const lines = [`experiment ${experiment.name} (${experiment.file}): ${runs.length} runs, baseline '${experiment.baseline}'`];
  const index = new Map(experimentTasks(experiment).map(({ task, run }) => [run, task]));
  for (const run of runs) {
    const seconds = estimate.seconds.get(run);
    const other = otherConfigInFolder(experiment, run) === undefined ? undefined : 'another config in folder, would stop (--force replaces it)';
    const state = other ?? (isDone(experiment, run) ? 'completed, would skip' : seconds === undefined ? 'would run' : `would run, ~${formatDuration(seconds)}`);
    const overrides = Object.keys(run.overrides).length ? stringify(run.overrides, { collectionStyle: 'flow', lineWidth: 0 }).trim() : '{}';
    lines.push(`  task ${String(index.get(run)).padEnd(3)} ${runLabel(run).padEnd(28)} ${state.padEnd(22)} ${folderOf(experiment, run)}  overrides: ${overrides}`);
  }
  if (estimate.lines.length > 0) lines.push('timed on this machine, per model/data/batch:', ...estimate.lines, ...estimateSummary(estimate));
  else lines.push('estimated time: none, every run is completed');
  return lines.join('\n');
}

/** What a flag is called on the command line: `sbatchArgs` -> `--sbatch-arg`. */
const flagName = (key: string) => (key === 'sbatchArgs' ? '--sbatch-arg' : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);

function checkSchedulerFlags(options: RunCommandFlags): void {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new UsageError(`${name} must be a positive integer, got ${value}`);
  };
  positive('--max-parallel', options.maxParallel);
  positive('--gpus', options.gpus);
  if (options.task !== undefined && (options.on || (options.only ?? []).length > 0)) {
    throw new UsageError('--task runs one scheduler task here; it cannot be combined with --on or --only');
  }
  if (options.taskOffset !== undefined && (options.task === undefined || !Number.isInteger(options.taskOffset) || options.taskOffset < 0)) {
    throw new UsageError('--task-offset takes a whole number >= 0 and goes with --task');
  }
  if (options.on && options.force) {
    throw new UsageError('--force with --on would restart every requeued task from scratch; delete the run folders to start over instead');
  }
  if (!options.on && (options.emit || options.maxParallel !== undefined || options.cpus !== undefined)) throw new UsageError('--emit, --max-parallel and --cpus go with --on slurm|k8s');
  checkEvidenceFlags(options);
}

/** The cluster evidence flags: what they need, and what they cannot be combined with. */
function checkEvidenceFlags(options: RunCommandFlags): void {
  const asTask = options.evidenceTask !== undefined || options.evidenceReport === true;
  const given = options.evidenceChunks !== undefined ? '--evidence-chunks' : options.evidenceTask !== undefined ? '--evidence-task' : options.evidenceReport ? '--evidence-report' : undefined;
  if (given && !options.evidence) throw new UsageError(`${given} goes with --evidence`);
  if (options.evidenceChunks !== undefined && !options.on && !asTask) {
    throw new UsageError('--evidence-chunks splits each 2-D grid across Slurm array tasks: it goes with --on slurm --evidence (here a grid is one process)');
  }
  if (options.evidenceTask !== undefined && options.evidenceReport) throw new UsageError('--evidence-task and --evidence-report are two different jobs; give one');
  if (asTask && (options.on || options.task !== undefined || (options.only ?? []).length > 0)) {
    throw new UsageError(`${options.evidenceReport ? '--evidence-report' : '--evidence-task'} is what a Slurm evidence job runs here; it cannot be combined with --on, --task or --only`);
  }
}

/** The chunk count checked against the grid it splits (its rows). */
function evidenceChunks(options: RunCommandFlags, settings: EvidenceSettings): number {
  const chunks = options.evidenceChunks ?? 1;
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > settings.grid) {
    throw new UsageError(`--evidence-chunks ${chunks}: the ${settings.grid}×${settings.grid} grid has ${settings.grid} rows, so 1 to ${settings.grid} chunks (rows per task: grid / chunks)`);
  }
  return chunks;
}

/** The evidence array of a Slurm submission: one task per unit, each repeating the evidence flags. */
function evidenceTasks(experiment: Experiment, options: RunCommandFlags, settings: EvidenceSettings): EvidenceTasks {
  const chunks = evidenceChunks(options, settings);
  const flag = typeof options.evidence === 'string' ? `--evidence=${options.evidence}` : '--evidence';
  return { logNames: evidenceUnits(experiment, settings, chunks).map(unitLogName), args: [flag, '--evidence-chunks', String(chunks)] };
}

function launchOptions(options: RunCommandFlags): LaunchOptions {
  return { ...options, sbatchArgs: options.sbatchArg, compare: options.compare };
}

/** The scheduler's own checks, and flags of the other scheduler refused, before the experiment loads. */
function checkLauncherFlags(launcher: Launcher, options: LaunchOptions, evidence: boolean): void {
  const given = (key: keyof LaunchOptions) => options[key] !== undefined && !(Array.isArray(options[key]) && (options[key] as unknown[]).length === 0);
  for (const other of launchers.entries()) {
    const foreign = other === launcher ? undefined : other.ownFlags.find((key) => !launcher.ownFlags.includes(key) && given(key));
    if (foreign) throw new UsageError(`${flagName(foreign)} goes with --on ${other.name}, not --on ${launcher.name}`);
  }
  if (evidence && !launcher.evidence) {
    throw new UsageError(`--evidence with --on ${launcher.name}: evidence runs as cluster tasks on Slurm only (--on slurm); here, run vdm run FILE --evidence where the results are once the runs have completed`);
  }
  launcher.check(options);
}

/** `--on NAME`: write (and submit) the scheduler's job files instead of training here. */
function launchOnScheduler(experiment: Experiment, runs: readonly ExperimentRun[], options: RunCommandFlags, evidence: EvidenceSettings | null, log: (line: string) => void): void {
  const launcher = launchers.get(options.on as string);
  // Completed runs would only take a slot to skip themselves; leave them out where indices allow.
  const todo = launcher.takesSubsets ? runs.filter((run) => !isDone(experiment, run)) : runs;
  if (todo.length < runs.length) log(`${runs.length - todo.length} of ${runs.length} runs already completed; left out`);
  if (todo.length === 0 && evidence === null) {
    log(`nothing to submit; compare with: vdm compare ${experiment.root}`);
    return;
  }
  const sharedArgs = [...experiment.cliArgs, ...(options.seeds ? ['--seeds', options.seeds.join(',')] : [])];
  const plan = launchPlan(experiment, todo, {
    maxParallel: options.maxParallel,
    sharedArgs,
    evidence: evidence === null ? undefined : evidenceTasks(experiment, options, evidence),
  });
  for (const line of launcher.launch(plan, launchOptions(options))) log(line);
}

export async function runCommand(file: string, options: RunCommandFlags, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const parallel = options.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel must be a positive integer, got ${options.parallel}`);
  if (options.seeds?.some((s) => !Number.isInteger(s) || s < 0)) throw new UsageError('--seeds takes non-negative integers, e.g. --seeds 1,2,3');
  checkSchedulerFlags(options);
  // A misspelt scheduler or a bad flag fails before the experiment loads.
  if (options.on) checkLauncherFlags(launchers.get(options.on), launchOptions(options), Boolean(options.evidence));
  const experiment = loadExperiment(file, { seeds: options.seeds, overrides: options.set, sweeps: options.sweep, name: options.name });
  const runs = options.task === undefined ? selectRuns(experiment, options.only ?? []) : [runForTask(experiment, options.task + (options.taskOffset ?? 0))];
  if (options.task === undefined) for (const note of experiment.notes) log(`note: ${note}`);
  const evidence = options.evidence ? resolveEvidenceSettings(experiment.evidence?.values ?? {}, parseEvidenceFlag(options.evidence), { file: `${experiment.file}: ${experiment.evidence?.path ?? 'evidence'}`, flag: '--evidence' }) : null;
  if (evidence !== null && options.evidenceChunks !== undefined) evidenceChunks(options, evidence); // refused before anything is written
  if (options.dryRun) {
    log(describePlan(experiment, runs, await estimateRuns(runs, (run) => isDone(experiment, run))));
    if (options.on && evidence !== null) {
      const chunks = evidenceChunks(options, evidence);
      log(`then ${evidenceUnits(experiment, evidence, chunks).length} evidence tasks (each 2-D grid in ${chunks} chunk${chunks === 1 ? '' : 's'}) and the evidence report`);
    }
    return;
  }
  if (options.on) {
    launchOnScheduler(experiment, runs, options, evidence, log);
    return;
  }
  if (evidence !== null && options.evidenceTask !== undefined) {
    await runEvidenceUnit(experiment, evidence, evidenceChunks(options, evidence), options.evidenceTask, { log, signal, quiet: true });
    return;
  }
  if (evidence !== null && options.evidenceReport) {
    // The report job: the chunks merged into the grids' CSVs, then the local recipe finds every
    // piece measured and draws, compares and writes the report.
    await mergeEvidenceChunks(experiment, evidence, evidenceChunks(options, evidence), { log, signal, quiet: true });
    const result = await gatherEvidence(experiment, evidence, { log, signal, quiet: true });
    log(`\n${result.table}\nWrote ${result.report} and ${join(experiment.root, 'comparison')}`);
    return;
  }
  if (options.task !== undefined) {
    // One scheduler task: that run only (skipped when completed, resumed when unfinished); the
    // comparison is the dependent job's.
    log(`experiment ${experiment.name}: task ${options.task + (options.taskOffset ?? 0)} is ${runLabel(runs[0])}`);
    const [report] = await runExperiment(experiment, runs, { parallel: 1, force: options.force ?? false, log, signal });
    if (report.state === 'failed') throw new RunFailedError(`${runLabel(report.run)} failed: ${report.message}`);
    return;
  }
  log(`experiment ${experiment.name}: ${runs.length} runs (${experiment.variants.join(', ')} x seeds ${experiment.seeds.join(', ')})`);
  const reports = await runExperiment(experiment, runs, { parallel, force: options.force ?? false, log, signal });
  const failed = reports.filter((r) => r.state === 'failed');
  if (evidence !== null && reports.some((r) => r.state !== 'failed')) {
    // The evidence recipe measures, compares and writes the report itself.
    const result = await gatherEvidence(experiment, evidence, { log, signal });
    log(`\n${result.table}\nWrote ${result.report} and ${join(experiment.root, 'comparison')}`);
  } else if (options.flatness && reports.some((r) => r.state !== 'failed')) {
    log('');
    await flatnessCommand([experiment.root], {}, log);
  }
  if (options.compare !== false && evidence === null) {
    const out = join(experiment.root, 'comparison');
    const report = join(experiment.root, 'report.html');
    log('');
    log(await runCompare([experiment.root], { out, report, baseline: experiment.baseline }));
  }
  if (failed.length > 0) {
    throw new RunFailedError(`${failed.length} of ${reports.length} runs failed: ${failed.map((f) => `${runLabel(f.run)} (${f.message})`).join('; ')}`);
  }
}
