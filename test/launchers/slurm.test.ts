// `vdm run --on slurm` against a real single-node Slurm started here: the whole array, one task
// interrupted with USR1, requeued and resumed to the numbers of an uninterrupted run, the
// step-size controls in a second array that starts each control only after its source (the
// interrupted one included), and the dependent comparison once every task has ended. Then
// `--evidence`: the evidence array after training, 5x5 grids split across 3 tasks each, merged by
// the report job into the files `vdm run --evidence` writes here, value for value.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml, tinyExperimentYaml } from '../helpers/tinyRun.js';
import { startSlurmCluster, type SlurmCluster } from './slurmCluster.js';

const EXPERIMENT = tinyExperimentYaml('on-slurm', [1, 2], 'controls: [step_matched]\n');

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));

let cluster: SlurmCluster;
before(async () => {
  cluster = await startSlurmCluster();
  process.env.SLURM_CONF = cluster.conf; // vdm's sbatch/squeue, and the jobs it submits, find this cluster
});
after(async () => {
  delete process.env.SLURM_CONF;
  await cluster?.stop();
});

async function until(what: string, ready: () => boolean, ms = 60_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) if (ready()) return;
  throw new Error(`timed out waiting for ${what}; squeue: ${cluster.client('squeue', ['-h', '-r']).stdout}`);
}

const queueEmpty = () => cluster.client('squeue', ['-h']).stdout.trim() === '';
const runJson = (folder: string) => JSON.parse(readFileSync(join(folder, 'run.json'), 'utf8'));
/** metrics.csv without its timing columns: what must match between two runs of one config. */
const numbers = (folder: string) =>
  readFileSync(join(folder, 'metrics.csv'), 'utf8').trim().split('\n').map((line) => line.split(',').slice(0, -2).join(','));

