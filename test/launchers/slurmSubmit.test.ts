// What `vdm run --on slurm` asks sbatch for (against stand-ins on PATH: fakeSlurm.ts): the
// controls' array after each source task, the comparison after both, none when --only leaves no
// baseline, every submission kept in job.json; and what `vdm status` makes of the answers.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../src/commands/run.js';
import { statusCommand } from '../../src/commands/status.js';
import { UsageError } from '../../src/errors.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml, tinyExperimentYaml } from '../helpers/tinyRun.js';
import { fakeSlurm, type FakeSlurm } from './fakeSlurm.js';

let slurm: FakeSlurm;
let restore: () => void;
beforeEach(() => {
  slurm = fakeSlurm();
  restore = slurm.install();
});
afterEach(() => restore());

/** Tasks: 0 plain/seed-1, 1 plain/seed-2, 2 log/seed-1, 3 log/seed-2, 4 log~step/seed-1, 5 log~step/seed-2. */
function grid() {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': tinyExperimentYaml('grid', [1, 2], 'controls: [step_matched]\n') });
  const root = join(output, 'grid');
  const record = (label: string, status: string) => {
    const folder = join(root, ...label.split('/'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'run.json'), JSON.stringify({ status }));
  };
  return { exp: join(dir, 'exp.yaml'), root, record, submissions: () => JSON.parse(readFileSync(join(root, 'slurm', 'job.json'), 'utf8')).submissions };
}

async function submit(exp: string, flags: Record<string, unknown> = {}): Promise<string[]> {
  const lines: string[] = [];
  await runCommand(exp, { on: 'slurm', ...flags }, (line) => lines.push(line));
  return lines;
}

