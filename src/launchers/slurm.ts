// Slurm: an experiment as one job array (task i = run i) plus a dependent job that compares the
// runs when the array ends. Writes <results>/<experiment>/slurm/{job.sh,compare.sh}, submits
// them with sbatch, and reads task states back from squeue/sacct for `vdm status`.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic, readJsonIfPresent } from '../run/files.js';
import { VDM_VERSION } from '../run/provenance.js';
import { indexRanges, shellQuote, thisVdm, type LaunchPlan } from './tasks.js';

export interface SlurmOptions {
  readonly partition?: string;
  readonly gpus?: number;
  /** Slurm time limit, e.g. 12:00:00 or 2-00:00:00. */
  readonly time?: string;
  readonly cpus?: number;
  readonly memory?: string;
  /** Extra `#SBATCH` lines, e.g. --account=abc or --qos=high. */
  readonly sbatchArgs?: readonly string[];
  /** Seconds before the time limit at which a task checkpoints and requeues itself. */
  readonly signalSeconds?: number;
}

/** What `vdm run --on slurm` leaves next to the scripts, so `vdm status` finds the jobs. */
export interface SlurmSubmission {
  readonly arrayJobId: string;
  readonly compareJobId?: string;
  readonly submittedAt: string;
  readonly tasks: readonly { readonly index: number; readonly run: string }[];
}

export const slurmDir = (plan: LaunchPlan) => join(plan.experiment.root, 'slurm');
const submissionFile = (root: string) => join(root, 'slurm', 'job.json');

function resourceLines(options: SlurmOptions): string[] {
  const lines: string[] = [];
  if (options.partition) lines.push(`--partition=${options.partition}`);
  if (options.gpus) lines.push(`--gpus=${options.gpus}`);
  if (options.cpus) lines.push(`--cpus-per-task=${options.cpus}`);
  if (options.memory) lines.push(`--mem=${options.memory}`);
  return lines;
}

const sbatchLines = (flags: readonly string[]) => flags.map((f) => `#SBATCH ${f}`);

export function arrayScript(plan: LaunchPlan, options: SlurmOptions): string {
  const dir = slurmDir(plan);
  const logs = join(dir, 'logs');
  const throttle = plan.maxParallel ? `%${plan.maxParallel}` : '';
  const vdm = [...thisVdm(), 'run', plan.experimentFile, ...plan.sharedArgs].map(shellQuote).join(' ');
  const flags = [
    `--job-name=vdm-${plan.experiment.name}`,
    `--array=${indexRanges(plan.tasks.map((t) => t.index))}${throttle}`,
    `--chdir=${shellQuote(plan.workdir)}`,
    `--output=${shellQuote(join(logs, 'slurm-%A_%a.out'))}`,
    '--open-mode=append',
    '--requeue',
    `--signal=B:USR1@${options.signalSeconds ?? 120}`,
    ...(options.time ? [`--time=${options.time}`] : []),
    ...resourceLines(options),
    ...(options.sbatchArgs ?? []),
  ];
  return `#!/bin/bash
# Written by vdm ${VDM_VERSION}: experiment ${plan.experiment.name}, one array task per run.
# Task i is run i of \`vdm run ${[plan.experimentFile, ...plan.sharedArgs].map(shellQuote).join(' ')} --dry-run\`. Each task runs exactly that run
# and is safe to repeat (completed: skipped; unfinished: resumed), so resubmitting is fine.
${sbatchLines(flags).join('\n')}

# Logs named after the run, appended across requeues.
runs=(${plan.allTasks.map((t) => t.logName).join(' ')})
log=${shellQuote(logs)}/\${runs[$SLURM_ARRAY_TASK_ID]}
exec >>"$log.out" 2>>"$log.err"
echo "vdm: slurm task \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID} (restart \${SLURM_RESTART_COUNT:-0}) on $(hostname) at $(date -u +%FT%TZ)"

# USR1 comes to this shell only (B:), ahead of the time limit or from \`scancel --signal=USR1
# --batch\`: vdm checkpoints and exits, and the task goes back into the queue to resume.
# TERM (scancel, preemption) already reaches vdm itself; wait for its checkpoint and stop.
requeue() {
  trap '' USR1 TERM
  kill -TERM "$vdm_pid" 2>/dev/null
  wait "$vdm_pid"
  local code=$?
  # The task by array index: a bare job id can name the whole array and would requeue every task.
  local task="\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"
  echo "vdm: interrupted (exit $code); requeueing $task"
  scontrol requeue "$task" || exit 130
  exit 0
}
finish() {
  trap '' USR1 TERM
  wait "$vdm_pid"
  exit $?
}
trap requeue USR1
trap finish TERM
${vdm} --task "$SLURM_ARRAY_TASK_ID" &
vdm_pid=$!
wait "$vdm_pid"
exit $?
`;
}

