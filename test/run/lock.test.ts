// The run folder lock: one holder at a time, in one process and across two real `vdm train`s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunBusyError, UsageError } from '../../src/errors.js';
import { acquireRunLock, lockHolder, LOCK_FILE, schedulerTask } from '../../src/run/lock.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));
const quiet = () => {};

test('a lock records its holder, refuses a second taker and goes on release', () => {
  const dir = join(tempDir(), 'exp', 'seed-1');
  const lock = acquireRunLock(dir, 'vdm test', quiet);
  const saved = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
  assert.deepEqual([saved.pid, saved.host, saved.command], [process.pid, hostname(), 'vdm test']);
  assert.ok(!Number.isNaN(Date.parse(saved.started_at)));
  assert.throws(() => acquireRunLock(dir, 'vdm test', quiet), RunBusyError, 'one holder, even within a process');
  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
  assert.ok(!existsSync(join(dir, '..')), 'the folders made only for the lock are gone');
});

test('release keeps a lock that is no longer ours, and a kept folder with files', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'metrics.csv'), 'epoch\n');
  const lock = acquireRunLock(dir, 'vdm test', quiet);
  const other = `${JSON.stringify({ pid: 1, host: 'other', started_at: 'then', command: 'x' })}\n`;
  writeFileSync(join(dir, LOCK_FILE), other);
  lock.release();
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), other);
  assert.ok(existsSync(join(dir, 'metrics.csv')));
});

test('lockHolder names a live holder only', () => {
  const dir = tempDir();
  assert.equal(lockHolder(dir), undefined);
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const holder = (pid: number, host = hostname()) => JSON.stringify({ pid, host, started_at: 'then', command: 'x' });
  writeFileSync(join(dir, LOCK_FILE), holder(gone));
  assert.equal(lockHolder(dir), undefined, 'a dead holder holds nothing');
  writeFileSync(join(dir, LOCK_FILE), holder(process.ppid));
  assert.equal(lockHolder(dir)?.pid, process.ppid);
  writeFileSync(join(dir, LOCK_FILE), holder(gone, 'other-host'));
  assert.equal(lockHolder(dir)?.host, 'other-host', 'on another host, liveness cannot be known');
  writeFileSync(join(dir, LOCK_FILE), holder(0));
  assert.throws(() => acquireRunLock(dir, 'vdm test', quiet), /is not a vdm lock file/, 'pid 0 names no process');
});

test('a dead holder is taken over with a warning; a file in the way of the folder is refused', () => {
  const dir = tempDir();
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: gone, host: hostname(), started_at: 'then', command: 'x' }));
  const lines: string[] = [];
  const lock = acquireRunLock(dir, 'vdm test', (line) => void lines.push(line));
  assert.match(lines.join('\n'), new RegExp(`^warning: took over the lock of .* from pid ${gone} \\(since then\\), which is no longer running$`));
  lock.release();

  const root = tempDir();
  mkdirSync(join(root, 'a'));
  writeFileSync(join(root, 'a', 'b'), 'a file');
  assert.throws(() => acquireRunLock(join(root, 'a', 'b', 'seed-1'), 'vdm test', quiet), (e: unknown) => e instanceof UsageError && /a[\\/]b is a file where a folder should be/.test((e as Error).message));
});

test('two writers: the second vdm train is refused naming the first, which goes on uncorrupted', async () => {
  const output = tempDir();
  const config = join(tempDir(), 'tiny.yaml');
  writeFileSync(config, tinyConfigYaml(output).replace('epochs: 3', 'epochs: 100000'));
  const first = spawn(process.execPath, [BIN, 'train', '-c', config], { env: { ...process.env, CI: 'true' } });
  let stdout = '';
  let stderr = '';
  first.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
  const training = new Promise<void>((started) => {
    first.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (/^epoch 2\//m.test(stdout)) started();
    });
  });
  const closed = new Promise<number | null>((done) => first.on('close', done));
  await training;

  const second = runCli(['train', '-c', config]);
  const run = join(output, 'tiny', 'seed-7');
  assert.equal(second.code, 2, second.stderr);
  const lines = second.stderr.trim().split('\n');
  assert.equal(lines.length, 1, second.stderr);
  assert.match(lines[0]!, new RegExp(`^vdm: error: .*seed-7 is being written by pid ${first.pid} on host .* since .*; wait for it or stop it$`));

  first.kill('SIGINT');
  assert.equal(await closed, 130, stderr);
  const epochs = readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((row) => Number(row.split(',')[0]));
  assert.deepEqual(epochs, epochs.map((_, i) => i + 1), 'one writer: epochs 1..n, each once');
  assert.equal(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).status, 'interrupted');
  assert.ok(!existsSync(join(run, LOCK_FILE)));
});

test("a requeued scheduler task takes over its earlier attempt's lock, even from another node", () => {
  const dir = tempDir();
  const lockOf = (task: string | undefined) =>
    JSON.stringify({ pid: 4242, host: 'node-07', started_at: 'then', command: 'vdm run', ...(task ? { task } : {}) });
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { SLURM_ARRAY_JOB_ID: '5', SLURM_ARRAY_TASK_ID: '3' });
    assert.equal(schedulerTask(), 'slurm/5_3');
    writeFileSync(join(dir, LOCK_FILE), lockOf('slurm/5_2'));
    assert.throws(() => acquireRunLock(dir, 'vdm run', quiet), RunBusyError, 'another task of the array');
    writeFileSync(join(dir, LOCK_FILE), lockOf(undefined));
    assert.throws(() => acquireRunLock(dir, 'vdm run', quiet), RunBusyError, 'a process on another host outside any scheduler');
    writeFileSync(join(dir, LOCK_FILE), lockOf('slurm/5_3'));
    const lines: string[] = [];
    const lock = acquireRunLock(dir, 'vdm run', (line) => lines.push(line));
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).task, 'slurm/5_3');
    assert.match(lines.join('\n'), /took over the lock .* from pid 4242/);
    lock.release();
    process.env.VDM_TASK_ID = 'k8s/vdm-exp/3';
    assert.equal(schedulerTask(), 'k8s/vdm-exp/3', 'the Kubernetes manifest names the task itself');
  } finally {
    for (const key of ['SLURM_ARRAY_JOB_ID', 'SLURM_ARRAY_TASK_ID', 'VDM_TASK_ID']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
});
