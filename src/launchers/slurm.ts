// Slurm: an experiment as job arrays (task i = run i) plus a dependent job that compares the runs
// when they have ended. The plain runs are one array; controls that read other runs (run.source)
// are a second array that starts only once each of its source tasks has ended; with --evidence a
// third array measures the evidence once both have ended, and the comparison job (then the
// evidence report) waits for it. Writes <results>/<experiment>/slurm/{job.sh,controls.sh,
// evidence.sh,compare.sh}, submits them with sbatch and appends the job ids to slurm/job.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchError, UsageError } from '../errors.js';
import { isDone } from '../experiments/runner.js';
import { writeFileAtomic } from '../run/files.js';
import { arrayScript, compareScript, evidenceScript, slurmDir, type SlurmOptions } from './slurmScripts.js';
import { appendSubmission, latestJobs, readSubmissions, slurmTaskStates, type SlurmSubmission } from './slurmState.js';
import { runsReadBy, type LaunchPlan, type LaunchTask } from './tasks.js';

export type { SlurmOptions } from './slurmScripts.js';

export interface SlurmFiles {
  /** The plain runs' array, when this submission has plain runs. */
  readonly jobScript?: string;
  /** The controls' array, when it has controls. */
  readonly controlsScript?: string;
  /** The evidence array (--evidence), after the training arrays. */
  readonly evidenceScript?: string;
  readonly compareScript: string;
}

/** What the controls wait for: the runs they read launched with them, or still queued from before. */
export interface ControlOrder {
  /** Source task indices in this submission's plain array. */
  readonly inThisSubmission: readonly number[];
  /** `<job>_<index>` of source tasks still queued or running from an earlier submission. */
  readonly queuedEarlier: readonly string[];
}

const LIVE = new Set(['PENDING', 'RUNNING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'SUSPENDED', 'CONFIGURING', 'COMPLETING', 'RESIZING']);

/**
 * What the controls of this submission must wait for: every run they read (run.reads). One that is
 * neither completed, nor in this submission, nor still queued from an earlier one would make its
 * control fail: refused.
 */
export function controlOrder(plan: LaunchPlan): ControlOrder {
  const launched = new Set(plan.tasks.map((t) => t.run));
  const indexOf = new Map(plan.allTasks.map((t) => [t.run, t.index]));
  const earlier = latestJobs(readSubmissions(plan.experiment.root));
  const inThisSubmission = new Set<number>();
  const queuedEarlier = new Set<string>();
  for (const control of plan.tasks.filter((t) => t.run.source)) {
    for (const source of runsReadBy(control.run)) {
      const index = indexOf.get(source)!;
      const job = earlier.get(index);
      if (launched.has(source)) inThisSubmission.add(index);
      else if (isDone(plan.experiment, source)) continue;
      else if (job !== undefined && LIVE.has(slurmTaskStates(job).get(index)?.state ?? '')) queuedEarlier.add(`${job}_${index}`);
      else {
        const sourceLabel = plan.allTasks[index].label;
        throw new UsageError(`${control.label} reads ${sourceLabel}'s steps.csv, but ${sourceLabel} has not completed and is not queued: add --only ${sourceLabel}, or launch it first`);
      }
    }
  }
  return { inThisSubmission: [...inThisSubmission].sort((a, b) => a - b), queuedEarlier: [...queuedEarlier] };
}

const plainTasks = (plan: LaunchPlan) => plan.tasks.filter((t) => !t.run.source);
const controlTasks = (plan: LaunchPlan) => plan.tasks.filter((t) => t.run.source);

export function writeSlurmScripts(plan: LaunchPlan, options: SlurmOptions): SlurmFiles {
  const dir = slurmDir(plan);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const write = (name: string, tasks: LaunchTask[], jobName: string) => {
    const file = join(dir, name);
    // A script of an earlier submission would look like part of this one.
    if (tasks.length === 0) rmSync(file, { force: true });
    else writeFileAtomic(file, arrayScript(plan, tasks, options, jobName));
    return tasks.length > 0 ? file : undefined;
  };
  const compare = join(dir, 'compare.sh');
  writeFileAtomic(compare, compareScript(plan, options));
  const evidence = join(dir, 'evidence.sh');
  if (plan.evidence) writeFileAtomic(evidence, evidenceScript(plan, options));
  else rmSync(evidence, { force: true });
  return {
    jobScript: write('job.sh', plainTasks(plan), `vdm-${plan.experiment.name}`),
    controlsScript: write('controls.sh', controlTasks(plan), `vdm-${plan.experiment.name}-controls`),
    evidenceScript: plan.evidence ? evidence : undefined,
    compareScript: compare,
  };
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

/**
 * The controls' dependency: afterany on each source task, not afterok on the array. afterok
 * would hold every control forever (and the comparison after it) once one source failed; with
 * afterany a control whose source failed starts, fails at once saying so, and the rest go on.
 */
export function controlsDependency(order: ControlOrder, arrayJobId: string | undefined): string | undefined {
  const tasks = [...order.inThisSubmission.map((index) => `${arrayJobId}_${index}`), ...order.queuedEarlier];
  return tasks.length > 0 ? `--dependency=afterany:${tasks.join(':')}` : undefined;
}

/** `--dependency=afterany:` on these jobs, or nothing when there are none (all trained before). */
const afterAny = (jobs: readonly (string | undefined)[]) => {
  const ids = jobs.filter((id): id is string => id !== undefined);
  return ids.length > 0 ? [`--dependency=afterany:${ids.join(':')}`] : [];
};

/**
 * Submits the arrays, the evidence array after them (afterany: a run that failed is left out of
 * the evidence, as locally), then the comparison after the last array; appends the ids to
 * slurm/job.json.
 */
export function submitSlurm(plan: LaunchPlan, files: SlurmFiles, order: ControlOrder, compare: boolean): SlurmSubmission {
  const arrayJobId = files.jobScript ? sbatch([files.jobScript]) : undefined;
  const dependency = controlsDependency(order, arrayJobId);
  const controlsJobId = files.controlsScript ? sbatch([...(dependency ? [dependency] : []), files.controlsScript]) : undefined;
  const evidenceJobId = files.evidenceScript ? sbatch([...afterAny([arrayJobId, controlsJobId]), files.evidenceScript]) : undefined;
  const last = evidenceJobId ? [evidenceJobId] : [arrayJobId, controlsJobId];
  const compareJobId = compare ? sbatch([...afterAny(last), files.compareScript]) : undefined;
  const submission: SlurmSubmission = {
    submittedAt: new Date().toISOString(),
    arrayJobId,
    controlsJobId,
    evidenceJobId,
    evidenceTasks: plan.evidence?.logNames,
    compareJobId,
    tasks: plan.tasks.map((t) => ({ index: t.index, run: t.label, jobId: (t.run.source ? controlsJobId : arrayJobId)! })),
  };
  appendSubmission(plan.experiment.root, submission);
  return submission;
}
