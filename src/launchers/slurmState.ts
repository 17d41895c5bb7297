// What vdm knows of its Slurm jobs: slurm/job.json, one entry per `vdm run --on slurm` (earlier
// submissions are kept, so a task keeps its Slurm state after a resubmission of others), and
// what squeue/sacct say of those jobs now, for `vdm status`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfPresent, writeJsonAtomic } from '../run/files.js';

export interface SubmittedTask {
  readonly index: number;
  readonly run: string;
  /** The array job that runs it (the plain runs' or the controls'). */
  readonly jobId: string;
}

export interface SlurmSubmission {
  readonly submittedAt: string;
  /** The plain runs' array, when the submission had plain runs. */
  readonly arrayJobId?: string;
  /** The controls' array, started after the source tasks it reads. */
  readonly controlsJobId?: string;
  /** The evidence array (--evidence), after the training arrays. */
  readonly evidenceJobId?: string;
  /** Per evidence task index, its log name (slurm/logs/<name>.out, .err, .exit). */
  readonly evidenceTasks?: readonly string[];
  /** The comparison job (with --evidence: the evidence report). */
  readonly compareJobId?: string;
  readonly tasks: readonly SubmittedTask[];
}

interface SlurmRecord {
  readonly submissions: readonly SlurmSubmission[];
}

const recordFile = (experimentRoot: string) => join(experimentRoot, 'slurm', 'job.json');

/** Every submission, oldest first; a job.json in the earlier form (one submission, one array) too. */
export function readSubmissions(experimentRoot: string): SlurmSubmission[] {
  const record = readJsonIfPresent<SlurmRecord | (SlurmSubmission & { arrayJobId: string })>(recordFile(experimentRoot));
  if (!record) return [];
  if ('submissions' in record) return [...record.submissions];
  const old = record as SlurmSubmission & { arrayJobId: string; tasks: { index: number; run: string }[] };
  return [{ ...old, tasks: old.tasks.map((t) => ({ ...t, jobId: old.arrayJobId })) }];
}

export function appendSubmission(experimentRoot: string, submission: SlurmSubmission): void {
  writeJsonAtomic(recordFile(experimentRoot), { submissions: [...readSubmissions(experimentRoot), submission] } satisfies SlurmRecord);
}

/** Per task index, the job of the latest submission that ran it. */
export function latestJobs(submissions: readonly SlurmSubmission[]): Map<number, string> {
  const jobs = new Map<number, string>();
  for (const submission of submissions) for (const task of submission.tasks) jobs.set(task.index, task.jobId);
  return jobs;
}

export interface SlurmTaskState {
  /** PENDING, RUNNING, COMPLETED, FAILED, ... as Slurm spells it. */
  readonly state: string;
  /** Why a pending task waits (squeue's reason), if it does. */
  readonly reason?: string;
}

/** Slurm states of a job that has ended without success. */
export const FAILED_STATES = new Set(['FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED']);

/** Runs a Slurm client; undefined when it is missing or answers with an error (old job, no accounting). */
function slurmQuery(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return undefined;
  }
}

const withReason = (state: string, reason: string | undefined): SlurmTaskState => ({ state, reason: reason && reason !== 'None' ? reason : undefined });

/** What squeue says of one plain job (the comparison), if it is still queued or running. */
export function slurmJobState(jobId: string): SlurmTaskState | undefined {
  const [state, reason] = (slurmQuery('squeue', ['-h', '-j', jobId, '-o', '%T|%r']) ?? '').trim().split('|');
  return state ? withReason(state, reason) : undefined;
}

/** Per array index, what Slurm says of the task: squeue for live tasks, sacct for ended ones. */
export function slurmTaskStates(arrayJobId: string): Map<number, SlurmTaskState> {
  const states = new Map<number, SlurmTaskState>();
  const accounted = slurmQuery('sacct', ['-n', '-P', '-X', '-j', arrayJobId, '-o', 'JobID,State']) ?? '';
  for (const line of accounted.split('\n')) {
    // "CANCELLED by 0" is one state.
    const match = /^\d+_(\d+)\|([A-Z_]+)/.exec(line.trim());
    if (match) states.set(Number(match[1]), { state: match[2] });
  }
  // -r: one line per array task, pending ones included.
  const queued = slurmQuery('squeue', ['-h', '-r', '-j', arrayJobId, '-o', '%K|%T|%r']) ?? '';
  for (const line of queued.split('\n')) {
    const [index, state, reason] = line.trim().split('|');
    if (!/^\d+$/.test(index ?? '') || !state) continue;
    states.set(Number(index), withReason(state, reason));
  }
  return states;
}

/** `slurmTaskStates` for several arrays, each asked once. */
export function taskStatesOf(jobs: Map<number, string>): Map<number, SlurmTaskState> {
  const byJob = new Map<string, Map<number, SlurmTaskState>>();
  const states = new Map<number, SlurmTaskState>();
  for (const [index, jobId] of jobs) {
    if (!byJob.has(jobId)) byJob.set(jobId, slurmTaskStates(jobId));
    const state = byJob.get(jobId)!.get(index);
    if (state) states.set(index, state);
  }
  return states;
}

/** The exit record job.sh leaves (`<job>_<index> <code> <time>` in logs/<run>.exit), if any. */
export function taskExit(experimentRoot: string, logName: string): { task: string; code: number } | undefined {
  const text = readTextIfPresent(join(experimentRoot, 'slurm', 'logs', `${logName}.exit`));
  const match = text && /^(\S+) (\d+)/.exec(text);
  return match ? { task: match[1], code: Number(match[2]) } : undefined;
}

function readTextIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
