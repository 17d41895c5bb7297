// `vdm status <experiment>`: one line per run (task index, state, epochs done, what the
// scheduler says), from the run folders and, after `vdm run --on slurm`, squeue/sacct.
import { existsSync } from 'node:fs';
import { MiB, readBoundedText } from '../files/boundedRead.js';
import { join } from 'node:path';
import { folderOf, runLabel } from '../experiments/runner.js';
import { experimentTasks, loadExperiment, type Experiment, type ExperimentOptions, type ExperimentRun } from '../experiments/spec.js';
import { FAILED_STATES, latestJobs, readSubmissions, slurmJobState, slurmTaskStates, taskExit, taskStatesOf, type SlurmTaskState } from '../launchers/slurmState.js';
import { logNameOf, runsReadBy } from '../launchers/tasks.js';
import { recordedStatus, runFolderFor } from '../run/runFolder.js';

/** `waiting for source`: a control some of whose source runs have not completed yet. */
export type RunState = 'pending' | 'waiting for source' | 'running' | 'completed' | 'failed' | 'interrupted' | 'diverged';

export interface RunStatusRow {
  readonly task: number;
  readonly run: string;
  readonly state: RunState;
  readonly epochs: string;
  readonly scheduler?: string;
  readonly folder: string;
}

function epochsDone(metricsCsv: string): number {
  try {
    return Math.max(0, readBoundedText(metricsCsv, { maxBytes: 32 * MiB, what: 'metrics.csv' }).trim().split('\n').length - 1);
  } catch {
    return 0;
  }
}

interface TaskFacts {
  /** What the run folder's run.json says, if it has one. */
  readonly recorded?: RunState;
  readonly slurm?: SlurmTaskState;
  /** The exit code job.sh recorded for the task's latest job, when not 0. */
  readonly failedExit?: number;
  /** A control some of whose source runs (the runs it reads) have not completed. */
  readonly sourcePending: boolean;
}

/**
 * The folder says what training did; the scheduler says whether a task is queued or on a node.
 * A queued task whose folder says interrupted is a requeued run waiting to resume: pending. A
 * task that ended without writing anything (no node, a control started too early) is failed.
 */
function combinedState({ recorded, slurm, failedExit, sourcePending }: TaskFacts): RunState {
  const waiting = sourcePending ? 'waiting for source' : 'pending';
  if (slurm?.state === 'PENDING' && recorded !== 'completed') return recorded === undefined ? waiting : 'pending';
  if (slurm?.state === 'RUNNING') return recorded === 'completed' ? 'completed' : 'running';
  if (recorded !== undefined) return recorded;
  if ((slurm && FAILED_STATES.has(slurm.state)) || failedExit !== undefined) return 'failed';
  return waiting;
}

function describeSlurm(task: string, s: SlurmTaskState | undefined, failedExit: number | undefined): string {
  if (s) return `${task} ${s.state}${s.reason ? ` (${s.reason})` : ''}`;
  // Neither queued nor accounted (accounting off, or purged): the job id still says where to look.
  return failedExit === undefined ? task : `${task} exited ${failedExit}`;
}

/** The dependent comparison: queued or running per squeue, else whether its report exists. */
function comparisonLine(root: string, jobId: string): string {
  const queued = slurmJobState(jobId);
  if (queued) return `comparison: job ${jobId} ${queued.state}${queued.reason ? ` (${queued.reason})` : ''}`;
  const report = join(root, 'report.html');
  return existsSync(report) ? `comparison: ${report}` : `comparison: job ${jobId} has ended without a report (see ${join(root, 'slurm', 'logs', 'compare.out')})`;
}

/** The evidence array: its tasks counted by what squeue/sacct say, else by the exit each task recorded. */
function evidenceLine(root: string, jobId: string, logNames: readonly string[]): string {
  const states = slurmTaskStates(jobId);
  const counts = new Map<string, number>();
  logNames.forEach((name, index) => {
    const slurm = states.get(index);
    const exit = taskExit(root, name);
    const ended = exit?.task === `${jobId}_${index}` ? (exit.code === 0 ? 'ended' : `exited ${exit.code}`) : 'not known to Slurm';
    const state = slurm ? `${slurm.state}${slurm.reason ? ` (${slurm.reason})` : ''}` : ended;
    counts.set(state, (counts.get(state) ?? 0) + 1);
  });
  return `evidence: job ${jobId}, ${logNames.length} tasks: ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ')}`;
}

const recordOf = (experiment: Experiment, run: ExperimentRun) => recordedStatus(runFolderFor({ ...run.config, experiment: experiment.name, variant: run.variant }));

export function experimentStatus(file: string, options: ExperimentOptions = {}): { rows: RunStatusRow[]; submitted: boolean; evidence?: string; comparison?: string } {
  const experiment = loadExperiment(file, options);
  const submissions = readSubmissions(experiment.root);
  const jobs = latestJobs(submissions);
  const slurm = taskStatesOf(jobs);
  const rows = experimentTasks(experiment).map(({ task, run }) => {
    const folder = runFolderFor({ ...run.config, experiment: experiment.name, variant: run.variant });
    const job = jobs.get(task);
    const exit = job === undefined ? undefined : taskExit(experiment.root, logNameOf(run));
    const failedExit = exit && exit.task === `${job}_${task}` && exit.code !== 0 ? exit.code : undefined;
    const facts = { recorded: recordedStatus(folder), slurm: slurm.get(task), failedExit, sourcePending: runsReadBy(run).some((read) => recordOf(experiment, read) !== 'completed') };
    return {
      task,
      run: runLabel(run),
      state: combinedState(facts),
      epochs: `${epochsDone(folder.metricsCsv)}/${run.config.epochs}`,
      scheduler: job === undefined ? undefined : describeSlurm(`${job}_${task}`, facts.slurm, failedExit),
      folder: folderOf(experiment, run),
    };
  });
  const compareJobId = [...submissions].reverse().find((s) => s.compareJobId)?.compareJobId;
  const withEvidence = [...submissions].reverse().find((s) => s.evidenceJobId && s.evidenceTasks);
  return {
    rows,
    submitted: submissions.length > 0,
    evidence: withEvidence ? evidenceLine(experiment.root, withEvidence.evidenceJobId!, withEvidence.evidenceTasks!) : undefined,
    comparison: compareJobId ? comparisonLine(experiment.root, compareJobId) : undefined,
  };
}

/** `options`: the overrides, sweeps and name the experiment was run with (they decide its runs). */
export function statusCommand(file: string, options: ExperimentOptions = {}): string {
  const { rows, submitted, evidence, comparison } = experimentStatus(file, options);
  const header = ['task', 'run', 'state', 'epochs', ...(submitted ? ['slurm'] : []), 'folder'];
  const cells = rows.map((r) => [String(r.task), r.run, r.state, r.epochs, ...(submitted ? [r.scheduler || '-'] : []), r.folder]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const summary = `${rows.length} runs: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`;
  return [line(header), ...cells.map(line), summary, ...(evidence ? [evidence] : []), ...(comparison ? [comparison] : [])].join('\n');
}