export function compareScript(plan: LaunchPlan, options: SlurmOptions): string {
  const root = plan.experiment.root;
  const compare = [...thisVdm(), 'compare', root, '--out', join(root, 'comparison'), '--report', join(root, 'report.html')];
  compare.push('--baseline', plan.experiment.baseline);
  const flags = [
    `--job-name=vdm-${plan.experiment.name}-compare`,
    `--chdir=${shellQuote(plan.workdir)}`,
    `--output=${shellQuote(join(slurmDir(plan), 'logs', 'compare.out'))}`,
    '--open-mode=append',
    ...(options.partition ? [`--partition=${options.partition}`] : []),
    ...(options.sbatchArgs ?? []),
  ];
  return `#!/bin/bash
# Written by vdm ${VDM_VERSION}: compares the runs of ${plan.experiment.name} once its array has
# ended (afterany: failed runs are left out of the statistics, not fatal).
${sbatchLines(flags).join('\n')}

${compare.map(shellQuote).join(' ')}
`;
}

export interface SlurmFiles {
  readonly jobScript: string;
  readonly compareScript: string;
}

export function writeSlurmScripts(plan: LaunchPlan, options: SlurmOptions): SlurmFiles {
  const dir = slurmDir(plan);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const files = { jobScript: join(dir, 'job.sh'), compareScript: join(dir, 'compare.sh') };
  writeFileAtomic(files.jobScript, arrayScript(plan, options));
  writeFileAtomic(files.compareScript, compareScript(plan, options));
  return files;
}

function sbatch(args: string[]): string {
  try {
    // --parsable prints "<id>" or "<id>;<cluster>".
    return execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split(';')[0];
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new LaunchError('sbatch is not on PATH: run this on a Slurm login node, or pass --emit to only write the scripts');
    const why = (e.stderr ?? '').trim().split('\n').at(-1) || e.message;
    throw new LaunchError(`sbatch ${args.at(-1)} failed: ${why}`);
  }
}

/** Submits the array, then the comparison after it; records both ids for `vdm status`. */
export function submitSlurm(plan: LaunchPlan, files: SlurmFiles, compare: boolean): SlurmSubmission {
  const arrayJobId = sbatch([files.jobScript]);
  const compareJobId = compare ? sbatch([`--dependency=afterany:${arrayJobId}`, files.compareScript]) : undefined;
  const submission: SlurmSubmission = {
    arrayJobId,
    compareJobId,
    submittedAt: new Date().toISOString(),
    tasks: plan.tasks.map((t) => ({ index: t.index, run: t.label })),
  };
  writeJsonAtomic(submissionFile(plan.experiment.root), submission);
  return submission;
}

export function readSubmission(experimentRoot: string): SlurmSubmission | undefined {
  return readJsonIfPresent<SlurmSubmission>(submissionFile(experimentRoot));
}

export interface SlurmTaskState {
  /** PENDING, RUNNING, COMPLETED, FAILED, ... as Slurm spells it. */
  readonly state: string;
  /** Why a pending task waits (squeue's reason), if it does. */
  readonly reason?: string;
}

/** Runs a Slurm client; undefined when it is missing or answers with an error (old job, no accounting). */
function slurmQuery(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return undefined;
  }
}

/** What squeue says of one plain job (the comparison), if it is still queued or running. */
export function slurmJobState(jobId: string): SlurmTaskState | undefined {
  const [state, reason] = (slurmQuery('squeue', ['-h', '-j', jobId, '-o', '%T|%r']) ?? '').trim().split('|');
  return state ? { state, reason: reason && reason !== 'None' ? reason : undefined } : undefined;
}

/** Per array index, what Slurm says of the task: squeue for live tasks, sacct for ended ones. */
export function slurmTaskStates(arrayJobId: string): Map<number, SlurmTaskState> {
  const states = new Map<number, SlurmTaskState>();
  const accounted = slurmQuery('sacct', ['-n', '-P', '-X', '-j', arrayJobId, '-o', 'JobID,State']) ?? '';
  for (const line of accounted.split('\n')) {
    const match = /^\d+_(\d+)\|(\S+)/.exec(line.trim());
    if (match) states.set(Number(match[1]), { state: match[2] });
  }
  // -r: one line per array task, pending ones included.
  const queued = slurmQuery('squeue', ['-h', '-r', '-j', arrayJobId, '-o', '%K|%T|%r']) ?? '';
  for (const line of queued.split('\n')) {
    const [index, state, reason] = line.trim().split('|');
    if (!/^\d+$/.test(index ?? '') || !state) continue;
    states.set(Number(index), { state, reason: reason && reason !== 'None' ? reason : undefined });
  }
  return states;
}
