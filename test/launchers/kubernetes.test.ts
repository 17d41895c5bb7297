// The Kubernetes manifests against the full batch/v1 Job schema, for the quickstart (with its
// control), a long-overridden paper experiment and a small grid; Job names as DNS labels with
// room for every pod host name; every flag checked before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { runCommand, type RunCommandFlags } from '../../src/commands/run.js';
import { VdmError } from '../../src/errors.js';
import { loadExperiment, type ExperimentOptions } from '../../src/experiments/spec.js';
import { indexedJobManifests, type KubernetesOptions } from '../../src/launchers/kubernetes.js';
import { isDnsLabel, isCpuQuantity, isQuantity, jobNames } from '../../src/launchers/kubernetesNames.js';
import { launchPlan } from '../../src/launchers/tasks.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml, tinyExperimentYaml } from '../helpers/tinyRun.js';
import { jobProblems } from './k8sSchema.js';

const CONFIGS = new URL('../../configs/', import.meta.url).pathname;
const FLAGS: KubernetesOptions = { image: 'ghcr.io/lab/vdm:1', cpus: 4, memory: '16Gi', gpus: 1, pvc: 'vdm-results', namespace: 'ml' };

function manifestsOf(file: string, options: ExperimentOptions = {}, flags: KubernetesOptions = FLAGS, maxParallel = 4) {
  const experiment = loadExperiment(file, options);
  const plan = launchPlan(experiment, experiment.runs, { maxParallel, workdir: CONFIGS.replace(/configs\/$/, ''), sharedArgs: experiment.cliArgs });
  return { experiment, ...indexedJobManifests(plan, flags) };
}

type Job = Record<string, any>;
/** Every pod host name a Job can give (`<name>-<index>`) is a DNS label. */
function assertHostNames(job: Job): void {
  const name = job.metadata.name as string;
  assert.ok(isDnsLabel(name), `${name} is a DNS label`);
  const last = `${name}-${job.spec.completions - 1}`;
  assert.ok(isDnsLabel(last), `${last} (${last.length} characters) is a DNS label`);
}

test('the quickstart: its runs in one valid Job, its control in a second valid Job whose index i is task 6 + i', () => {
  const { runs, controls, experiment } = manifestsOf(join(CONFIGS, 'quickstart.yaml'));
  assert.deepEqual(jobProblems(runs), []);
  assert.ok(controls, 'a second Job for the controls');
  assert.deepEqual(jobProblems(controls), []);
  const plain = experiment.runs.filter((r) => !r.source).length;
  const control = experiment.runs.length - plain;
  assert.equal((runs.spec as Job).completions, plain);
  assert.equal((controls.spec as Job).completions, control);
  assert.equal((runs.spec as Job).parallelism, 4);
  assert.equal((controls.spec as Job).parallelism, Math.min(4, control));
  const args = (job: Job) => job.spec.template.spec.containers[0].args as string[];
  assert.deepEqual(args(runs).slice(-2), ['--task', '$(VDM_TASK)']);
  assert.deepEqual(args(controls).slice(-4), ['--task', '$(VDM_TASK)', '--task-offset', String(plain)]);
  for (const job of [runs, controls]) assertHostNames(job);
  assert.equal((controls.metadata as Job).name, `${(runs.metadata as Job).name}-controls`);
});

test('a long-overridden experiment: Job names keep a hash of the resolved configs, fit every pod host name, never collide', () => {
  const file = join(CONFIGS, 'experiments', 'resnet20-c100.yaml');
  const overrides = (wd: string) => ['optimizer.lr=0.05', `optimizer.weight_decay=${wd}`, 'epochs=200', 'dataset.batch_size=256'];
  const a = manifestsOf(file, { overrides: overrides('0.0005') });
  const b = manifestsOf(file, { overrides: overrides('0.0001') });
  for (const job of [a.runs, b.runs]) {
    assert.deepEqual(jobProblems(job), []);
    assertHostNames(job);
  }
  assert.equal(a.controls, undefined, 'no controls, no second Job');
  const names = [a.runs, b.runs].map((job) => (job.metadata as Job).name as string);
  assert.notEqual(names[0], names[1], 'weight decay 0.0005 and 0.0001 are different Jobs');
  assert.match(names[0], /^vdm-resnet20-c100.*-[0-9a-f]{6}$/);
  // The container repeats the overrides: what it trains is what the name says.
  assert.deepEqual(((a.runs.spec as Job).template.spec.containers[0].args as string[]).filter((w) => w.includes('weight_decay')), ['optimizer.weight_decay=0.0005']);
});

test('job names: DNS labels with room for the largest index, whatever the experiment is called', () => {
  for (const [experiment, largest] of [['x'.repeat(200), 9], ['Ünïcödé__NAME--', 12345], ['---', 0], ['a', 99999]] as const) {
    const names = jobNames(experiment, 'abc123', largest);
    for (const name of [names.runs, names.controls]) {
      assert.ok(isDnsLabel(`${name}-${largest}`), `${name}-${largest}`);
      assert.match(name, /abc123/);
    }
  }
});

