// Launchers without a scheduler: the task numbering, the Slurm scripts (checked by bash -n),
// the Kubernetes manifest against the batch/v1 Job schema, the flags' errors, and vdm status
// from run folders alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCommand, type RunCommandFlags } from '../../src/commands/run.js';
import { statusCommand } from '../../src/commands/status.js';
import { UsageError, VdmError } from '../../src/errors.js';
import { experimentTasks, loadExperiment, runForTask } from '../../src/experiments/spec.js';
import { launchers } from '../../src/launchers/index.js';
import { indexedJobManifest } from '../../src/launchers/kubernetes.js';
import { arrayScript, compareScript } from '../../src/launchers/slurm.js';
import { indexRanges, launchPlan } from '../../src/launchers/tasks.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';
import { validate } from './jsonSchema.js';

const EXPERIMENT = `experiment: grid
base: base.yaml
seeds: [5, 2, 9]
baseline: plain
variants:
  plain: { vdm: { name: none } }
  log: { vdm: { name: log, b: 0.5 } }
  scale: { vdm: { name: log, b: 2 } }
`;

function fixture(output = tempDir()) {
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': EXPERIMENT });
  return { output, dir, exp: join(dir, 'exp.yaml') };
}

test('task i is variant x seed in file order, every run exactly once, the same on every load', () => {
  const { exp } = fixture();
  const labels = experimentTasks(loadExperiment(exp)).map(({ task, run }) => `${task}:${run.variant}/${run.seed}`);
  assert.deepEqual(labels, ['0:plain/5', '1:plain/2', '2:plain/9', '3:log/5', '4:log/2', '5:log/9', '6:scale/5', '7:scale/2', '8:scale/9']);
  assert.deepEqual(experimentTasks(loadExperiment(exp)).map(({ task, run }) => `${task}:${run.variant}/${run.seed}`), labels);
  const experiment = loadExperiment(exp);
  assert.equal(runForTask(experiment, 4).variant, 'log');
  for (const bad of [9, -1, 1.5, Number.NaN]) {
    assert.throws(() => runForTask(experiment, bad), (e: unknown) => e instanceof UsageError && /has tasks 0-8 \(see vdm run --dry-run\)/.test(e.message));
  }
});

test('index lists become Slurm range specs', () => {
  const cases: [number[], string][] = [[[0, 1, 2, 3], '0-3'], [[3], '3'], [[1, 3], '1,3'], [[0, 1, 2, 5, 7, 8], '0-2,5,7-8'], [[4, 2, 3, 2], '2-4']];
  for (const [indices, spec] of cases) assert.equal(indexRanges(indices), spec, String(indices));
});

function bashSyntaxOk(script: string): string {
  const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return result.status === 0 ? '' : result.stderr;
}

