// The command line as a user meets it: exit codes, one-line errors, and result folders that
// are never clobbered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
  assert.match(lines[0], pattern);
  assert.ok(!/\n\s+at /.test(stderr), 'no stack trace');
}

test('--version and --help succeed', () => {
  const v = runCli(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), version);
  const help = runCli(['--help']);
  assert.equal(help.code, 0);
  for (const command of ['train', 'list']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
  assert.equal(runCli(['train', '--help']).code, 0);
});

test('bad usage exits 2', () => {
  assert.equal(runCli(['frobnicate']).code, 2);
  assert.equal(runCli(['train']).code, 2, 'missing --config');
  const kind = runCli(['list', 'widgets']);
  assert.equal(kind.code, 2);
  assertOneLineError(kind.stderr, /^vdm: error: unknown kind 'widgets'; expected one of models, datasets, optimizers, schedules, vdms$/);
  const badValue = runCli(['data', 'info', 'synthetic', '--set', 'shape=[1,2']);
  assert.equal(badValue.code, 2);
  assertOneLineError(badValue.stderr, /^vdm: error: --set 'shape=\[1,2': the value is not YAML \(Flow sequence must end with a \]/);
  const badData = runCli(['data', 'fetch', 'cifar11']);
  assert.equal(badData.code, 2);
  assertOneLineError(badData.stderr, /^vdm: error: unknown dataset 'cifar11'; did you mean 'cifar10'\?/);
});

test('a bad config exits 2 with one located line and no stack trace', () => {
  const dir = writeFiles({ 'bad.yaml': tinyConfigYaml('results').replace('lr: 0.05', 'lr: "fast"') });
  const result = runCli(['train', '--config', join(dir, 'bad.yaml')]);
  assert.equal(result.code, 2);
  assertOneLineError(result.stderr, /^vdm: error: .*bad\.yaml: optimizer\.lr \(line 8\): expected number, got "fast"$/);
});

test('missing data exits 2 naming the files and the fetch command', () => {
  const output = tempDir();
  const dir = writeFiles({ 'c.yaml': tinyConfigYaml(output).replace(/dataset: .*/, `dataset: { name: cifar10, root: ${JSON.stringify(join(output, 'nodata'))} }`) });
  const result = runCli(['train', '-c', join(dir, 'c.yaml')]);
  assert.equal(result.code, 2);
  assertOneLineError(result.stderr, /^vdm: error: cifar10 not found: looked for .*vdm data fetch cifar10/);
  assert.ok(!existsSync(join(output, 'tiny')), 'no run folder for a run that never started');
});

test('train writes the run folder; a completed run is kept unless --force', () => {
  const output = tempDir();
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(output) });
  const first = runCli(['train', '-c', join(dir, 'tiny.yaml')]);
  assert.equal(first.code, 0, first.stderr);
  const runDir = join(output, 'tiny', 'seed-7');
  for (const file of ['metrics.csv', 'config.yaml', 'run.json', 'summary.json']) assert.ok(existsSync(join(runDir, file)), file);
  assert.match(first.stdout, /^backend: cpu /m);
  assert.equal(readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').length, 4, 'header + 3 epochs');
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'completed');
  assert.equal(run.backend, 'cpu');
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(summary.epochs_completed, 3);

  const metricsBefore = readFileSync(join(runDir, 'metrics.csv'), 'utf8');
  const again = runCli(['train', '-c', join(dir, 'tiny.yaml')]);
  assert.equal(again.code, 2);
  assertOneLineError(again.stderr, /already holds a completed run; pass --force/);
  assert.equal(readFileSync(join(runDir, 'metrics.csv'), 'utf8'), metricsBefore, 'earlier results intact');

  // --name keeps the override in this folder (an override alone would give the run its own).
  const forced = runCli(['train', '-c', join(dir, 'tiny.yaml'), '--force', '--set', 'epochs=1', '--name', 'tiny']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').length, 2);
});

test('a diverging run exits 1 with status diverged', () => {
  const output = tempDir();
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(output) });
  const result = runCli(['train', '-c', join(dir, 'tiny.yaml'), '--set', 'optimizer.lr=1e12', '--name', 'tiny']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^vdm: error: training diverged: loss is (NaN|Infinity) at epoch 1/m);
  const run = JSON.parse(readFileSync(join(output, 'tiny', 'seed-7', 'run.json'), 'utf8'));
  assert.equal(run.status, 'diverged');
  assert.match(run.message, /diverged/);
});

test('list shows every kind with descriptions and defaults', () => {
  const result = runCli(['list']);
  assert.equal(result.code, 0);
  for (const heading of ['models:', 'datasets:', 'optimizers:', 'schedules:', 'vdms:']) assert.ok(result.stdout.includes(heading), heading);
  const vdms = runCli(['list', 'vdms']);
  assert.match(vdms.stdout, /log\s+.*\n\s+phi\(L\) = a\*log\(1 \+ L\/b\);  phi'\(L\) = a\/\(b \+ L\)\n\s+defaults: a=1 b=1/);
});

test('Ctrl-C stops a run cleanly: status interrupted, exit 130, finished epochs kept', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const output = tempDir();
  const dir = writeFiles({ 'long.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 500') });
  const bin = fileURLToPath(new URL('../../bin/vdm', import.meta.url));
  const child = spawn(process.execPath, [bin, 'train', '-c', join(dir, 'long.yaml')], { env: { ...process.env, CI: 'true' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (/^epoch 2\//m.test(stdout) && child.exitCode === null) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /vdm: error: interrupted in epoch \d+, batch \d+/);
  const run = JSON.parse(readFileSync(join(output, 'tiny', 'seed-7', 'run.json'), 'utf8'));
  assert.equal(run.status, 'interrupted');
  const rows = readFileSync(join(output, 'tiny', 'seed-7', 'metrics.csv'), 'utf8').trim().split('\n').length - 1;
  assert.ok(rows >= 2 && rows < 500, `${rows} epochs kept`);
});

test('the smoke config (ResNet-20, 100 classes, wasm) trains end to end', () => {
  const output = tempDir();
  const result = runCli(['train', '-c', 'configs/smoke.yaml', '--set', `output=${output}`]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^backend: wasm /m);
  const lines = readFileSync(join(output, 'smoke', 'seed-1', 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'epoch,lr,train_loss,train_acc,test_loss,test_acc,test_top5,deformed_loss,grad_scale,epoch_seconds,images_per_s');
  assert.equal(lines.length, 2);
  assert.ok(Number.isFinite(Number(lines[1].split(',')[2])), 'finite training loss');
});
