// Kubernetes: an experiment as Indexed Jobs written as manifests for `kubectl apply -f`; vdm never
// talks to a cluster itself. The plain runs are one Job (completion index i = task i); controls
// that read other runs (run.source) are a second Job, applied once the first has ended
// (k8s/submit.sh does that), its completion index i being task <number of plain runs> + i.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../run/files.js';
import { VDM_VERSION } from '../run/provenance.js';
import { checkKubernetesFlags, configHash, jobNames, type JobNames, type KubernetesFlags } from './kubernetesNames.js';
import { shellQuote, type LaunchPlan, type LaunchTask } from './tasks.js';

export interface KubernetesOptions extends KubernetesFlags {
  readonly gpus?: number;
}

/** The experiment file and results folder as the container sees them (relative to its workdir). */
function containerPaths(plan: LaunchPlan, workdir: string): { experiment: string; results: string } {
  const relative = (path: string) => (isAbsolute(path) ? posix.join(workdir, posix.relative(plan.workdir, path)) : posix.join(workdir, path));
  const output = plan.experiment.runs[0].config.output;
  return { experiment: relative(plan.experimentFile), results: isAbsolute(output) ? output : posix.join(workdir, output) };
}

/** The plain runs and the controls that must wait for them, each as the Job that runs it. */
export function jobParts(plan: LaunchPlan): { runs: LaunchTask[]; controls: LaunchTask[]; names: JobNames } {
  const runs = plan.allTasks.filter((t) => !t.run.source);
  const controls = plan.allTasks.filter((t) => t.run.source);
  // Controls come after every plain run (src/experiments/spec.ts), so an offset maps their indices.
  if (controls.some((t, i) => t.index !== runs.length + i)) throw new Error('internal: control tasks are not after the plain runs');
  const largest = Math.max(runs.length, controls.length) - 1;
  return { runs, controls, names: jobNames(plan.experiment.name, configHash(plan.allTasks.map((t) => t.run.config)), largest) };
}

function jobManifest(plan: LaunchPlan, options: KubernetesOptions, name: string, label: string, tasks: readonly LaunchTask[]): Record<string, unknown> {
  const workdir = options.workdir ?? '/work';
  const paths = containerPaths(plan, workdir);
  // Quantities are strings in the API (io.k8s.apimachinery.pkg.api.resource.Quantity).
  const quantities: Record<string, string> = {};
  if (options.cpus) quantities.cpu = String(options.cpus);
  if (options.memory) quantities.memory = options.memory;
  const limits = { ...quantities, ...(options.gpus ? { 'nvidia.com/gpu': String(options.gpus) } : {}) };
  const offset = tasks[0].index;
  const container = {
    name: 'vdm',
    image: options.image,
    workingDir: workdir,
    command: ['vdm'],
    // $(VDM_TASK) is expanded by the kubelet from the env entry below.
    args: ['run', paths.experiment, ...plan.sharedArgs, '--task', '$(VDM_TASK)', ...(offset > 0 ? ['--task-offset', String(offset)] : [])],
    env: [
      { name: 'VDM_TASK', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
      // A retried pod has a new host name: the run lock knows its earlier attempt by this id.
      { name: 'VDM_TASK_ID', value: `k8s/${name}/$(VDM_TASK)` },
    ],
    ...(Object.keys(limits).length > 0 ? { resources: { requests: quantities, limits } } : {}),
    ...(options.pvc ? { volumeMounts: [{ name: 'results', mountPath: paths.results }] } : {}),
  };
  const labels = { 'app.kubernetes.io/name': 'vdm', 'vdm/experiment': label };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, ...(options.namespace ? { namespace: options.namespace } : {}), labels },
    spec: {
      completionMode: 'Indexed',
      completions: tasks.length,
      parallelism: Math.min(plan.maxParallel ?? tasks.length, tasks.length),
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

export interface KubernetesManifests {
  /** The plain runs' Job. */
  readonly runs: Record<string, unknown>;
  /** The controls' Job, when the experiment has controls that read other runs. */
  readonly controls?: Record<string, unknown>;
  readonly names: JobNames;
}

export function indexedJobManifests(plan: LaunchPlan, options: KubernetesOptions): KubernetesManifests {
  checkKubernetesFlags(options);
  if (plan.tasks.length !== plan.allTasks.length) {
    throw new UsageError('--on k8s runs every task of the experiment (completed runs are skipped); drop --only');
  }
  const { runs, controls, names } = jobParts(plan);
  return {
    runs: jobManifest(plan, options, names.runs, names.label, runs),
    ...(controls.length > 0 ? { controls: jobManifest(plan, options, names.controls, names.label, controls) } : {}),
    names,
  };
}

/** Applies the runs' Job, waits until it has ended (complete or failed), then applies the controls'. */
function submitScript(names: JobNames, runsFile: string, controlsFile: string, namespace?: string): string {
  const ns = namespace ? ` -n ${namespace}` : '';
  return `#!/bin/sh
# Written by vdm ${VDM_VERSION}: the controls read their source runs' steps.csv, so their Job is
# applied only once the runs' Job has ended (a control whose source failed then fails at once).
set -eu
kubectl apply${ns} -f ${shellQuote(runsFile)}
echo "waiting for job ${names.runs} to end before the controls start"
until kubectl get${ns} job ${names.runs} -o jsonpath='{.status.conditions[*].type}' | grep -Eqw 'Complete|Failed'; do sleep 60; done
kubectl apply${ns} -f ${shellQuote(controlsFile)}
`;
}

export function writeKubernetesJobs(plan: LaunchPlan, options: KubernetesOptions): { files: string[]; submit: string } {
  const manifests = indexedJobManifests(plan, options);
  const dir = join(plan.experiment.root, 'k8s');
  mkdirSync(dir, { recursive: true });
  const write = (file: string, what: string, manifest: Record<string, unknown>) => {
    const header = `# Written by vdm ${VDM_VERSION}: experiment ${plan.experiment.name}; ${what}\n# of \`vdm run ${plan.experimentFile} --dry-run\`.\n`;
    writeFileAtomic(file, header + stringify(manifest, { aliasDuplicateObjects: false }));
    return file;
  };
  const runs = write(join(dir, 'job.yaml'), 'completion index i is task i', manifests.runs);
  if (!manifests.controls) return { files: [runs], submit: `kubectl apply -f ${runs}` };
  const offset = (manifests.runs.spec as { completions: number }).completions;
  const controls = write(join(dir, 'controls.yaml'), `the controls, applied after job.yaml has ended; completion index i is task ${offset} + i`, manifests.controls);
  const script = join(dir, 'submit.sh');
  writeFileAtomic(script, submitScript(manifests.names, runs, controls, options.namespace));
  return { files: [runs, controls, script], submit: `sh ${script} (kubectl apply -f ${runs}; once that Job has ended, kubectl apply -f ${controls})` };
}
