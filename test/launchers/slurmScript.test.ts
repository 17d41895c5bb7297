// job.sh as bash runs it on a node, with stand-ins for node (VDM_NODE) and scontrol: the setup
// hook runs first, node is found at run time, a failure before vdm starts leaves an exit record
// that `vdm status` counts as failed, and self-requeue stops at --max-requeues.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../src/commands/run.js';
import { statusCommand } from '../../src/commands/status.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml, tinyExperimentYaml } from '../helpers/tinyRun.js';
import { fakeSlurm } from './fakeSlurm.js';

/** A node that says what it was asked to run, then trains until TERM (exit 130, as vdm does); the trap is set before it says it started. */
const FAKE_NODE = `#!/bin/bash
trap 'exit 130' TERM
echo "fake node: $*"
touch "$FAKE_SLURM/started"
while :; do sleep 0.05; done
`;

const BASH = execFileSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();

/** A PATH with what job.sh needs around vdm (date, hostname) and no node. */
function pathWithoutNode(): string {
  const dir = tempDir('vdm-path-');
  for (const tool of ['date', 'hostname']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(dir, tool));
  return dir;
}

async function emitted(flags: Record<string, unknown>) {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': tinyExperimentYaml('grid', [1]) });
  await runCommand(join(dir, 'exp.yaml'), { on: 'slurm', emit: true, ...flags }, () => undefined);
  const root = join(output, 'grid');
  return { exp: join(dir, 'exp.yaml'), root, script: join(root, 'slurm', 'job.sh'), logs: join(root, 'slurm', 'logs') };
}

/** Runs job.sh as array task 1 (log/seed-1) of job 77; `usr1`: signal it once vdm has started. */
async function runTask(script: string, env: Record<string, string | undefined>, usr1 = false): Promise<number | null> {
  const child = spawn(BASH, [script], { env: { ...env, SLURM_ARRAY_JOB_ID: '77', SLURM_ARRAY_TASK_ID: '1' }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (usr1) {
    for (let i = 0; i < 200 && !existsSync(join(env.FAKE_SLURM!, 'started')); i++) await sleep(25);
    child.kill('SIGUSR1');
  }
  return exited;
}

function fakes() {
  const slurm = fakeSlurm();
  const bin = join(slurm.dir, 'node-bin');
  mkdirSync(bin);
  const node = join(bin, 'node');
  writeFileSync(node, FAKE_NODE);
  chmodSync(node, 0o755);
  return { slurm, env: { PATH: `${slurm.dir}:/usr/bin:/bin`, FAKE_SLURM: slurm.dir, VDM_NODE: node } };
}

test('job.sh: the setup line runs first, then vdm runs its task; USR1 requeues it while under --max-requeues', async () => {
  const { script, logs } = await emitted({ setup: ['echo "setup ran: $SLURM_ARRAY_TASK_ID"'], maxRequeues: 2 });
  const { slurm, env } = fakes();
  assert.equal(await runTask(script, { ...env, SLURM_RESTART_COUNT: '1' }, true), 0);
  const out = readFileSync(join(logs, 'log-seed-1.out'), 'utf8');
  assert.match(out, /setup ran: 1\nfake node: \S+bin\/vdm run \S+exp\.yaml --task 1\n/);
  assert.match(out, /vdm: interrupted \(exit 130\); requeueing 77_1/);
  assert.deepEqual(slurm.scontrolCalls(), ['requeue 77_1']);
});

test('job.sh: at --max-requeues an interrupted task stops for good and says how to go on', async () => {
  const { script, logs } = await emitted({ maxRequeues: 2 });
  const { slurm, env } = fakes();
  assert.equal(await runTask(script, { ...env, SLURM_RESTART_COUNT: '2' }, true), 130);
  assert.match(readFileSync(join(logs, 'log-seed-1.out'), 'utf8'), /after 2 requeues \(--max-requeues 2\); not requeueing: resubmit to resume/);
  assert.deepEqual(slurm.scontrolCalls(), []);
  assert.match(readFileSync(join(logs, 'log-seed-1.exit'), 'utf8'), /^77_1 130 /);
});

const FAILURES: [string, Record<string, unknown>, (env: Record<string, string>) => Record<string, string | undefined>, RegExp][] = [
  ['no node on the node', {}, (env) => ({ ...env, VDM_NODE: undefined, PATH: pathWithoutNode() }), /vdm: no node on PATH on \S+: load it with --setup 'module load nodejs' \(or similar\), or set VDM_NODE/],
  ['a setup line that fails', { setup: ['module load nodejs/99'] }, (env) => env, /vdm: setup failed \(exit 127\): module load nodejs\/99/],
];
for (const [title, flags, envOf, message] of FAILURES) {
  test(`job.sh: ${title} fails before vdm starts, and vdm status counts the task failed, not pending`, async () => {
    const { script, logs, exp, root } = await emitted(flags);
    const { env } = fakes();
    assert.equal(await runTask(script, envOf(env)), 2);
    assert.match(readFileSync(join(logs, 'log-seed-1.err'), 'utf8'), message);
    assert.ok(!existsSync(join(root, 'log')), 'nothing of the run written');
    // As if submitted as job 77: job.json names it, squeue and sacct no longer know it.
    writeFileSync(join(root, 'slurm', 'job.json'), JSON.stringify({ submissions: [{ submittedAt: 'x', arrayJobId: '77', tasks: [{ index: 1, run: 'log/seed-1', jobId: '77' }] }] }));
    const restore = fakeSlurm().install();
    try {
      assert.match(statusCommand(exp), /^1\s+log\/seed-1\s+failed\s+0\/3\s+77_1 exited 2\s/m);
    } finally {
      restore();
    }
  });
}
