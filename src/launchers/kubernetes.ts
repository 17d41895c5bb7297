// Kubernetes: an experiment as one Indexed Job (completion index i = run i), written as a
// manifest for `kubectl apply -f`. vdm never talks to a cluster itself.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../run/files.js';
import { VDM_VERSION } from '../run/provenance.js';
import type { LaunchPlan } from './tasks.js';

export interface KubernetesOptions {
  /** Container image with vdm installed (its entry point: `vdm`). */
  readonly image?: string;
  readonly cpus?: number;
  /** A Kubernetes quantity, e.g. 8Gi. */
  readonly memory?: string;
  readonly gpus?: number;
  /** PersistentVolumeClaim holding the results; mounted where the experiment writes them. */
  readonly pvc?: string;
  readonly namespace?: string;
  /** Folder in the container that relative paths (experiment file, output) resolve against. */
  readonly workdir?: string;
  /** Failed pods tolerated per index before the index counts as failed. */
  readonly retries?: number;
}

/** Job names are DNS labels: lower case, digits and '-', at most 63 characters. */
export function jobName(experiment: string): string {
  const name = `vdm-${experiment}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+$/, '');
  return name.slice(0, 63).replace(/-+$/, '');
}

/** The experiment file and results folder as the container sees them (relative to its workdir). */
function containerPaths(plan: LaunchPlan, workdir: string): { experiment: string; results: string } {
  const relative = (path: string) => (isAbsolute(path) ? posix.join(workdir, posix.relative(plan.workdir, path)) : posix.join(workdir, path));
  const output = plan.experiment.runs[0].config.output;
  return { experiment: relative(plan.experimentFile), results: isAbsolute(output) ? output : posix.join(workdir, output) };
}

export function indexedJobManifest(plan: LaunchPlan, options: KubernetesOptions): Record<string, unknown> {
  if (!options.image) throw new UsageError('--on k8s needs --image <image with vdm installed>');
  if (plan.tasks.length !== plan.allTasks.length) {
    throw new UsageError('--on k8s runs every task of the experiment (completed runs are skipped); drop --only');
  }
  const workdir = options.workdir ?? '/work';
  const paths = containerPaths(plan, workdir);
  // Quantities are strings in the API (io.k8s.apimachinery.pkg.api.resource.Quantity).
  const quantities: Record<string, string> = {};
  if (options.cpus) quantities.cpu = String(options.cpus);
  if (options.memory) quantities.memory = options.memory;
  const limits = { ...quantities, ...(options.gpus ? { 'nvidia.com/gpu': String(options.gpus) } : {}) };
  const container = {
    name: 'vdm',
    image: options.image,
    workingDir: workdir,
    command: ['vdm'],
    // $(VDM_TASK) is expanded by the kubelet from the env entry below.
    args: ['run', paths.experiment, ...plan.sharedArgs, '--task', '$(VDM_TASK)'],
    env: [
      { name: 'VDM_TASK', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
      // A retried pod has a new host name: the run lock knows its earlier attempt by this id.
      { name: 'VDM_TASK_ID', value: `k8s/${jobName(plan.experiment.name)}/$(VDM_TASK)` },
    ],
    ...(Object.keys(limits).length > 0 ? { resources: { requests: quantities, limits } } : {}),
    ...(options.pvc ? { volumeMounts: [{ name: 'results', mountPath: paths.results }] } : {}),
  };
  const labels = { 'app.kubernetes.io/name': 'vdm', 'vdm/experiment': jobName(plan.experiment.name).slice(4) || 'experiment' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(plan.experiment.name), ...(options.namespace ? { namespace: options.namespace } : {}), labels },
    spec: {
      completionMode: 'Indexed',
      completions: plan.allTasks.length,
      parallelism: plan.maxParallel ?? plan.allTasks.length,
      // A pod that fails (crash, or SIGTERM: vdm checkpoints and exits 130) is retried with the
      // same index and resumes; one bad run does not use up the others' retries.
      backoffLimitPerIndex: options.retries ?? 3,
      // Evicted or preempted pods (DisruptionTarget) are retried without using up the retries.
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // Room for vdm to finish its step and write the checkpoint after SIGTERM.
          terminationGracePeriodSeconds: 120,
          containers: [container],
          ...(options.pvc ? { volumes: [{ name: 'results', persistentVolumeClaim: { claimName: options.pvc } }] } : {}),
        },
      },
    },
  };
}

export function writeKubernetesJob(plan: LaunchPlan, options: KubernetesOptions): string {
  const manifest = indexedJobManifest(plan, options);
  const dir = join(plan.experiment.root, 'k8s');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'job.yaml');
  const header = `# Written by vdm ${VDM_VERSION}: experiment ${plan.experiment.name}; completion index i is run i of\n# \`vdm run ${plan.experimentFile} --dry-run\`. Submit with: kubectl apply -f ${file}\n`;
  writeFileAtomic(file, header + stringify(manifest, { aliasDuplicateObjects: false }));
  return file;
}
