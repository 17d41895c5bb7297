// `vdm run <experiment>`: every variant x seed of an experiment (completed runs skipped), then
// the comparison table, files and HTML report at the experiment's root.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RunFailedError, UsageError } from '../errors.js';
import { folderOf, isDone, runExperiment, runLabel } from '../experiments/runner.js';
import { loadExperiment, type Experiment, type ExperimentRun } from '../experiments/spec.js';
import { runCompare } from './compare.js';
import { flatnessCommand } from './flatness.js';

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
}

function selectRuns(experiment: Experiment, only: readonly string[]): ExperimentRun[] {
  if (only.length === 0) return [...experiment.runs];
  const labels = new Set(experiment.runs.flatMap((r) => [r.variant, runLabel(r)]));
  const unknown = only.filter((o) => !labels.has(o));
  if (unknown.length > 0) {
    throw new UsageError(`--only ${unknown[0]} matches no run; runs are ${experiment.runs.map(runLabel).join(', ')}`);
  }
  return experiment.runs.filter((r) => only.includes(r.variant) || only.includes(runLabel(r)));
}

function describePlan(experiment: Experiment, runs: readonly ExperimentRun[]): string {
  const lines = [`experiment ${experiment.name} (${experiment.file}): ${runs.length} runs, baseline '${experiment.baseline}'`];
  for (const run of runs) {
    const state = isDone(experiment, run) ? 'completed, would skip' : 'would run';
    const overrides = Object.keys(run.overrides).length ? stringify(run.overrides, { collectionStyle: 'flow' }).trim() : '{}';
    lines.push(`  ${runLabel(run).padEnd(28)} ${state.padEnd(22)} ${folderOf(experiment, run)}  overrides: ${overrides}`);
  }
  return lines.join('\n');
}

export async function runCommand(file: string, options: RunCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const parallel = options.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel must be a positive integer, got ${options.parallel}`);
  if (options.seeds?.some((s) => !Number.isInteger(s) || s < 0)) throw new UsageError('--seeds takes non-negative integers, e.g. --seeds 1,2,3');
  const experiment = loadExperiment(file, { seeds: options.seeds });
  const runs = selectRuns(experiment, options.only ?? []);
  if (options.dryRun) {
    log(describePlan(experiment, runs));
    return;
  }
  log(`experiment ${experiment.name}: ${runs.length} runs (${experiment.variants.join(', ')} x seeds ${experiment.seeds.join(', ')})`);
  const reports = await runExperiment(experiment, runs, { parallel, force: options.force ?? false, log, signal });
  const failed = reports.filter((r) => r.state === 'failed');
  if (options.flatness && reports.some((r) => r.state !== 'failed')) {
    log('');
    await flatnessCommand([experiment.root], {}, log);
  }
  if (options.compare !== false) {
    const out = join(experiment.root, 'comparison');
    const report = join(experiment.root, 'report.html');
    log('');
    log(await runCompare([experiment.root], { out, report, baseline: experiment.baseline }));
  }
  if (failed.length > 0) {
    throw new RunFailedError(`${failed.length} of ${reports.length} runs failed: ${failed.map((f) => `${runLabel(f.run)} (${f.message})`).join('; ')}`);
  }
}
