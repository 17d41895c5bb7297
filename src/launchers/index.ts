// The schedulers an experiment can be handed to (`vdm run --on NAME`), one registry entry each.
import { UsageError } from '../errors.js';
import { Registry, type NamedEntry } from '../registry.js';
import { writeKubernetesJobs, type KubernetesOptions } from './kubernetes.js';
import { checkKubernetesFlags } from './kubernetesNames.js';
import { controlOrder, controlsDependency, submitSlurm, writeSlurmScripts, type SlurmOptions } from './slurm.js';
import { checkSlurmFlags } from './slurmFlags.js';
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
  /** Whether it runs --evidence as tasks after training (Slurm); the others refuse the flag. */
  readonly evidence: boolean;
  /** The flags only this launcher takes (their LaunchOptions keys), refused with the other one. */
  readonly ownFlags: readonly (keyof LaunchOptions)[];
  /** Refuses bad flags (UsageError) before anything is written. */
  check(options: LaunchOptions): void;
  /** Writes the job files and, unless --emit, submits them; returns lines for the user. */
  launch(plan: LaunchPlan, options: LaunchOptions): string[];
}

function slurmLaunch(plan: LaunchPlan, options: LaunchOptions): string[] {
  const order = controlOrder(plan); // refuses a control whose source would never run
  const compare = options.compare !== false && !plan.withoutBaseline;
  const files = writeSlurmScripts(plan, options);
  const written = [files.jobScript, files.controlsScript, files.evidenceScript, files.compareScript].filter(Boolean).join(', ');
  const evidenceTasks = plan.evidence ? `, ${plan.evidence.logNames.length} evidence tasks` : '';
  const lines = [`wrote ${written} (${plan.tasks.length} tasks${evidenceTasks})`];
  if (options.compare !== false && plan.withoutBaseline) {
    lines.push(`no comparison scheduled: --only leaves out the baseline '${plan.experiment.baseline}' and none of its runs has completed; compare later with: vdm compare ${plan.experiment.root}`);
  }
  if (options.emit) {
    const steps = [files.jobScript && `sbatch ${files.jobScript}`];
    const dependency = controlsDependency(order, '<its job id>');
    if (files.controlsScript) steps.push(`sbatch ${dependency ? `${dependency} ` : ''}${files.controlsScript}`);
    const arrays = files.jobScript || files.controlsScript;
    if (files.evidenceScript) steps.push(`sbatch ${arrays ? '--dependency=afterany:<job ids above> ' : ''}${files.evidenceScript}`);
    if (compare) steps.push(`sbatch --dependency=afterany:<${files.evidenceScript ? 'the evidence job id' : 'job ids above'}> ${files.compareScript}`);
    return [...lines, `submit with: ${steps.filter(Boolean).join(', then ')}`];
  }
  const submitted = submitSlurm(plan, files, order, compare);
  if (submitted.arrayJobId) lines.push(`submitted job array ${submitted.arrayJobId}`);
  if (submitted.controlsJobId) lines.push(`submitted controls ${submitted.controlsJobId} (each after its source run's task)`);
  if (submitted.evidenceJobId) lines.push(`submitted evidence ${submitted.evidenceJobId} (${plan.evidence!.logNames.length} tasks, after training)`);
  if (submitted.compareJobId) lines.push(`submitted ${submitted.evidenceJobId ? 'evidence report' : 'comparison'} ${submitted.compareJobId} (after the arrays end)`);
  lines.push(`follow with: vdm status ${plan.experimentFile}`);
  return lines;
}

const slurm: Launcher = {
  name: 'slurm',
  description: 'Slurm job arrays (one task per run, requeued on USR1; controls after their sources; --evidence as a further array) and a dependent compare job',
  takesSubsets: true,
  evidence: true,
  ownFlags: ['partition', 'time', 'compareTime', 'sbatchArgs', 'setup', 'maxRequeues'],
  check: checkSlurmFlags,
  launch: slurmLaunch,
};

const kubernetes: Launcher = {
  name: 'k8s',
  description: 'Kubernetes Indexed Job manifests (one completion index per run; controls in a second Job); vdm writes them, kubectl submits them',
  takesSubsets: false,
  evidence: false,
  ownFlags: ['image', 'pvc', 'namespace', 'workdir', 'retries'],
  check(options) {
    if (!options.emit) throw new UsageError('vdm does not submit to Kubernetes: pass --emit, then kubectl apply -f the file it writes');
    checkKubernetesFlags(options);
  },
  launch(plan, options) {
    const { files, submit } = writeKubernetesJobs(plan, options);
    return [`wrote ${files.join(', ')} (${plan.allTasks.length} indexes)`, `submit with: ${submit}`];
  },
};

export const launchers = new Registry<Launcher>('launcher', [slurm, kubernetes]);
