// The schedulers an experiment can be handed to (`vdm run --on NAME`), one registry entry each.
import { UsageError } from '../errors.js';
import { Registry, type NamedEntry } from '../registry.js';
import { writeKubernetesJob, type KubernetesOptions } from './kubernetes.js';
import { submitSlurm, writeSlurmScripts, type SlurmOptions } from './slurm.js';
import type { LaunchPlan } from './tasks.js';

export type LaunchOptions = SlurmOptions &
  KubernetesOptions & {
    /** Write the job files only; do not submit. */
    readonly emit?: boolean;
    /** Also schedule the comparison after the runs (where the launcher can). */
    readonly compare?: boolean;
  };

export interface Launcher extends NamedEntry {
  /** Whether it can launch some task indices only (a Slurm array can; an Indexed Job runs 0..N-1). */
  readonly takesSubsets: boolean;
  /** Writes the job files and, unless --emit, submits them; returns lines for the user. */
  launch(plan: LaunchPlan, options: LaunchOptions): string[];
}

const slurm: Launcher = {
  name: 'slurm',
  description: 'a Slurm job array (one task per run, requeued on USR1) and a dependent compare job',
  takesSubsets: true,
  launch(plan, options) {
    const files = writeSlurmScripts(plan, options);
    const lines = [`wrote ${files.jobScript} (${plan.tasks.length} tasks) and ${files.compareScript}`];
    if (options.emit) return [...lines, `submit with: sbatch ${files.jobScript} (then compare.sh with --dependency=afterany:<job id>)`];
    const submitted = submitSlurm(plan, files, options.compare !== false);
    lines.push(`submitted job array ${submitted.arrayJobId}`);
    if (submitted.compareJobId) lines.push(`submitted comparison ${submitted.compareJobId} (after the array ends)`);
    lines.push(`follow with: vdm status ${plan.experimentFile}`);
    return lines;
  },
};

const kubernetes: Launcher = {
  name: 'k8s',
  description: 'a Kubernetes Indexed Job manifest (one completion index per run); vdm writes it, kubectl submits it',
  takesSubsets: false,
  launch(plan, options) {
    if (!options.emit) throw new UsageError('vdm does not submit to Kubernetes: pass --emit, then kubectl apply -f the file it writes');
    const file = writeKubernetesJob(plan, options);
    return [`wrote ${file} (${plan.allTasks.length} indexes)`, `submit with: kubectl apply -f ${file}`];
  },
};

export const launchers = new Registry<Launcher>('launcher', [slurm, kubernetes]);