test('Kubernetes quantities as the API parses them', () => {
  for (const good of ['16Gi', '512Mi', '1', '0.5', '500m', '16G', '1e3', '1.5Gi', '+2']) assert.ok(isQuantity(good), good);
  for (const bad of ['16GB', '16 Gi', '-1Gi', '0', 'Gi', '1.2.3', '16gi', '']) assert.ok(!isQuantity(bad), bad);
  for (const good of ['4', '1.5', '500m', '.5']) assert.ok(isCpuQuantity(good), good);
  for (const bad of ['0', '0m', '2Gi', '1.5m', '-1', '']) assert.ok(!isCpuQuantity(bad), bad);
});

test('--cpus 500m (as the command line gives it) is the container CPU request and limit, valid against the schema', () => {
  const { runs } = manifestsOf(join(CONFIGS, 'quickstart.yaml'), {}, { ...FLAGS, cpus: '500m' });
  assert.deepEqual(jobProblems(runs), []);
  assert.match(JSON.stringify(runs), /"cpu":"500m"/);
});

const grid = () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': tinyExperimentYaml('grid', [1, 2], 'controls: [step_matched]\n') });
  return { output, exp: join(dir, 'exp.yaml') };
};

test('vdm run --on k8s --emit writes job.yaml, controls.yaml and submit.sh (the controls applied after the runs have ended)', async () => {
  const { exp, output } = grid();
  const lines: string[] = [];
  await runCommand(exp, { on: 'k8s', emit: true, image: 'vdm:latest' }, (line) => lines.push(line));
  const dir = join(output, 'grid', 'k8s');
  const text = readFileSync(join(dir, 'job.yaml'), 'utf8');
  assert.doesNotMatch(text, /[&*]a\d/, 'plain YAML, no anchors');
  assert.equal(parseAllDocuments(text).length, 1, 'one Job per file: applying job.yaml must not start the controls');
  assert.deepEqual(jobProblems(parse(text)), []);
  assert.deepEqual(jobProblems(parse(readFileSync(join(dir, 'controls.yaml'), 'utf8'))), []);
  const submit = readFileSync(join(dir, 'submit.sh'), 'utf8');
  assert.ok(submit.indexOf('job.yaml') < submit.indexOf('Complete|Failed') && submit.indexOf('Complete|Failed') < submit.indexOf('controls.yaml'));
  assert.match(lines.join('\n'), /submit with: sh \S+submit\.sh/);
});

const BAD: [string, KubernetesOptions | RunCommandFlags, RegExp][] = [
  ['namespace with capitals and _', { namespace: 'My_NS' }, /--namespace 'My_NS' is not a Kubernetes namespace name/],
  ['namespace too long', { namespace: 'n'.repeat(64) }, /--namespace 'n+' is not a Kubernetes namespace name/],
  ['claim with capitals', { pvc: 'Bad_Claim' }, /--pvc 'Bad_Claim' is not a PersistentVolumeClaim name/],
  ['memory in GB', { memory: '16GB' }, /--memory '16GB' is not a Kubernetes quantity: .*\(not 16GB\)/],
  ['negative retries', { retries: -1 }, /--retries must be a whole number >= 0 .*got -1/],
  ['retries not a number', { retries: Number.NaN }, /--retries must be a whole number >= 0/],
  ['CPUs in memory units', { cpus: '2Gi' }, /--cpus '2Gi' is not a Kubernetes CPU quantity: a whole number \(4\), a decimal \(1\.5\) or millicores \(500m\), above 0/],
  ['zero CPUs', { cpus: '0m' }, /--cpus '0m' is not a Kubernetes CPU quantity/],
  ['relative workdir', { workdir: 'work' }, /--workdir 'work' must be an absolute path in the container/],
  ['image with a space', { image: 'vdm latest' }, /--image 'vdm latest': an image reference has no spaces/],
  ['a Slurm flag', { setup: ['module load x'] }, /--setup goes with --on slurm, not --on k8s/],
  ['a Slurm time', { time: '1:00:00' }, /--time goes with --on slurm, not --on k8s/],
];
for (const [title, flags, message] of BAD) {
  test(`vdm run --on k8s: ${title} is a one-line usage error and writes nothing`, async () => {
    const { exp, output } = grid();
    await assert.rejects(
      runCommand(exp, { on: 'k8s', emit: true, image: 'vdm:1', ...flags } as RunCommandFlags, () => undefined),
      (e: unknown) => e instanceof VdmError && e.exitCode === 2 && message.test(e.message) && !e.message.includes('\n'),
    );
    assert.ok(!existsSync(join(output, 'grid')), 'nothing written');
  });
}
