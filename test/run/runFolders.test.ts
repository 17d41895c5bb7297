// Run folders as a user meets them through `vdm train`: what is refused (one line, exit 2, nothing
// changed), what is taken over, and how a file-system error ends a run (one line, exit 1).
import { before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { hasCheckpoint } from '../../src/train/checkpoint.js';
import { trainRun } from '../../src/run/trainRun.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));
const SMALL = ['epochs=2', 'model={name: mlp, hidden: [8]}', 'dataset.size=32', 'dataset.test_size=16'];

/** Every file under `dir` (but not under `skip`) with its bytes: what "nothing changed" compares. */
function snapshot(dir: string, skip?: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (path: string) => {
    if (path === skip) return;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) readdirSync(path).forEach((name) => walk(join(path, name)));
    else files.set(relative(dir, path), stat ? readFileSync(path).toString('base64') : '(dangling)');
  };
  walk(dir);
  return files;
}

function assertOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one stderr line, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^vdm: error: /);
  assert.match(lines[0]!, pattern);
  assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
}

/** A workspace: a config file next to an output root, as a user's project holds them. */
function workspace() {
  const root = tempDir('vdm-runfolder-');
  const output = join(root, 'out');
  const config = join(root, 'tiny.yaml');
  writeFileSync(config, tinyConfigYaml(output));
  return { root, output, config, run: join(output, 'tiny', 'seed-7') };
}

// Real run folders made once: a completed run and one interrupted after its first epoch.
let completedRun = '';
let interruptedRun = '';
before(async () => {
  await selectBackend('cpu');
  const made = workspace();
  const config = (output: string) => loadRunConfig(made.config, [...SMALL, `output=${output}`]);
  completedRun = (await trainRun({ config: config(join(made.root, 'done')), plain: true, log: () => {} })).folder.dir;
  const controller = new AbortController();
  const stopAfterOne = (line: string) => void (line.startsWith('epoch 1/') && controller.abort());
  await assert.rejects(trainRun({ config: config(join(made.root, 'stopped')), plain: true, log: stopAfterOne, signal: controller.signal }));
  interruptedRun = join(made.root, 'stopped', 'tiny', 'seed-7');
});

function lockOf(holder: Record<string, unknown>): string {
  return `${JSON.stringify({ pid: process.pid, host: hostname(), started_at: '2026-01-01T00:00:00.000Z', command: 'vdm train', ...holder })}\n`;
}

