// Hostile run folders: symbolic links planted where vdm writes (log.txt, metrics.csv, tb/, the
// temporaries of the lock, compare and export), FIFOs and /dev/zero where it reads (run.json,
// checkpoint.json, checkpoint.bin, .lock), and a resume whose steps.csv is gone. Each is refused
// in one line naming the file, exit 2, nothing changed (the file a link points to included).
import { before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { trainRun } from '../../src/run/trainRun.js';
import { tempDir } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';
import { BASE_CONFIG, corpus, type HostileCase } from './harness.js';

const RUN = 'results/tiny/seed-7';
const VICTIM = 'victim.txt';
let interrupted = '';
let completed = '';

before(async () => {
  await selectBackend('cpu');
  const root = tempDir('vdm-runfiles-');
  writeFileSync(join(root, 'c.yaml'), tinyConfigYaml('results'));
  const config = (output: string) => loadRunConfig(join(root, 'c.yaml'), [`output=${join(root, output)}`]);
  completed = (await trainRun({ config: config('done'), plain: true, log: () => {} })).folder.dir;
  const controller = new AbortController();
  const stopAfterOne = (line: string) => void (line.startsWith('epoch 1/') && controller.abort());
  await assert.rejects(trainRun({ config: config('stopped'), plain: true, log: stopAfterOne, signal: controller.signal }));
  interrupted = join(root, 'stopped', 'tiny', 'seed-7');
});

/** The case folder holds c.yaml, a copy of a run at results/tiny/seed-7 and victim.txt beside it. */
function withRun(which: () => string, prepare: (run: string, dir: string) => void, args: string[]) {
  return (dir: string) => {
    cpSync(which(), join(dir, RUN), { recursive: true });
    writeFileSync(join(dir, VICTIM), 'the user\'s file\n');
    prepare(join(dir, RUN), dir);
    return args;
  };
}

const link = (target: string, at: string) => symlinkSync(target, at);
const resume = ['train', '-c', 'c.yaml', '--resume'];
const files = { 'c.yaml': BASE_CONFIG };
const victimUntouched = (dir: string) => assert.equal(readFileSync(join(dir, VICTIM), 'utf8'), 'the user\'s file\n');

const cases: HostileCase[] = [
  ...['log.txt', 'metrics.csv', 'steps.csv', 'tb', 'run.json'].map((name): HostileCase => ({
    title: `resume with ${name} a link to a file outside the run (was appended to)`,
    files,
    setup: withRun(() => interrupted, (run, dir) => {
      rmSync(join(run, name), { recursive: true, force: true });
      link(join(dir, VICTIM), join(run, name));
    }, resume),
    message: new RegExp(`^${RUN}/${name.replace('.', '\\.')} is a symbolic link; vdm does not write through links`),
    check: victimUntouched,
  })),
  {
    title: 'a link planted at the lock\'s temporary name (.lock.new-<pid>)',
    files,
    setup: (dir) => {
      mkdirSync(join(dir, RUN), { recursive: true });
      writeFileSync(join(dir, VICTIM), 'the user\'s file\n');
      link(join(dir, VICTIM), join(dir, RUN, `.lock.new-${process.pid}`));
      return ['train', '-c', 'c.yaml'];
    },
    message: new RegExp(`^${RUN}/\\.lock\\.new-${process.pid} is a symbolic link`),
    check: victimUntouched,
  },
  {
    title: '.lock is a FIFO (reading it hung)',
    files,
    setup: (dir) => {
      mkdirSync(join(dir, RUN), { recursive: true });
      execFileSync('mkfifo', [join(dir, RUN, '.lock')]);
      return ['train', '-c', 'c.yaml'];
    },
    message: new RegExp(`^${RUN}/\\.lock: cannot read lock file: it is a FIFO \\(named pipe\\); expected a regular file$`),
  },
  {
    title: 'run.json is a FIFO',
    files,
    setup: withRun(() => interrupted, (run) => {
      rmSync(join(run, 'run.json'));
      execFileSync('mkfifo', [join(run, 'run.json')]);
    }, resume),
    message: new RegExp(`^${RUN}/run\\.json: cannot read run\\.json: it is a FIFO`),
  },
  {
    title: 'checkpoint.json is a FIFO',
    files,
    setup: withRun(() => interrupted, (run) => {
      rmSync(join(run, 'checkpoint.json'));
      execFileSync('mkfifo', [join(run, 'checkpoint.json')]);
    }, resume),
    message: new RegExp(`^${RUN}/checkpoint\\.json: cannot read checkpoint pointer: it is a FIFO`),
  },
  {
    title: 'checkpoint.bin is a link to /dev/zero (grew past 5 GB)',
    files,
    setup: withRun(() => interrupted, (run) => {
      const bin = join(run, 'checkpoint-000001', 'checkpoint.bin');
      rmSync(bin);
      link('/dev/zero', bin);
    }, resume),
    message: new RegExp(`^${RUN}/checkpoint-000001/checkpoint\\.bin: cannot read checkpoint\\.bin: it is a character device`),
  },
  {
    title: 'checkpoint.bin larger than the arrays its index lists',
    files,
    setup: withRun(() => interrupted, (run) => {
      writeFileSync(join(run, 'checkpoint-000001', 'checkpoint.bin'), Buffer.alloc(10 * 1024 * 1024));
    }, resume),
    message: /checkpoint\.bin: cannot read checkpoint\.bin: larger than .* \(the limit for a checkpoint\.bin file\)$/,
  },
  {
    title: 'resume after steps.csv was deleted (finished with 13 rows of 19)',
    files,
    setup: withRun(() => interrupted, (run) => rmSync(join(run, 'steps.csv')), resume),
    message: new RegExp(`^cannot resume ${RUN}: its steps\\.csv is missing \\(the checkpoint is at step 6\\); pass --force to start the run over$`),
  },
  {
    title: 'resume after steps.csv lost rows',
    files,
    setup: withRun(() => interrupted, (run) => {
      const path = join(run, 'steps.csv');
      writeFileSync(path, readFileSync(path, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    }, resume),
    message: /its steps\.csv records 2 of the 6 rows up to the checkpoint \(step 6\)/,
  },
  {
    title: 'compare --out with a link at its first temporary (comparison.txt.tmp-<pid>)',
    setup: withRun(() => completed, (_run, dir) => {
      mkdirSync(join(dir, 'cmp'));
      link(join(dir, VICTIM), join(dir, 'cmp', `comparison.txt.tmp-${process.pid}`));
    }, ['compare', 'results', '--out', 'cmp']),
    message: new RegExp(`cmp/comparison\\.txt\\.tmp-${process.pid} is a symbolic link`),
    check: victimUntouched,
  },
  {
    title: 'compare --out /proc/... (did not return)',
    setup: withRun(() => completed, () => {}, ['compare', 'results', '--out', '/proc/self/vdm-compare']),
    message: /\/proc\/self\/vdm-compare.* is on \/proc, a special file system; choose another output/,
  },
  {
    title: 'train with output: /proc/... (did not return)',
    files: { 'c.yaml': BASE_CONFIG.replace('output: "results"', 'output: /proc/self/vdm-out') },
    args: ['train', '-c', 'c.yaml'],
    message: /\/proc\/self\/vdm-out\/tiny\/seed-7 is on \/proc, a special file system; choose another output$/,
  },
];

corpus('run files', cases);
