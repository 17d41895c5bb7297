// The real `bin/vdm train` in a child process, stopped as a user or the system would: Ctrl-C
// mid-epoch, a second Ctrl-C, SIGKILL mid-epoch and SIGKILL between a checkpoint's steps. Each
// ends with a resumable run folder, and resuming writes the uninterrupted run's metrics.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/backend/resolve.js';
import { trainRun } from '../../src/run/trainRun.js';
import { loadRunConfig } from '../../src/config/index.js';
import { tempDir, writeFiles } from '../helpers/files.js';

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));

// 16 steps per epoch of a few tens of milliseconds each: long enough to stop inside an epoch.
const CONFIG = `name: sig
seed: 3
backend: cpu
epochs: 2
model: { name: mlp, hidden: [256] }
dataset: { name: synthetic, shape: [16, 16, 3], classes: 4, size: 512, test_size: 64, batch_size: 32, noise: 0.9 }
optimizer: { name: sgd, lr: 0.02, momentum: 0.9 }
vdm: { name: log }
`;
// One step of about a second: two signals can arrive within it.
const SLOW_STEP = ['model={name: mlp, hidden: [1024]}', 'dataset.size=256', 'dataset.batch_size=64', 'epochs=1'];

interface Child {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

function startTrain(configFile: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [BIN, 'train', '-c', configFile, ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { stdout: () => stdout, stderr: () => stderr, exited, kill: (signal) => void child.kill(signal) };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** steps.csv's data rows as [step, epoch, batch] (complete lines only). */
function stepRows(runDir: string): number[][] {
  const path = join(runDir, 'steps.csv');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').slice(1, -1).map((line) => line.split(',').slice(0, 3).map(Number));
}

const withoutTiming = (path: string, timing: number) => readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, -timing).join(','));
const runJson = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));

let configFile: string;
let reference: string;

before(async () => {
  configFile = join(writeFiles({ 'sig.yaml': CONFIG }), 'sig.yaml');
  await selectBackend('cpu');
  const { folder } = await trainRun({ config: loadRunConfig(configFile, [`output=${tempDir()}`]), plain: true, log: () => {} });
  reference = folder.dir;
});

/** Resumes the run in a child and checks it ends with the uninterrupted run's metrics and steps. */
async function resumeAndCompare(output: string, runDir: string, expectLine: RegExp): Promise<void> {
  const resumed = startTrain(configFile, [`--set`, `output=${output}`, '--resume']);
  const { code } = await resumed.exited;
  assert.equal(code, 0, resumed.stderr());
  assert.match(resumed.stdout(), expectLine);
  assert.equal(runJson(runDir).status, 'completed');
  assert.deepEqual(withoutTiming(join(runDir, 'metrics.csv'), 2), withoutTiming(join(reference, 'metrics.csv'), 2));
  assert.deepEqual(withoutTiming(join(runDir, 'steps.csv'), 2), withoutTiming(join(reference, 'steps.csv'), 2));
}

test('Ctrl-C mid-epoch: stops after the current step, saves it, exits 130 saying how to resume; --resume matches the uninterrupted run', async () => {
  const output = tempDir();
  const runDir = join(output, 'sig', 'seed-3');
  const child = startTrain(configFile, ['--set', `output=${output}`]);
  const rowsAtSignal = await waitFor('4 steps', () => (stepRows(runDir).length >= 4 ? stepRows(runDir).length : undefined));
  const signalled = Date.now();
  child.kill('SIGINT');
  const { code } = await child.exited;
  const seconds = (Date.now() - signalled) / 1000;
  assert.equal(code, 130, child.stderr());
  const rows = stepRows(runDir);
  const [, epoch, batch] = rows.at(-1)!;
  assert.ok(epoch === 1 && batch < 16, `stopped inside epoch 1, not at its end (last step: epoch ${epoch}, batch ${batch})`);
  assert.ok(rows.length <= rowsAtSignal + 2, `stopped within a step of the signal: ${rowsAtSignal} rows then, ${rows.length} at exit`);
  const pointer = JSON.parse(readFileSync(join(runDir, 'checkpoint.json'), 'utf8'));
  assert.deepEqual([pointer.epoch, pointer.batch], [0, batch], 'the checkpoint is of the last step taken');
  assert.equal(runJson(runDir).status, 'interrupted');
  assert.match(child.stderr(), new RegExp(`interrupted in epoch 1, batch ${batch} of 16 \\(stopped after that step\\); saved in .*; continue with: vdm train -c ${configFile} --set "output=${output}" --resume`));
  process.stderr.write(`# exit ${seconds.toFixed(2)} s after SIGINT\n`);
  await resumeAndCompare(output, runDir, /resuming in epoch 1 after batch \d+ from/);
});

test('a second Ctrl-C quits at once, and run.json says interrupted, never running', async () => {
  const output = tempDir();
  const runDir = join(output, 'sig', 'seed-3');
  const child = startTrain(configFile, ['--set', `output=${output}`, ...SLOW_STEP.flatMap((s) => ['--set', s]), '--name', 'sig']);
  await waitFor('the first step', () => (stepRows(runDir).length >= 1 ? true : undefined));
  child.kill('SIGINT'); // both arrive during the second step, whose end is the first chance to handle them
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill('SIGINT');
  const { code } = await child.exited;
  assert.equal(code, 130, child.stderr());
  const run = runJson(runDir);
  assert.equal(run.status, 'interrupted');
  assert.equal(run.message, 'quit at once (second interrupt)');
  assert.ok(run.ended_at);
});

test('SIGKILL mid-epoch leaves a run that resumes from its last checkpoint to the uninterrupted metrics', async () => {
  const output = tempDir();
  const runDir = join(output, 'sig', 'seed-3');
  const child = startTrain(configFile, ['--set', `output=${output}`]);
  await waitFor('a step of epoch 2', () => (stepRows(runDir).some(([, epoch]) => epoch === 2) ? true : undefined));
  child.kill('SIGKILL');
  assert.equal((await child.exited).signal, 'SIGKILL');
  assert.equal(runJson(runDir).status, 'running');
  await resumeAndCompare(output, runDir, /resuming after epoch 1/);
});

test('SIGKILL between writing the pointer and switching it (second save) leaves a resumable run', async () => {
  const output = tempDir();
  const runDir = join(output, 'sig', 'seed-3');
  const child = startTrain(configFile, ['--set', `output=${output}`], { VDM_TEST_CRASH_AT: 'pointer-written:2' });
  assert.equal((await child.exited).signal, 'SIGKILL', child.stderr());
  assert.equal(JSON.parse(readFileSync(join(runDir, 'checkpoint.json'), 'utf8')).epoch, 1, 'the pointer still names the first epoch\'s checkpoint');
  await resumeAndCompare(output, runDir, /resuming after epoch 1/);
  assert.deepEqual(readdirSync(runDir).filter((f) => /tmp-|old-/.test(f)), [], 'no temporaries left');
});