test('the controls are a second array that starts after each of its source tasks; the comparison after both arrays', async () => {
  const { exp, root, submissions } = grid();
  const lines = await submit(exp);
  const [runs, controls, compare] = slurm.sbatchCalls();
  assert.deepEqual(runs, ['--parsable', join(root, 'slurm', 'job.sh')]);
  assert.deepEqual(controls, ['--parsable', '--dependency=afterany:101_2:101_3', join(root, 'slurm', 'controls.sh')]);
  assert.deepEqual(compare, ['--parsable', '--dependency=afterany:101:102', join(root, 'slurm', 'compare.sh')]);
  assert.match(readFileSync(join(root, 'slurm', 'job.sh'), 'utf8'), /^#SBATCH --array=0-3$/m);
  assert.match(readFileSync(join(root, 'slurm', 'controls.sh'), 'utf8'), /^#SBATCH --array=4-5$/m);
  assert.match(lines.join('\n'), /submitted job array 101\nsubmitted controls 102 \(each after its source run's task\)\nsubmitted comparison 103/);
  const [recorded] = submissions();
  assert.deepEqual(
    { arrayJobId: recorded.arrayJobId, controlsJobId: recorded.controlsJobId, compareJobId: recorded.compareJobId },
    { arrayJobId: '101', controlsJobId: '102', compareJobId: '103' },
  );
  assert.deepEqual(recorded.tasks.map((t: { index: number; jobId: string }) => `${t.index}:${t.jobId}`), ['0:101', '1:101', '2:101', '3:101', '4:102', '5:102']);

  // Status while the controls wait on their sources, one of which failed before writing anything.
  slurm.queue('101', ['2|RUNNING|None']);
  slurm.queue('102', ['4|PENDING|Dependency', '5|PENDING|Dependency']);
  slurm.queue('103', ['PENDING|Dependency']);
  writeFileSync(join(root, 'slurm', 'logs', 'log-seed-2.exit'), '101_3 2 2026-01-01T00:00:00Z\n');
  writeFileSync(join(root, 'slurm', 'logs', 'plain-seed-2.exit'), '99_1 2 2026-01-01T00:00:00Z\n'); // an older job's: not this one's
  const table = statusCommand(exp);
  assert.match(table, /^1\s+plain\/seed-2\s+pending\s+0\/3\s+101_1\s/m);
  assert.match(table, /^2\s+log\/seed-1\s+running\s+0\/3\s+101_2 RUNNING\s/m);
  assert.match(table, /^3\s+log\/seed-2\s+failed\s+0\/3\s+101_3 exited 2\s/m);
  assert.match(table, /^4\s+log~step\/seed-1\s+waiting for source\s+0\/3\s+102_4 PENDING \(Dependency\)\s/m);
  assert.match(table, /6 runs: 2 pending, 1 running, 1 failed, 2 waiting for source\ncomparison: job 103 PENDING \(Dependency\)$/);
});

test('a resubmission appends to job.json; --only a control waits on its source still queued from before, and no comparison without a baseline', async () => {
  const { exp, submissions } = grid();
  await submit(exp, { only: ['plain', 'log'] });
  assert.equal(slurm.sbatchCalls().length, 2, 'runs and comparison: no controls array');
  slurm.queue('101', ['2|RUNNING|None', '3|PENDING|Priority']);
  const lines = await submit(exp, { only: ['log~step'] });
  const calls = slurm.sbatchCalls();
  assert.equal(calls.length, 3, 'the controls only: no comparison');
  assert.equal(calls[2][1], '--dependency=afterany:101_2:101_3');
  assert.match(lines.join('\n'), /no comparison scheduled: --only leaves out the baseline 'plain' and none of its runs has completed; compare later with: vdm compare \S+grid/);
  const recorded = submissions();
  assert.equal(recorded.length, 2, 'both submissions kept');
  assert.deepEqual(recorded[0].tasks.map((t: { index: number }) => t.index), [0, 1, 2, 3]);
  assert.deepEqual(recorded[1].tasks.map((t: { index: number; jobId: string }) => `${t.index}:${t.jobId}`), ['4:103', '5:103']);
});

test('--only a control whose source neither completed nor is queued is refused before anything is submitted', async () => {
  const { exp, root, record } = grid();
  record('log/seed-1', 'completed');
  await assert.rejects(submit(exp, { only: ['log~step'] }), (e: unknown) =>
    e instanceof UsageError && /^log~step\/seed-1 reads log\/seed-2's steps\.csv, but log\/seed-2 has not completed and is not queued: add --only log\/seed-2, or launch it first$/.test(e.message));
  assert.equal(slurm.sbatchCalls().length, 0);
  assert.ok(!existsSync(join(root, 'slurm')), 'no scripts written');
  // With both sources completed the controls need no dependency at all.
  record('log/seed-2', 'completed');
  record('plain/seed-1', 'completed');
  await submit(exp, { only: ['log~step'] });
  assert.deepEqual(slurm.sbatchCalls()[0], ['--parsable', join(root, 'slurm', 'controls.sh')]);
  assert.equal(slurm.sbatchCalls()[1][1], '--dependency=afterany:101', 'a completed baseline: the comparison is scheduled');
});

test('--emit with controls says in which order to submit and with which dependency', async () => {
  const { exp, root } = grid();
  const lines = await submit(exp, { emit: true });
  assert.equal(slurm.sbatchCalls().length, 0);
  const dir = join(root, 'slurm');
  assert.match(lines.join('\n'), new RegExp(`submit with: sbatch ${dir}/job.sh, then sbatch --dependency=afterany:<its job id>_2:<its job id>_3 ${dir}/controls.sh, then sbatch --dependency=afterany:<job ids above> ${dir}/compare.sh`));
});

test('a job.json of the earlier form (one submission) still reads', async () => {
  const { exp, root } = grid();
  mkdirSync(join(root, 'slurm'), { recursive: true });
  writeFileSync(join(root, 'slurm', 'job.json'), JSON.stringify({ arrayJobId: '7', compareJobId: '8', submittedAt: 'x', tasks: [{ index: 0, run: 'plain/seed-1' }] }));
  slurm.queue('7', ['0|PENDING|Priority']);
  assert.match(statusCommand(exp), /^0\s+plain\/seed-1\s+pending\s+0\/3\s+7_0 PENDING \(Priority\)/m);
  await submit(exp, { only: ['plain/seed-2'] });
  const submissions = JSON.parse(readFileSync(join(root, 'slurm', 'job.json'), 'utf8')).submissions;
  assert.deepEqual(submissions.map((s: { arrayJobId: string }) => s.arrayJobId), ['7', '101']);
});

test('--evidence: an evidence array after both training arrays, 2-D grids in --evidence-chunks tasks, the report after it', async () => {
  const { exp, root, submissions } = grid();
  const lines = await submit(exp, { evidence: 'grid=5,samples=32', evidenceChunks: 2 });
  const [, , evidence, report] = slurm.sbatchCalls();
  const dir = join(root, 'slurm');
  assert.deepEqual(evidence, ['--parsable', '--dependency=afterany:101:102', join(dir, 'evidence.sh')]);
  assert.deepEqual(report, ['--parsable', '--dependency=afterany:103', join(dir, 'compare.sh')]);
  // 6 runs' flatness and 1-D landscape, 3 first-seed 2-D grids in 2 chunks each, 2 interpolations from the baseline.
  const script = readFileSync(join(dir, 'evidence.sh'), 'utf8');
  assert.match(script, /^#SBATCH --array=0-13$/m);
  assert.match(script, /^runs=\(evidence-plain-seed-1 .* evidence-log~step-seed-1-2d-part2of2 evidence-plain-to-log-seed-1 evidence-plain-to-log~step-seed-1\)$/m);
  assert.match(script, /run \S+exp\.yaml --evidence=grid=5,samples=32 --evidence-chunks 2 --evidence-task "\$SLURM_ARRAY_TASK_ID" &$/m);
  assert.match(readFileSync(join(dir, 'compare.sh'), 'utf8'), /run \S+exp\.yaml --evidence=grid=5,samples=32 --evidence-chunks 2 --evidence-report$/m);
  assert.match(lines.join('\n'), /\(6 tasks, 14 evidence tasks\)[^]*submitted evidence 103 \(14 tasks, after training\)\nsubmitted evidence report 104/);
  const [recorded] = submissions();
  assert.equal(recorded.evidenceJobId, '103');
  assert.equal(recorded.evidenceTasks.length, 14);
  slurm.queue('103', ['0|RUNNING|None', ...Array.from({ length: 12 }, (_, i) => `${i + 2}|PENDING|JobArrayTaskLimit`)]);
  writeFileSync(join(dir, 'logs', 'evidence-plain-seed-2.exit'), '103_1 0 2026-01-01T00:00:00Z\n');
  assert.match(statusCommand(exp), /^evidence: job 103, 14 tasks: 1 RUNNING, 1 ended, 12 PENDING \(JobArrayTaskLimit\)$/m);
  // Resubmitted without --evidence: no stale evidence.sh is left to look like part of it.
  await submit(exp, { only: ['plain'] });
  assert.ok(!existsSync(join(dir, 'evidence.sh')));
});

test('--evidence flags: each misuse is one line naming the flag, before anything is written', async () => {
  const { exp, root } = grid();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ evidenceChunks: 2 }, /^--evidence-chunks goes with --evidence$/],
    [{ on: undefined, evidence: true, evidenceChunks: 2 }, /^--evidence-chunks splits each 2-D grid across Slurm array tasks: it goes with --on slurm --evidence/],
    [{ evidence: 'grid=5', evidenceChunks: 6 }, /^--evidence-chunks 6: the 5×5 grid has 5 rows, so 1 to 5 chunks/],
    [{ evidence: true, evidenceChunks: 12 }, /^--evidence-chunks 12: the 11×11 grid has 11 rows/],
    [{ on: 'k8s', emit: true, evidence: true }, /^--evidence with --on k8s: evidence runs as cluster tasks on Slurm only \(--on slurm\)/],
    [{ on: undefined, evidence: true, evidenceTask: 1, evidenceReport: true }, /^--evidence-task and --evidence-report are two different jobs/],
    [{ on: undefined, evidence: true, evidenceTask: 1, only: ['plain'] }, /^--evidence-task is what a Slurm evidence job runs here; it cannot be combined with --on, --task or --only$/],
    [{ on: undefined, evidenceReport: true }, /^--evidence-report goes with --evidence$/],
    [{ on: undefined, evidence: true, evidenceTask: 99 }, /^--evidence-task 99: the evidence of grid has tasks 0-10$/],
  ];
  for (const [flags, message] of cases) {
    await assert.rejects(submit(exp, flags), (e: unknown) => e instanceof UsageError && message.test(e.message), JSON.stringify(flags));
  }
  assert.equal(slurm.sbatchCalls().length, 0);
  assert.ok(!existsSync(join(root, 'slurm')), 'no scripts written');
});