interface RefusalCase {
  readonly title: string;
  readonly prepare: (w: ReturnType<typeof workspace>) => void;
  readonly flags?: string[];
  readonly message: (w: ReturnType<typeof workspace>) => RegExp;
}

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const REFUSED: RefusalCase[] = [
  {
    // Made with SMALL's settings, so its config.yaml is not the command line's config.
    title: 'a completed run of another config without --force',
    prepare: (w) => cpSync(completedRun, w.run, { recursive: true }),
    message: (w) => new RegExp(`${esc(w.run)} already holds a completed run of a different config \\(its config\\.yaml differs at 'dataset\\.size': .*\\); pass --force to replace it`),
  },
  {
    title: 'an interrupted run without --resume',
    prepare: (w) => cpSync(interruptedRun, w.run, { recursive: true }),
    message: (w) => new RegExp(`${esc(w.run)} holds an unfinished run \\(status interrupted\\); pass --resume to continue it, or --force to start over$`),
  },
  {
    title: 'a failed run with no checkpoint',
    prepare: (w) => {
      cpSync(interruptedRun, w.run, { recursive: true });
      for (const name of readdirSync(w.run).filter((n) => n.startsWith('checkpoint'))) rmSync(join(w.run, name), { recursive: true });
      writeFileSync(join(w.run, 'run.json'), '{"status": "failed"}\n');
    },
    message: () => /holds an unfinished run \(status failed\); it has no checkpoint to resume from; pass --force to start over$/,
  },
  {
    title: 'a completed run whose run.json is unreadable',
    prepare: (w) => {
      cpSync(completedRun, w.run, { recursive: true });
      writeFileSync(join(w.run, 'run.json'), '{"status": "compl');
    },
    message: (w) => new RegExp(`${esc(w.run)} holds a run of unknown state \\(run\\.json is not valid JSON\\); pass --force to replace it`),
  },
  {
    title: 'an unreadable run.json on --resume (its checkpoint is kept)',
    prepare: (w) => {
      cpSync(interruptedRun, w.run, { recursive: true });
      writeFileSync(join(w.run, 'run.json'), '');
    },
    flags: ['--resume'],
    message: (w) => new RegExp(`cannot resume ${esc(w.run)}: run\\.json is not valid JSON; fix or remove its run\\.json, or pass --force to start over$`),
  },
  {
    title: 'results without a run.json',
    prepare: (w) => {
      cpSync(completedRun, w.run, { recursive: true });
      rmSync(join(w.run, 'run.json'));
    },
    message: () => /holds a run of unknown state \(it has results but no run\.json\)/,
  },
  {
    title: 'a file where the run folder goes',
    prepare: (w) => {
      mkdirSync(join(w.output, 'tiny'), { recursive: true });
      writeFileSync(w.run, 'my notes');
    },
    message: (w) => new RegExp(`^vdm: error: ${esc(w.run)} is a file where a folder should be; move it away or choose another output$`),
  },
  {
    title: 'a file where a parent of the run folder goes',
    prepare: (w) => {
      mkdirSync(w.output, { recursive: true });
      writeFileSync(join(w.output, 'tiny'), 'my notes');
    },
    message: (w) => new RegExp(`${esc(join(w.output, 'tiny'))} is a file where a folder should be`),
  },
  {
    title: 'a lock held by a live process',
    prepare: (w) => {
      mkdirSync(w.run, { recursive: true });
      writeFileSync(join(w.run, '.lock'), lockOf({})); // this test process: alive, and not the child
    },
    message: (w) => new RegExp(`^vdm: error: ${esc(w.run)} is being written by pid ${process.pid} on host ${esc(hostname())} since 2026-01-01T00:00:00.000Z; wait for it or stop it$`),
  },
  {
    title: 'a lock held on another host',
    prepare: (w) => {
      mkdirSync(w.run, { recursive: true });
      writeFileSync(join(w.run, '.lock'), lockOf({ host: 'elsewhere.example' }));
    },
    message: (w) => new RegExp(`by pid ${process.pid} on host elsewhere\\.example since .*; if no vdm runs there any more, remove ${esc(join(w.run, '.lock'))}$`),
  },
  {
    title: 'a lock file that is not one',
    prepare: (w) => {
      mkdirSync(w.run, { recursive: true });
      writeFileSync(join(w.run, '.lock'), 'garbage');
    },
    message: (w) => new RegExp(`${esc(join(w.run, '.lock'))} is not a vdm lock file; if no vdm process is writing ${esc(w.run)}, remove it$`),
  },
];

