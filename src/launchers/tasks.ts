// What every scheduler needs from an experiment: which array index is which run (the stable
// numbering of experimentTasks), a file-safe log name per run, the index list as an array
// spec, and the vdm command line each task runs.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDone, runLabel } from '../experiments/runner.js';
import { experimentTasks, type Experiment, type ExperimentRun } from '../experiments/spec.js';

export interface LaunchTask {
  /** The array index: position of the run in experimentTasks, whatever subset is launched. */
  readonly index: number;
  readonly run: ExperimentRun;
  /** `variant/seed-N`, as --only and the run folders spell it. */
  readonly label: string;
  /** `variant-seed-N`: names the task's log files (no slash, so one flat logs folder). */
  readonly logName: string;
}

/** The evidence (`--evidence`) as a further array after training: one task per unit of work. */
export interface EvidenceTasks {
  /** Per evidence task index, the name of its log files. */
  readonly logNames: readonly string[];
  /** What each evidence task and the report add to `vdm run FILE ...sharedArgs`. */
  readonly args: readonly string[];
}

export interface LaunchPlan {
  readonly experiment: Experiment;
  /** The tasks to launch, in index order; a subset when --only narrowed them. */
  readonly tasks: readonly LaunchTask[];
  /** Every run of the experiment (a task's script maps any index to its log name). */
  readonly allTasks: readonly LaunchTask[];
  /** At most this many tasks at once (undefined: as many as the scheduler allows). */
  readonly maxParallel?: number;
  /** Absolute path of the experiment file: tasks start elsewhere and later. */
  readonly experimentFile: string;
  /** The folder the user submitted from; relative `output:` paths resolve against it. */
  readonly workdir: string;
  /** Arguments after `vdm run <file>` that every task repeats (e.g. --seeds). */
  readonly sharedArgs: readonly string[];
  /** No baseline run is launched or completed: a comparison would have nothing to compare against. */
  readonly withoutBaseline: boolean;
  /** With --evidence: the evidence array, and the comparison job becomes the evidence report. */
  readonly evidence?: EvidenceTasks;
}

/**
 * This checkout's bin/vdm, for nodes that share the file system. The node that runs it is found
 * on the node at run time: the submit host's node binary may not exist there.
 */
export const VDM_BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));

/** The runs whose records a control reads (each must have completed first); none for a plain run. */
export const runsReadBy = (run: ExperimentRun): readonly ExperimentRun[] => run.reads ?? (run.source ? [run.source] : []);

/** `variant-seed-N`: the run's log files (and exit record) under slurm/logs. */
export const logNameOf = (run: ExperimentRun) => runLabel(run).replace('/', '-');

function toTask(index: number, run: ExperimentRun): LaunchTask {
  return { index, run, label: runLabel(run), logName: logNameOf(run) };
}

export function launchPlan(
  experiment: Experiment,
  runs: readonly ExperimentRun[],
  options: { maxParallel?: number; sharedArgs?: readonly string[]; workdir?: string; evidence?: EvidenceTasks },
): LaunchPlan {
  const allTasks = experimentTasks(experiment).map(({ task, run }) => toTask(task, run));
  const chosen = new Set(runs);
  const tasks = allTasks.filter((t) => chosen.has(t.run));
  const baseline = (run: ExperimentRun) => run.variant === experiment.baseline;
  return {
    experiment,
    tasks,
    withoutBaseline: !tasks.some((t) => baseline(t.run)) && !experiment.runs.some((run) => baseline(run) && isDone(experiment, run)),
    allTasks,
    maxParallel: options.maxParallel,
    experimentFile: resolve(experiment.file),
    workdir: options.workdir ?? process.cwd(),
    sharedArgs: options.sharedArgs ?? [],
    evidence: options.evidence,
  };
}

/** Indices as Slurm/Kubernetes range lists: [0,1,2,5,7,8] -> "0-2,5,7-8". */
export function indexRanges(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j += 1;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** POSIX shell single-quoting: safe for any path or argument. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
