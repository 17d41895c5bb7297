// The text of the Slurm batch scripts: an array script (task i = run i) for the plain runs and
// one for the controls, and the comparison script. Checked by `bash -n` in the tests and run by a
// real slurmd in test/launchers/slurm.test.ts.
import { join } from 'node:path';
import { VDM_VERSION } from '../run/provenance.js';
import { indexRanges, shellQuote, VDM_BIN, type LaunchPlan, type LaunchTask } from './tasks.js';

export interface SlurmOptions {
  readonly partition?: string;
  readonly gpus?: number;
  /** Slurm time limit per run, e.g. 12:00:00 or 2-00:00:00. */
  readonly time?: string;
  /** The comparison job's time limit (default 1:00:00). */
  readonly compareTime?: string;
  /** CPUs per task; a string from the command line, checked to be a whole number (slurmFlags.ts). */
  readonly cpus?: number | string;
  readonly memory?: string;
  /** Extra `#SBATCH` lines, e.g. --account=abc or --qos=high. */
  readonly sbatchArgs?: readonly string[];
  /** Shell lines run before vdm in every script (`module load nodejs`, a conda activation). */
  readonly setup?: readonly string[];
  /** How often a task requeues itself after USR1 before it stops for good (default 10). */
  readonly maxRequeues?: number;
  /** Seconds before the time limit at which a task checkpoints and requeues itself. */
  readonly signalSeconds?: number;
}

export const DEFAULT_MAX_REQUEUES = 10;
export const DEFAULT_COMPARE_TIME = '1:00:00';

export const slurmDir = (plan: LaunchPlan) => join(plan.experiment.root, 'slurm');

function resourceLines(options: SlurmOptions): string[] {
  const lines: string[] = [];
  if (options.partition) lines.push(`--partition=${options.partition}`);
  if (options.gpus) lines.push(`--gpus=${options.gpus}`);
  if (options.cpus) lines.push(`--cpus-per-task=${options.cpus}`);
  if (options.memory) lines.push(`--mem=${options.memory}`);
  return lines;
}

const sbatchLines = (flags: readonly string[]) => flags.map((f) => `#SBATCH ${f}`).join('\n');

/**
 * The setup lines, then `node` as the node finds it (VDM_NODE overrides): the submit host's node
 * may not exist on the compute nodes. `fail CODE` is the script's way out.
 */
function prelude(options: SlurmOptions): string {
  const setup = (options.setup ?? []).map((line) => `{ ${line}\n} || fail 2 "setup failed (exit $?): ${line.replace(/["\\$`]/g, '\\$&')}"`);
  return `${setup.length > 0 ? `# Setup (--setup), before vdm starts.\n${setup.join('\n')}\n` : ''}node=\${VDM_NODE:-$(command -v node)}
[ -n "$node" ] || fail 2 "no node on PATH on $(hostname): load it with --setup 'module load nodejs' (or similar), or set VDM_NODE"`;
}

/** One array: which indices, each index's log name, and the vdm command each task runs. */
interface ArraySpec {
  readonly jobName: string;
  readonly indices: readonly number[];
  readonly logNames: readonly string[];
  /** vdm and its arguments; the task's index follows as `<taskFlag> N`. */
  readonly command: readonly string[];
  readonly taskFlag: '--task' | '--evidence-task';
  /** The script's opening comment. */
  readonly about: string;
}

/** `jobName`: the array's name in squeue; `tasks`: the runs it trains. */
export function arrayScript(plan: LaunchPlan, tasks: readonly LaunchTask[], options: SlurmOptions, jobName: string): string {
  const shown = [plan.experimentFile, ...plan.sharedArgs].map(shellQuote).join(' ');
  return taskArrayScript(plan, options, {
    jobName,
    indices: tasks.map((t) => t.index),
    logNames: plan.allTasks.map((t) => t.logName),
    command: [VDM_BIN, 'run', plan.experimentFile, ...plan.sharedArgs],
    taskFlag: '--task',
    about: `experiment ${plan.experiment.name}, one array task per run.
# Task i is run i of \`vdm run ${shown} --dry-run\`. Each task runs exactly that run
# and is safe to repeat (completed: skipped; unfinished: resumed), so resubmitting is fine.`,
  });
}

/** The evidence array: task i measures evidence unit i (src/evidence/cluster.ts), after training. */
export function evidenceScript(plan: LaunchPlan, options: SlurmOptions): string {
  const evidence = plan.evidence!;
  return taskArrayScript(plan, options, {
    jobName: `vdm-${plan.experiment.name}-evidence`,
    indices: evidence.logNames.map((_, i) => i),
    logNames: evidence.logNames,
    command: [VDM_BIN, 'run', plan.experimentFile, ...plan.sharedArgs, ...evidence.args],
    taskFlag: '--evidence-task',
    about: `evidence of experiment ${plan.experiment.name} (flatness, landscapes, 2-D grids in row
# chunks), one array task per piece, after training. Each piece resumes from what its files hold;
# the comparison job merges the chunks and writes the report.`,
  });
}

