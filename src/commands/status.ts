// `vdm status <experiment>`: one line per run (task index, state, epochs done, what the
// scheduler says), from the run folders and, after `vdm run --on slurm`, squeue/sacct.
import { existsSync } from 'node:fs';
import { MiB, readBoundedText } from '../files/boundedRead.js';
import { join } from 'node:path';
import { folderOf, runLabel } from '../experiments/runner.js';
import { experimentTasks, loadExperiment, type ExperimentOptions } from '../experiments/spec.js';
import { readSubmission, slurmJobState, slurmTaskStates, type SlurmTaskState } from '../launchers/slurm.js';
import { recordedStatus, runFolderFor } from '../run/runFolder.js';

export type RunState = 'pending' | 'running' | 'completed' | 'failed' | 'interrupted' | 'diverged';

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

/**
 * The folder says what training did; the scheduler says whether a task is queued or on a node.
 * A queued task whose folder says interrupted is a requeued run waiting to resume: pending.
 */
function combinedState(recorded: RunState | undefined, slurm: SlurmTaskState | undefined): RunState {
  if (slurm?.state === 'PENDING' && recorded !== 'completed') return 'pending';
  if (slurm?.state === 'RUNNING') return recorded === 'completed' ? 'completed' : 'running';
  return recorded ?? 'pending';
}

const describeSlurm = (arrayJobId: string, task: number, s: SlurmTaskState | undefined) =>
  s ? `${arrayJobId}_${task} ${s.state}${s.reason ? ` (${s.reason})` : ''}` : '';

/** The dependent comparison: queued or running per squeue, else whether its report exists. */
function comparisonLine(root: string, jobId: string): string {
  const queued = slurmJobState(jobId);
  if (queued) return `comparison: job ${jobId} ${queued.state}${queued.reason ? ` (${queued.reason})` : ''}`;
  const report = join(root, 'report.html');
  return existsSync(report) ? `comparison: ${report}` : `comparison: job ${jobId} has ended without a report (see ${join(root, 'slurm', 'logs', 'compare.out')})`;
}

export function experimentStatus(file: string, options: ExperimentOptions = {}): { rows: RunStatusRow[]; arrayJobId?: string; comparison?: string } {
  const experiment = loadExperiment(file, options);
  const submission = readSubmission(experiment.root);
  const slurm = submission ? slurmTaskStates(submission.arrayJobId) : new Map<number, SlurmTaskState>();
  const rows = experimentTasks(experiment).map(({ task, run }) => {
    const folder = runFolderFor({ ...run.config, experiment: experiment.name, variant: run.variant });
    const queued = slurm.get(task);
    return {
      task,
      run: runLabel(run),
      state: combinedState(recordedStatus(folder), queued),
      epochs: `${epochsDone(folder.metricsCsv)}/${run.config.epochs}`,
      scheduler: submission ? describeSlurm(submission.arrayJobId, task, queued) : undefined,
      folder: folderOf(experiment, run),
    };
  });
  const comparison = submission?.compareJobId ? comparisonLine(experiment.root, submission.compareJobId) : undefined;
  return { rows, arrayJobId: submission?.arrayJobId, comparison };
}

/** `options`: the overrides, sweeps and name the experiment was run with (they decide its runs). */
export function statusCommand(file: string, options: ExperimentOptions = {}): string {
  const { rows, arrayJobId, comparison } = experimentStatus(file, options);
  const header = ['task', 'run', 'state', 'epochs', ...(arrayJobId ? ['slurm'] : []), 'folder'];
  const cells = rows.map((r) => [String(r.task), r.run, r.state, r.epochs, ...(arrayJobId ? [r.scheduler || '-'] : []), r.folder]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const summary = `${rows.length} runs: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`;
  return [line(header), ...cells.map(line), summary, ...(comparison ? [comparison] : [])].join('\n');
}
