// Launchers without a scheduler: the task numbering, the Slurm scripts (checked by bash -n), the
// flags' errors, and vdm status from run folders alone. Kubernetes: kubernetes.test.ts; the
// scripts run by bash: slurmScript.test.ts; a real Slurm: slurm.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, type RunCommandFlags } from '../../src/commands/run.js';
import { statusCommand } from '../../src/commands/status.js';
import { UsageError, VdmError } from '../../src/errors.js';
import { experimentTasks, loadExperiment, runForTask } from '../../src/experiments/spec.js';
import { launchers } from '../../src/launchers/index.js';
import { arrayScript, compareScript } from '../../src/launchers/slurmScripts.js';
import { indexRanges, launchPlan } from '../../src/launchers/tasks.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

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
  const script = arrayScript(plan, plan.tasks, { partition: 'gpu', gpus: 1, time: '12:00:00', memory: '16G', sbatchArgs: ['--account=lab', '--qos=high'] }, 'vdm-grid');
  assert.equal(bashSyntaxOk(script), '');
  for (const line of ['--array=0-8%3', '--requeue', '--signal=B:USR1@120', '--open-mode=append', '--partition=gpu', '--gpus=1', '--time=12:00:00', '--mem=16G', '--account=lab', '--qos=high']) {
    assert.match(script, new RegExp(`^#SBATCH ${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), line);
  }
  assert.match(script, /^runs=\(plain-seed-5 plain-seed-2 plain-seed-9 log-seed-5 log-seed-2 log-seed-9 scale-seed-5 scale-seed-2 scale-seed-9\)$/m);
  assert.match(script, new RegExp(`^"\\$node" \\S+bin/vdm run ${exp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --seeds 5,2,9 --task "\\$SLURM_ARRAY_TASK_ID" &$`, 'm'));
  assert.ok(!script.includes(process.execPath), "the submit host's node path is not written in");
  assert.match(script, /^node=\$\{VDM_NODE:-\$\(command -v node\)\}$/m);
  assert.match(script, /-ge 10 \]; then/, 'self-requeue capped at --max-requeues (default 10)');
  assert.match(script, /scontrol requeue "\$task"/);
  // --only: the same indices, only fewer of them; no throttle without --max-parallel.
  const some = launchPlan(experiment, experiment.runs.filter((r) => r.variant === 'log' || (r.variant === 'scale' && r.seed === 9)), {});
  assert.match(arrayScript(some, some.tasks, {}, 'x'), /^#SBATCH --array=3-5,8$/m);
  const compare = compareScript(plan, { partition: 'gpu' });
  assert.equal(bashSyntaxOk(compare), '');
  assert.match(compare, /bin\/vdm compare \S+\/grid --out \S+\/grid\/comparison --report \S+\/grid\/report\.html --baseline plain$/m);
  assert.match(compare, /^#SBATCH --time=1:00:00$/m, 'the comparison has a time limit of its own');
  assert.match(compareScript(plan, { compareTime: '10:00' }), /^#SBATCH --time=10:00$/m);
  const setup = arrayScript(plan, plan.tasks, { setup: ['module load nodejs/20', 'source ~/venv/bin/activate'], maxRequeues: 3 }, 'x');
  assert.equal(bashSyntaxOk(setup), '');
  assert.match(setup, /^\{ module load nodejs\/20\n\} \|\| fail 2 "setup failed/m);
  assert.ok(setup.indexOf('module load') < setup.indexOf('node=${VDM_NODE'), 'setup before node is looked up');
  assert.match(setup, /-ge 3 \]; then/);
});

const collect = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => lines.push(line) };
};

test('vdm run --on slurm --emit writes the scripts and submits nothing', async () => {
  const { exp, output } = fixture();
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
  ['a Slurm time limit of hours', { on: 'slurm', time: '12h' }, /--time '12h' is not a Slurm time limit/],
  ['a bad comparison time', { on: 'slurm', compareTime: '1:00:00:00' }, /--compare-time '1:00:00:00' is not a Slurm time limit/],
  ['Slurm CPUs in millicores', { on: 'slurm', cpus: '500m' }, /^--cpus '500m' is not a Slurm CPU count: a whole number >= 1 \(millicores such as 500m are for --on k8s\)$/],
  ['CPUs without a scheduler', { cpus: '4' }, /^--emit, --max-parallel and --cpus go with --on slurm\|k8s$/],
  ['Slurm memory in GB', { on: 'slurm', memory: '16GB' }, /--memory '16GB' is not a Slurm memory size/],
  ['negative requeue cap', { on: 'slurm', maxRequeues: -1 }, /--max-requeues must be a whole number >= 0, got -1/],
  ['an empty setup line', { on: 'slurm', setup: [' '] }, /--setup takes a shell command/],
  ['a bare sbatch word', { on: 'slurm', sbatchArg: ['account=lab'] }, /--sbatch-arg 'account=lab' is not an sbatch option/],
  ['a Kubernetes flag', { on: 'slurm', pvc: 'claim' }, /--pvc goes with --on k8s, not --on slurm/],
  ['an offset without --task', { taskOffset: 2 }, /--task-offset takes a whole number >= 0 and goes with --task/],
  ['k8s runs every task', { on: 'k8s', emit: true, image: 'x', only: ['log'] }, /drop --only/],
  ['task out of range', { task: 9 }, /--task 9: experiment grid has tasks 0-8/],
  ['task not a number', { task: Number.NaN }, /--task takes a whole number: experiment grid has tasks 0-8/],
  ['task with --on', { task: 1, on: 'slurm' }, /--task runs one scheduler task here; it cannot be combined with --on or --only/],
  ['force with --on', { on: 'slurm', force: true }, /--force with --on would restart every requeued task/],
  ['zero throttle', { on: 'slurm', maxParallel: 0 }, /--max-parallel must be a positive integer, got 0/],
  ['throttle without a scheduler', { maxParallel: 2 }, /--emit, --max-parallel and --cpus go with --on slurm\|k8s/],
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