function taskArrayScript(plan: LaunchPlan, options: SlurmOptions, spec: ArraySpec): string {
  const dir = slurmDir(plan);
  const logs = join(dir, 'logs');
  const throttle = plan.maxParallel ? `%${plan.maxParallel}` : '';
  const vdm = spec.command.map(shellQuote).join(' ');
  const maxRequeues = options.maxRequeues ?? DEFAULT_MAX_REQUEUES;
  const flags = [
    `--job-name=${spec.jobName}`,
    `--array=${indexRanges(spec.indices)}${throttle}`,
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
# Written by vdm ${VDM_VERSION}: ${spec.about}
${sbatchLines(flags)}

# Logs named after the task's work, appended across requeues.
runs=(${spec.logNames.join(' ')})
log=${shellQuote(logs)}/\${runs[$SLURM_ARRAY_TASK_ID]}
exec >>"$log.out" 2>>"$log.err"
task="\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"
echo "vdm: slurm task $task (restart \${SLURM_RESTART_COUNT:-0}) on $(hostname) at $(date -u +%FT%TZ)"

# How the task ended, for \`vdm status\`: a run that failed before writing anything is failed, not pending.
fail() {
  echo "vdm: $2" >&2
  ended "$1"
}
ended() {
  echo "$task $1 $(date -u +%FT%TZ)" >"$log.exit"
  exit "$1"
}
${prelude(options)}

# USR1 comes to this shell only (B:), ahead of the time limit or from \`scancel --signal=USR1
# --batch\`: vdm checkpoints and exits, and the task goes back into the queue to resume, at most
# ${maxRequeues} times (--max-requeues). TERM (scancel, preemption) already reaches vdm itself;
# wait for its checkpoint and stop.
requeue() {
  trap '' USR1 TERM
  kill -TERM "$vdm_pid" 2>/dev/null
  wait "$vdm_pid"
  local code=$?
  if [ "\${SLURM_RESTART_COUNT:-0}" -ge ${maxRequeues} ]; then
    echo "vdm: interrupted (exit $code) after \${SLURM_RESTART_COUNT:-0} requeues (--max-requeues ${maxRequeues}); not requeueing: resubmit to resume"
    ended "$code"
  fi
  # The task by array index: a bare job id can name the whole array and would requeue every task.
  echo "vdm: interrupted (exit $code); requeueing $task"
  scontrol requeue "$task" || ended 130
  exit 0
}
finish() {
  trap '' USR1 TERM
  wait "$vdm_pid"
  ended $?
}
trap requeue USR1
trap finish TERM
"$node" ${vdm} ${spec.taskFlag} "$SLURM_ARRAY_TASK_ID" &
vdm_pid=$!
wait "$vdm_pid"
ended $?
`;
}

/**
 * The comparison job. With --evidence it is the evidence report (`vdm run --evidence-report`),
 * which merges the chunks, draws, compares and writes report.html; it gets the tasks' resources,
 * since it computes whatever an evidence task left unfinished.
 */
export function compareScript(plan: LaunchPlan, options: SlurmOptions): string {
  const root = plan.experiment.root;
  const compare = plan.evidence
    ? [VDM_BIN, 'run', plan.experimentFile, ...plan.sharedArgs, ...plan.evidence.args, '--evidence-report']
    : [VDM_BIN, 'compare', root, '--out', join(root, 'comparison'), '--report', join(root, 'report.html'), '--baseline', plan.experiment.baseline];
  const flags = [
    `--job-name=vdm-${plan.experiment.name}-${plan.evidence ? 'report' : 'compare'}`,
    `--chdir=${shellQuote(plan.workdir)}`,
    `--output=${shellQuote(join(slurmDir(plan), 'logs', 'compare.out'))}`,
    '--open-mode=append',
    `--time=${options.compareTime ?? DEFAULT_COMPARE_TIME}`,
    ...(plan.evidence ? resourceLines(options) : options.partition ? [`--partition=${options.partition}`] : []),
    ...(options.sbatchArgs ?? []),
  ];
  const what = plan.evidence ? 'merges the evidence chunks, compares the runs and writes the report of' : 'compares the runs of';
  return `#!/bin/bash
# Written by vdm ${VDM_VERSION}: ${what} ${plan.experiment.name} once its arrays have
# ended (afterany: failed runs are left out of the statistics, not fatal).
${sbatchLines(flags)}

fail() {
  echo "vdm: $2" >&2
  exit "$1"
}
${prelude(options)}
"$node" ${compare.map(shellQuote).join(' ')}
`;
}