/** `vdm run ... --task N` as a child process, without blocking this one (it polls Slurm meanwhile). */
function runTaskHere(exp: string, task: number, cwd: string): Promise<number | null> {
  const child = spawn(process.execPath, [BIN, 'run', exp, '--task', String(task)], { cwd, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
  return new Promise((resolve) => child.once('exit', resolve));
}

test('an experiment as Slurm arrays: every run, a USR1 interrupt that requeues and resumes to the same numbers, controls after their sources, the comparison', async (t) => {
  const t0 = Date.now();
  const mark = (what: string) => t.diagnostic(`${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const output = tempDir();
  // Epochs long enough (~0.3 s) for the interrupt to land mid-run, yet the whole test stays short.
  const base = tinyConfigYaml(output).replace('epochs: 3', 'epochs: 8').replace('size: 96', 'size: 480');
  // The same experiment writing elsewhere: its task 3, run here uninterrupted, is the reference.
  const reference = join(tempDir(), 'reference');
  const dir = writeFiles({ 'base.yaml': base, 'exp.yaml': EXPERIMENT, 'ref.yaml': `${EXPERIMENT}output: ${JSON.stringify(reference)}\n` });
  const exp = join(dir, 'exp.yaml');
  const root = join(output, 'on-slurm');

  const submit = runCli(['run', exp, '--on', 'slurm', '--max-parallel', '2'], { cwd: dir });
  assert.equal(submit.code, 0, submit.stderr);
  mark('submitted');
  const referenceRun = runTaskHere(join(dir, 'ref.yaml'), 3, dir);
  const script = readFileSync(join(root, 'slurm', 'job.sh'), 'utf8');
  assert.match(script, /^#SBATCH --array=0-3%2$/m);
  assert.match(readFileSync(join(root, 'slurm', 'controls.sh'), 'utf8'), /^#SBATCH --array=4-5%2$/m);
  const [{ arrayJobId, controlsJobId, compareJobId }] = JSON.parse(readFileSync(join(root, 'slurm', 'job.json'), 'utf8')).submissions;
  assert.match(submit.stdout, new RegExp(`submitted job array ${arrayJobId}\\b`));
  // Slurm's own record: the controls wait on their source tasks (log/seed-1, log/seed-2), the comparison on both arrays.
  assert.match(cluster.client('scontrol', ['show', 'job', `${controlsJobId}_4`]).stdout, new RegExp(`Dependency=afterany:${arrayJobId}_2\\S*:${arrayJobId}_3`));
  assert.match(cluster.client('scontrol', ['show', 'job', compareJobId]).stdout, new RegExp(`Dependency=afterany:${arrayJobId}\\S*:${controlsJobId}`));

  // USR1 task 3 after its first epoch, as Slurm does ahead of a time limit: it must checkpoint,
  // requeue itself and later finish with the numbers of an uninterrupted run.
  const folder = join(root, 'log', 'seed-2');
  const task = `${arrayJobId}_3`;
  await until('the first epoch of task 3', () => existsSync(join(folder, 'metrics.csv')) && numbers(folder).length >= 2, 180_000);
  mark('task 3 past its first epoch');
  const signalled = cluster.client('scancel', ['--signal=USR1', '--batch', task]);
  assert.equal(signalled.code, 0, signalled.stderr);
  await until('task 3 to be requeued', () => /\bPENDING\b/.test(cluster.client('squeue', ['-h', '-r', '-j', task, '-o', '%T']).stdout), 60_000);
  assert.equal(runJson(folder).status, 'interrupted');
  const pending = runCli(['status', exp], { cwd: dir });
  assert.match(pending.stdout, new RegExp(`^3\\s+log/seed-2\\s+pending\\s+\\d/8\\s+${task} PENDING`, 'm'));
  assert.match(pending.stdout, new RegExp(`^5\\s+log~step/seed-2\\s+waiting for source\\s+0/8\\s+${controlsJobId}_5 PENDING \\(Dependency\\)`, 'm'));
  t.diagnostic('vdm status while task 3 waits to resume:');
  for (const line of pending.stdout.trim().split('\n')) t.diagnostic(line);
  assert.match(pending.stdout, new RegExp(`^comparison: job ${compareJobId} PENDING \\(Dependency\\)$`, 'm'));
  // A requeued batch job waits for a begin time about two minutes out; let it start now.
  cluster.client('scontrol', ['update', `JobId=${task}`, 'StartTime=now']);
  mark('task 3 requeued');

  // Six runs of which two wait for others, on 2 CPUs that a loaded machine shares.
  await until('the array and the comparison to end', queueEmpty, 300_000);
  mark('array and comparison ended');
  for (const variant of ['plain', 'log', 'log~step']) {
    for (const seed of [1, 2]) {
      const logs = join(root, 'slurm', 'logs', `${variant}-seed-${seed}`);
      assert.equal(runJson(join(root, variant, `seed-${seed}`)).status, 'completed', `${variant}/seed-${seed}: ${readFileSync(`${logs}.err`, 'utf8')}`);
      assert.match(readFileSync(`${logs}.out`, 'utf8'), /epoch 8\/8/);
    }
  }
  assert.ok(existsSync(join(root, 'report.html')), `no report: ${readFileSync(join(root, 'slurm', 'logs', 'compare.out'), 'utf8')}`);
  assert.match(readFileSync(join(root, 'slurm', 'logs', 'compare.out'), 'utf8'), /log\s+2\/2/);
  assert.match(readFileSync(join(root, 'slurm', 'logs', 'compare.out'), 'utf8'), /log~step\s+2\/2/);
  // Each control started (wrote its config) only after every run it reads (both seeds of log) had completed (its summary).
  const sourcesDone = Math.max(...[1, 2].map((seed) => statSync(join(root, 'log', `seed-${seed}`, 'summary.json')).mtimeMs));
  for (const seed of [1, 2]) {
    const control = statSync(join(root, 'log~step', `seed-${seed}`, 'config.yaml')).mtimeMs;
    assert.ok(control >= sourcesDone, `log~step/seed-${seed} started ${(sourcesDone - control).toFixed(0)} ms before its sources completed`);
  }
  const status = runCli(['status', exp], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^3\s+log\/seed-2\s+completed\s+8\/8/m);
  assert.match(status.stdout, /6 runs: 6 completed\ncomparison: \S+report\.html\n$/);
  t.diagnostic('vdm status at the end:');
  for (const line of status.stdout.trim().split('\n')) t.diagnostic(line);

  const log = readFileSync(join(root, 'slurm', 'logs', 'log-seed-2.out'), 'utf8');
  assert.match(log, /requeueing/);
  assert.match(log, /\(restart 1\)/);
  assert.match(log, /resuming/);
  assert.equal(await referenceRun, 0);
  mark('reference run ended');
  assert.deepEqual(numbers(folder), numbers(join(reference, 'on-slurm', 'log', 'seed-2')));
});

/** Every landscape CSV under a run folder, by name (the interpolation's by kind: its name holds the partner's path). */
function landscapeCsvs(runFolder: string): Map<string, string> {
  const dir = join(runFolder, 'landscape');
  const csvs = readdirSync(dir).filter((name) => name.endsWith('.csv'));
  return new Map(csvs.map((name) => [name.startsWith('between-') ? 'between' : name, readFileSync(join(dir, name), 'utf8')]));
}

test('--evidence on Slurm: an evidence array after training, 5x5 grids in 3 chunks each, merged by the report job equal to the local evidence', async (t) => {
  const t0 = Date.now();
  const mark = (what: string) => t.diagnostic(`${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const output = tempDir();
  const evidence = 'evidence: { samples: 32, steps: 5, grid: 5, between_steps: 5, iterations: 3, probes: 2 }\n';
  const experiment = tinyExperimentYaml('evidence-on-slurm', [1], evidence);
  const reference = join(tempDir(), 'reference');
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': experiment, 'ref.yaml': `${experiment}output: ${JSON.stringify(reference)}\n` });
  const exp = join(dir, 'exp.yaml');
  const root = join(output, 'evidence-on-slurm');

  const submit = runCli(['run', exp, '--on', 'slurm', '--evidence', '--evidence-chunks', '3'], { cwd: dir });
  assert.equal(submit.code, 0, submit.stderr);
  const [{ arrayJobId, evidenceJobId, compareJobId }] = JSON.parse(readFileSync(join(root, 'slurm', 'job.json'), 'utf8')).submissions;
  // 2 runs' flatness and 1-D landscape, 2 grids in 3 chunks, 1 interpolation.
  assert.match(submit.stdout, new RegExp(`\\(2 tasks, 9 evidence tasks\\)[^]*submitted evidence ${evidenceJobId} `));
  assert.match(cluster.client('scontrol', ['show', 'job', `${evidenceJobId}_0`]).stdout, new RegExp(`Dependency=afterany:${arrayJobId}_\\*`));
  assert.match(cluster.client('scontrol', ['show', 'job', compareJobId]).stdout, new RegExp(`Dependency=afterany:${evidenceJobId}_\\*\\(`));
  mark('submitted');

  await until('the training, evidence and report jobs to end', queueEmpty, 300_000);
  mark('every job ended');
  const logs = join(root, 'slurm', 'logs');
  const reportLog = readFileSync(join(logs, 'compare.out'), 'utf8');
  assert.ok(existsSync(join(root, 'report.html')), `no report: ${reportLog}`);
  for (const variant of ['plain', 'log']) {
    for (let part = 1; part <= 3; part++) {
      const log = readFileSync(join(logs, `evidence-${variant}-seed-1-2d-part${part}of3.out`), 'utf8');
      assert.match(log, /points computed \(0 already in/, log);
    }
    // Merged from the chunks, none of whose points the report job had to compute itself.
    assert.match(reportLog, new RegExp(`2-D landscape of ${variant}/seed-1 merged from 3 chunks\n`));
    assert.equal(readdirSync(join(root, variant, 'seed-1', 'landscape', 'chunks')).length, 3);
  }
  const status = runCli(['status', exp], { cwd: dir });
  assert.match(status.stdout, /^evidence: job \d+, 9 tasks: 9 ended$/m, status.stdout);
  t.diagnostic('vdm status at the end:');
  for (const line of status.stdout.trim().split('\n')) t.diagnostic(line);

  // The same trained runs, measured here in one process by `vdm run --evidence`.
  cpSync(root, join(reference, 'evidence-on-slurm'), {
    recursive: true,
    filter: (path) => !['landscape', 'flatness.json', 'slurm', 'evidence', 'comparison', 'report.html'].includes(basename(path)),
  });
  const local = runCli(['run', join(dir, 'ref.yaml'), '--evidence'], { cwd: dir });
  assert.equal(local.code, 0, local.stderr);
  mark('local evidence done');
  for (const variant of ['plain', 'log']) {
    const [cluster, here] = [root, join(reference, 'evidence-on-slurm')].map((r) => join(r, variant, 'seed-1'));
    const [fromCluster, fromHere] = [cluster, here].map(landscapeCsvs);
    assert.deepEqual([...fromCluster.keys()].sort(), [...fromHere.keys()].sort());
    for (const [name, text] of fromHere) assert.equal(fromCluster.get(name), text, `${variant}/seed-1 ${name}`);
    const figures = (folder: string) => {
      const { hessian_top_eigenvalue, hessian_trace } = JSON.parse(readFileSync(join(folder, 'flatness.json'), 'utf8'));
      return { hessian_top_eigenvalue, hessian_trace };
    };
    assert.deepEqual(figures(cluster), figures(here));
  }
  const grid = [...landscapeCsvs(join(root, 'plain', 'seed-1'))].find(([name]) => name.startsWith('2d-'))![1];
  assert.equal(grid.trim().split('\n').length, 1 + 25);
});
