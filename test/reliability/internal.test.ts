// What used to end as `vdm: internal error` with a stack and exit 1: names and paths too long, a
// link loop in the output, a model too large to allocate, a YAML bomb in a run's config.yaml
// read by compare. Each is now one line naming what is wrong, exit 2.
import { before } from 'node:test';
import { cpSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { trainRun } from '../../src/run/trainRun.js';
import { tempDir } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';
import { BASE_CONFIG, corpus, type HostileCase } from './harness.js';

const train = (...extra: string[]) => ['train', '-c', 'c.yaml', ...extra];
const files = { 'c.yaml': BASE_CONFIG };
const BOMB = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n`;
let completed = '';

before(async () => {
  await selectBackend('cpu');
  const root = tempDir('vdm-internal-');
  writeFileSync(join(root, 'c.yaml'), tinyConfigYaml(join(root, 'results'), ''));
  completed = (await trainRun({ config: loadRunConfig(join(root, 'c.yaml'), ['epochs=1']), plain: true, log: () => {} })).folder.dir;
});

const cases: HostileCase[] = [
  {
    title: 'a 256-character run name (ENAMETOOLONG with a stack)',
    files,
    args: train('--set', `name=${'a'.repeat(256)}`),
    message: /^--set: name: must be <= 100, got "a{29}\.\.\."$/,
  },
  {
    title: 'an output path component of 300 characters',
    files,
    args: train('--set', `output=${'b'.repeat(300)}`),
    message: /^cannot (read|create) b+\/tiny\/seed-7: name too long \(a path component over 255 bytes, or the path over PATH_MAX\) \(ENAMETOOLONG\)$/,
  },
  {
    title: 'a whole path over PATH_MAX',
    files,
    args: train('--set', `output=${Array(20).fill('c'.repeat(250)).join('/')}`),
    message: /name too long .*\(ENAMETOOLONG\)$/,
  },
  {
    title: 'output through a symbolic-link loop (ELOOP with a stack)',
    files,
    setup: (dir) => {
      symlinkSync('loop2', join(dir, 'loop1'));
      symlinkSync('loop1', join(dir, 'loop2'));
      return train('--set', 'output=loop1/x');
    },
    message: /^cannot read loop1\/x\/tiny\/seed-7: too many levels of symbolic links \(a link loop\?\) \(ELOOP\)$/,
  },
  {
    title: 'a hidden layer of 6e5 units',
    files,
    args: train('--set', 'model={name: mlp, hidden: [600000]}'),
    message: /^c\.yaml: model\.hidden\[0\] \(line \d+\): must be <= 100000, got 600000$/,
  },
  {
    title: 'hidden layers of 60000 x 3 (RangeError: Invalid typed array length, or minutes of swapping)',
    files,
    args: train('--set', 'model={name: mlp, hidden: [60000, 60000, 60000]}'),
    message: /^c\.yaml: model: hidden \[60000,60000,60000\] makes 7\.20e\+9 weights on a 36-value input; at most 2e\+8/,
  },
  {
    title: 'resnext29 at batch 8 on wasm (its heap at the 4 GiB ceiling: past it tfjs aborts with one thread and hangs with two)',
    files,
    args: train('--set', 'backend=wasm', '--set', 'model={name: resnext29}', '--set', 'dataset={name: synthetic, shape: [32, 32, 3], classes: 10, size: 16, test_size: 8, batch_size: 8}'),
    message: /^c\.yaml: dataset\.batch_size: resnext29 at batch 8 needs about 5\.77 GiB on the wasm backend, more than the 4\.00 GiB .*; a batch of at most 4 fits, or use backend cpu or webgpu$/,
  },
  {
    title: 'compare on a run whose config.yaml is a YAML bomb (Excessive alias count)',
    setup: (dir) => {
      cpSync(completed, join(dir, 'runs', 'one'), { recursive: true });
      writeFileSync(join(dir, 'runs', 'one', 'config.yaml'), BOMB);
      return ['compare', 'runs'];
    },
    message: /^runs\/one\/config\.yaml: not valid YAML \(Excessive alias count indicates a resource exhaustion attack\)$/,
  },
];

corpus('internal errors', cases);
