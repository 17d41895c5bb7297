// The experiment runner with other processes around: a run another process holds is reported
// busy and left alone, and `--parallel` children do not outlive their parent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));

const EXPERIMENT = `experiment: exp
base: base.yaml
seeds: [1, 2]
variants:
  plain: { vdm: { name: none } }
`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 100 ms until it holds or `seconds` pass; a bound, not a timing claim. */
async function eventually(check: () => boolean, seconds: number): Promise<boolean> {
  for (let waited = 0; waited < seconds * 1000; waited += 100) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

test('vdm run leaves a run another process holds (busy) and runs the others', () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 1'), 'exp.yaml': EXPERIMENT });
  const held = join(output, 'exp', 'plain', 'seed-1');
  mkdirSync(held, { recursive: true });
  const lock = JSON.stringify({ pid: process.pid, host: hostname(), started_at: '2026-01-01T00:00:00.000Z', command: 'vdm train' });
  writeFileSync(join(held, '.lock'), lock);
  const result = runCli(['run', join(dir, 'exp.yaml'), '--no-compare']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`\\[plain/seed-1\\] busy: being written by pid ${process.pid} on host .* since 2026-01-01T00:00:00.000Z; skipped`));
  assert.deepEqual(readdirSync(held), ['.lock'], 'the held run is untouched');
  assert.equal(readFileSync(join(held, '.lock'), 'utf8'), lock);
  assert.equal(JSON.parse(readFileSync(join(output, 'exp', 'plain', 'seed-2', 'run.json'), 'utf8')).status, 'completed');
});

test('vdm run --seeds with a seed twice is one line, exit 2', () => {
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(tempDir()), 'exp.yaml': EXPERIMENT });
  const result = runCli(['run', join(dir, 'exp.yaml'), '--seeds', '1,1']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^vdm: error: --seeds lists seed 1 twice; each seed is one run\n$/);
});

test('children of vdm run --parallel stop (interrupted, lock released) when the parent is SIGKILLed', async () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 100000'), 'exp.yaml': EXPERIMENT });
  const parent = spawn(process.execPath, [BIN, 'run', join(dir, 'exp.yaml'), '--parallel', '2', '--no-compare'], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  parent.stdout.resume();
  parent.stderr.resume();
  const runs = [1, 2].map((seed) => join(output, 'exp', 'plain', `seed-${seed}`));
  const childPids = () => runs.map((run) => {
    try {
      return (JSON.parse(readFileSync(join(run, '.lock'), 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  });
  const training = () => runs.every((run) => existsSync(join(run, 'metrics.csv')));
  assert.ok(await eventually(() => childPids().every((pid) => pid !== undefined) && training(), 120), 'both children are training');
  const pids = childPids() as number[];
  assert.ok(!pids.includes(parent.pid!), 'the runs are held by the children');

  parent.kill('SIGKILL');
  assert.ok(await eventually(() => pids.every((pid) => !isAlive(pid)), 30), `children ${pids.join(', ')} still running`);
  for (const run of runs) {
    assert.equal(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).status, 'interrupted', run);
    assert.ok(!existsSync(join(run, '.lock')), `${run}: lock released`);
  }
});