/** runCli without blocking, so the refusals (each a process start) overlap. */
function runCliAsync(args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => void (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('vdm train refuses, with one line, exit 2 and nothing changed,', { concurrency: 4 }, () => {
  for (const refusal of REFUSED) {
    it(refusal.title, async () => {
      const w = workspace();
      refusal.prepare(w);
      const before = snapshot(w.root);
      const result = await runCliAsync(['train', '-c', w.config, '--set', 'epochs=2', '--name', 'tiny', ...(refusal.flags ?? [])]);
      assertOneLineError(result, 2, refusal.message(w));
      assert.deepEqual(snapshot(w.root), before);
    });
  }
});

test('vdm train takes over the lock of a process that is gone, with a warning, and releases it', () => {
  const w = workspace();
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  mkdirSync(w.run, { recursive: true });
  writeFileSync(join(w.run, '.lock'), lockOf({ pid: gone }));
  const outside = snapshot(w.root, w.output);
  const result = runCli(['train', '-c', w.config, ...SMALL.flatMap((s) => ['--set', s]), '--name', 'tiny']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`warning: took over the lock of ${esc(w.run)} from pid ${gone} \\(since 2026-01-01T00:00:00.000Z\\), which is no longer running`));
  assert.equal(JSON.parse(readFileSync(join(w.run, 'run.json'), 'utf8')).status, 'completed');
  assert.deepEqual(readdirSync(w.run).filter((name) => name.startsWith('.')), [], 'the lock is gone after the run');
  assert.deepEqual(snapshot(w.root, w.output), outside);
});

test('--force replaces an unreadable run; --resume continues an interrupted one that was moved (output is not compared); neither leaves a lock', () => {
  const w = workspace();
  cpSync(completedRun, w.run, { recursive: true });
  writeFileSync(join(w.run, 'run.json'), 'not json');
  const forced = runCli(['train', '-c', w.config, '--force', ...SMALL.flatMap((s) => ['--set', s]), '--name', 'tiny']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(JSON.parse(readFileSync(join(w.run, 'run.json'), 'utf8')).status, 'completed');

  const v = workspace();
  cpSync(interruptedRun, v.run, { recursive: true }); // its config.yaml names the output it was made in
  const resumed = runCli(['train', '-c', v.config, '--resume', ...SMALL.flatMap((s) => ['--set', s]), '--name', 'tiny']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming after epoch 1/);
  for (const dir of [w.run, v.run]) assert.ok(!existsSync(join(dir, '.lock')));
});

test('a refused run leaves no folder behind that it created for its lock', () => {
  const w = workspace();
  writeFileSync(w.config, tinyConfigYaml(w.output).replace(/dataset: .*/, 'dataset: { name: cifar10, root: /nonexistent-vdm-data }'));
  const result = runCli(['train', '-c', w.config]);
  assert.equal(result.code, 2, result.stderr);
  assert.ok(!existsSync(w.output), 'the output root was created only to be removed');
});

test('a full disk during a run: one line naming the file and cause, exit 1, run.json failed, checkpoint kept', async () => {
  const w = workspace();
  const outside = snapshot(w.root, w.output);
  const child = spawn(process.execPath, [BIN, 'train', '-c', w.config, '--set', 'epochs=400', '--set', 'model={name: mlp, hidden: [8]}', '--name', 'tiny'], {
    // From the 3rd write of metrics.csv (epoch 3) on the disk is full, and the run record's last
    // file cannot be written either: the error reported must still be the first one.
    env: { ...process.env, CI: 'true', VDM_TEST_FULL_DISK: 'metrics.csv:3,summary.json' },
  });
  let stdout = '';
  let stderr = '';
  let injected = false;
  child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (!injected && /^epoch 2\//m.test(stdout)) {
      injected = true;
    }
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.ok(injected, 'the run reached epoch 2');
  assertOneLineError({ code, stdout, stderr }, 1, new RegExp(`^vdm: error: cannot write ${esc(join(w.run, 'metrics.csv'))}: no space left on device \\(ENOSPC\\)$`));
  const record = JSON.parse(readFileSync(join(w.run, 'run.json'), 'utf8'));
  assert.equal(record.status, 'failed');
  assert.match(record.message, /ENOSPC/);
  assert.ok(hasCheckpoint(w.run), 'the last checkpoint is intact');
  assert.ok(!existsSync(join(w.run, '.lock')), 'the lock is released after a failed run');
  assert.deepEqual(snapshot(w.root, w.output), outside);
});

test('an output root that cannot be created is one line, exit 2', () => {
  const w = workspace();
  writeFileSync(w.config, tinyConfigYaml('/dev/null/out'));
  const result = runCli(['train', '-c', w.config]);
  assertOneLineError(result, 2, /^vdm: error: \/dev\/null is a file where a folder should be/);
});