test('the Slurm array script: throttle, requeue on USR1, resources, named logs, one vdm run --task per index', () => {
  const { exp } = fixture();
  const experiment = loadExperiment(exp);
  const plan = launchPlan(experiment, experiment.runs, { maxParallel: 3, sharedArgs: ['--seeds', '5,2,9'] });
  const script = arrayScript(plan, { partition: 'gpu', gpus: 1, time: '12:00:00', memory: '16G', sbatchArgs: ['--account=lab', '--qos=high'] });
  assert.equal(bashSyntaxOk(script), '');
  for (const line of ['--array=0-8%3', '--requeue', '--signal=B:USR1@120', '--open-mode=append', '--partition=gpu', '--gpus=1', '--time=12:00:00', '--mem=16G', '--account=lab', '--qos=high']) {
    assert.match(script, new RegExp(`^#SBATCH ${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
  assert.match(script, /^runs=\(plain-seed-5 plain-seed-2 plain-seed-9 log-seed-5 log-seed-2 log-seed-9 scale-seed-5 scale-seed-2 scale-seed-9\)$/m);
  assert.match(script, new RegExp(`bin/vdm run ${exp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --seeds 5,2,9 --task "\\$SLURM_ARRAY_TASK_ID" &$`, 'm'));
  assert.match(script, /scontrol requeue "\$task"/);
  // --only: the same indices, only fewer of them; no throttle without --max-parallel.
  const some = launchPlan(experiment, experiment.runs.filter((r) => r.variant === 'log' || (r.variant === 'scale' && r.seed === 9)), {});
  assert.match(arrayScript(some, {}), /^#SBATCH --array=3-5,8$/m);
  const compare = compareScript(plan, { partition: 'gpu' });
  assert.equal(bashSyntaxOk(compare), '');
  assert.match(compare, /bin\/vdm compare \S+\/grid --out \S+\/grid\/comparison --report \S+\/grid\/report\.html --baseline plain$/m);
});

const schema = JSON.parse(readFileSync(new URL('../fixtures/k8s/job-batch-v1.schema.json', import.meta.url), 'utf8'));

test('the Kubernetes Indexed Job manifest is a valid batch/v1 Job and maps the completion index to --task', () => {
  const { exp, dir } = fixture('results'); // relative, as configs usually say: mounted under the workdir
  const experiment = loadExperiment(exp);
  const plan = launchPlan(experiment, experiment.runs, { maxParallel: 4, workdir: dir });
  const manifest = indexedJobManifest(plan, { image: 'ghcr.io/lab/vdm:1', cpus: 4, memory: '16Gi', gpus: 1, pvc: 'vdm-results', namespace: 'ml' });
  assert.deepEqual(validate(schema, manifest), []);
  const spec = manifest.spec as Record<string, any>;
  assert.equal(spec.completionMode, 'Indexed');
  assert.equal(spec.completions, 9);
  assert.equal(spec.parallelism, 4);
  assert.equal(spec.backoffLimitPerIndex, 3);
  const pod = spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never', 'backoffLimitPerIndex needs restartPolicy Never');
  const [container] = pod.containers;
  assert.equal(container.workingDir, '/work');
  assert.equal(container.args[1], '/work/exp.yaml', 'the experiment file as the container sees it');
  assert.deepEqual(container.args.slice(-2), ['--task', '$(VDM_TASK)']);
  assert.equal(container.env[0].valueFrom.fieldRef.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  assert.deepEqual(container.resources.limits, { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' });
  assert.equal(pod.volumes[0].persistentVolumeClaim.claimName, 'vdm-results');
  assert.equal(container.volumeMounts[0].mountPath, '/work/results', 'the results volume sits where the config writes');

  // The validator really checks: a misspelt field, a wrong enum and a bad quantity all fail.
  const broken = structuredClone(manifest) as Record<string, any>;
  broken.spec.completionMode = 'indexed';
  broken.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
  broken.spec.template.spec.containers[0].resources.limits.cpu = 4;
  assert.deepEqual(validate(schema, broken).sort(), [
    '$.spec.completionMode: "indexed" is not one of ["NonIndexed","Indexed"]',
    '$.spec.template.spec.containers[0].resources.limits.cpu: expected string, got integer',
    "$.spec.template.spec.containers[0]: unknown field 'imagePullPolicyy'",
  ]);
});

const collect = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line) };
};

test('vdm run --on k8s --emit writes the manifest; --on slurm --emit writes the scripts and submits nothing', async () => {
  const { exp, output } = fixture();
  const k8s = collect();
  await runCommand(exp, { on: 'k8s', emit: true, image: 'vdm:latest' }, k8s.log);
  const text = readFileSync(join(output, 'grid', 'k8s', 'job.yaml'), 'utf8');
  assert.doesNotMatch(text, /[&*]a\d/, 'plain YAML, no anchors');
  const written = parse(text);
  assert.deepEqual(validate(schema, written), []);
  assert.match(k8s.lines.join('\n'), /kubectl apply -f .*grid\/k8s\/job\.yaml/);
  // A completed run (as run.json records it) is left out of the array; the indices stay.
  mkdirSync(join(output, 'grid', 'plain', 'seed-2'), { recursive: true });
  writeFileSync(join(output, 'grid', 'plain', 'seed-2', 'run.json'), JSON.stringify({ status: 'completed' }));
  const slurm = collect();
  await runCommand(exp, { on: 'slurm', emit: true, maxParallel: 2 }, slurm.log);
  assert.match(readFileSync(join(output, 'grid', 'slurm', 'job.sh'), 'utf8'), /^#SBATCH --array=0,2-8%2$/m);
  assert.match(slurm.lines[0], /1 of 9 runs already completed; left out/);
  assert.ok(!existsSync(join(output, 'grid', 'slurm', 'job.json')), 'nothing submitted');
  assert.match(slurm.lines.join('\n'), /submit with: sbatch /);
});

const BAD_FLAGS: [string, RunCommandFlags, RegExp][] = [
  ['unknown scheduler', { on: 'slurmm' }, /unknown launcher 'slurmm'; did you mean 'slurm'\? \(valid: slurm, k8s\)/],
  ['k8s is never submitted', { on: 'k8s' }, /vdm does not submit to Kubernetes: pass --emit/],
  ['k8s needs an image', { on: 'k8s', emit: true }, /--on k8s needs --image/],
  ['k8s runs every task', { on: 'k8s', emit: true, image: 'x', only: ['log'] }, /drop --only/],
  ['task out of range', { task: 9 }, /--task 9: experiment grid has tasks 0-8/],
  ['task not a number', { task: Number.NaN }, /--task takes a whole number: experiment grid has tasks 0-8/],
  ['task with --on', { task: 1, on: 'slurm' }, /--task runs one scheduler task here; it cannot be combined with --on or --only/],
  ['force with --on', { on: 'slurm', force: true }, /--force with --on would restart every requeued task/],
  ['zero throttle', { on: 'slurm', maxParallel: 0 }, /--max-parallel must be a positive integer, got 0/],
  ['throttle without a scheduler', { maxParallel: 2 }, /--emit and --max-parallel go with --on slurm\|k8s/],
];
for (const [title, flags, message] of BAD_FLAGS) {
  test(`vdm run: ${title} is a usage error and writes nothing`, async () => {
    const { exp, output } = fixture();
    await assert.rejects(runCommand(exp, flags, () => undefined), (e: unknown) => e instanceof VdmError && e.exitCode === 2 && message.test(e.message));
    assert.ok(!existsSync(join(output, 'grid')), 'nothing written');
  });
}

test('the registry lists both launchers with descriptions', () => {
  assert.deepEqual(launchers.names(), ['slurm', 'k8s']);
  for (const entry of launchers.entries()) assert.ok(entry.description.length > 20, entry.name);
});

test('vdm status from run folders alone: pending until a run.json says otherwise', () => {
  const { exp, output } = fixture();
  const folder = (variant: string, seed: number) => join(output, 'grid', variant, `seed-${seed}`);
  const record = (variant: string, seed: number, status: string, epochs: number) => {
    mkdirSync(folder(variant, seed), { recursive: true });
    writeFileSync(join(folder(variant, seed), 'run.json'), JSON.stringify({ status }));
    writeFileSync(join(folder(variant, seed), 'metrics.csv'), ['epoch', ...Array.from({ length: epochs }, (_, i) => `${i + 1}`)].join('\n'));
  };
  record('plain', 5, 'completed', 3);
  record('log', 2, 'interrupted', 1);
  record('scale', 9, 'failed', 2);
  const table = statusCommand(exp);
  assert.match(table, /^task\s+run\s+state\s+epochs\s+folder$/m);
  assert.match(table, /^0\s+plain\/seed-5\s+completed\s+3\/3\s/m);
  assert.match(table, /^1\s+plain\/seed-2\s+pending\s+0\/3\s/m);
  assert.match(table, /^4\s+log\/seed-2\s+interrupted\s+1\/3\s/m);
  assert.match(table, /^8\s+scale\/seed-9\s+failed\s+2\/3\s/m);
  assert.match(table, /9 runs: 1 completed, 6 pending, 1 interrupted, 1 failed$/);
});
