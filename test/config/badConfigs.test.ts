// Every bad config gives one located line: file, YAML path, line, what is wrong and expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadRunConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { writeFiles } from '../helpers/files.js';

const BASE = `name: t
epochs: 2
model: { name: mlp }
dataset: { name: synthetic, batch_size: 8 }
optimizer: { name: sgd, lr: 0.1 }
`;

interface BadCase {
  readonly title: string;
  readonly files: Record<string, string>;
  readonly set?: string[];
  /** Expected message: exactly (string) or by pattern. */
  readonly message: string | RegExp;
}

const cases: BadCase[] = [
  {
    title: 'misspelt top-level key',
    files: { 'c.yaml': BASE.replace('epochs: 2', 'epoch: 2') },
    message: /^c\.yaml: epoch \(line 2\): unknown key 'epoch'; did you mean 'epochs'\?/,
  },
  {
    title: 'wrong type',
    files: { 'c.yaml': BASE.replace('epochs: 2', 'epochs: three') },
    message: 'c.yaml: epochs (line 2): expected number, got "three"',
  },
  {
    title: 'unknown model name, with the closest valid one',
    files: { 'c.yaml': BASE.replace('name: mlp', 'name: resnet2') },
    message: /^c\.yaml: model\.name \(line 3\): unknown model 'resnet2'; did you mean 'resnet20'\? \(valid: mlp, lenet5, /,
  },
  {
    title: 'misspelt optimizer parameter',
    files: { 'c.yaml': BASE.replace('lr: 0.1', 'lr: 0.1, momentun: 0.9') },
    message: /^c\.yaml: optimizer\.momentun \(line 5\): unknown key 'momentun'; did you mean 'momentum'\?/,
  },
  {
    title: 'out-of-range value',
    files: { 'c.yaml': BASE.replace('lr: 0.1', 'lr: -0.1') },
    message: 'c.yaml: optimizer.lr (line 5): must be > 0, got -0.1',
  },
  {
    title: 'missing required key',
    files: { 'c.yaml': BASE.replace('{ name: sgd, lr: 0.1 }', '{ name: sgd }') },
    message: 'c.yaml: optimizer.lr (line 5): missing required key; expected number',
  },
  {
    title: 'a schedule stretch that is not positive',
    files: { 'c.yaml': BASE + 'schedule: { name: cosine, stretch: 0 }\n' },
    message: 'c.yaml: schedule.stretch (line 6): must be > 0, got 0',
  },
  {
    title: 'a stretched recorded schedule',
    files: { 'c.yaml': BASE + 'schedule: { name: recorded, steps: s.csv, stretch: 2 }\n' },
    message: "c.yaml: schedule.stretch (line 6): the recorded schedule replays another run's steps one by one and cannot be stretched; drop stretch",
  },
  {
    title: 'value not among the allowed ones',
    files: { 'c.yaml': BASE.replace('batch_size: 8', 'batch_size: 8, augment: heavy') },
    message: 'c.yaml: dataset.augment (line 4): expected one of "none", "standard", "flip", got "heavy"',
  },
  {
    title: 'YAML syntax error',
    files: { 'c.yaml': `${BASE}vdm: { name: log\n` },
    message: /^c\.yaml: \(top level\) \(line \d\): invalid YAML: /,
  },
  {
    title: 'missing base file',
    files: { 'c.yaml': `extends: nowhere.yaml\n${BASE}` },
    message: 'c.yaml: extends (line 1): base config nowhere.yaml: cannot read config: file not found',
  },
  {
    title: 'extends cycle',
    files: { 'a.yaml': 'extends: b.yaml\n', 'b.yaml': 'extends: a.yaml\n' },
    message: /'extends' forms a cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml$/,
  },
  {
    title: 'error in the base file points at the base file',
    files: { 'base.yaml': BASE.replace('name: mlp', 'name: mlp, hidden: [0]'), 'c.yaml': 'extends: base.yaml\nseed: 3\n' },
    message: /^.*base\.yaml: model\.hidden\[0\] \(line 3\): must be > 0, got 0$/,
  },
  {
    title: 'bad --set flag',
    files: { 'c.yaml': BASE },
    set: ['optimizer.lr'],
    message: "--set: optimizer.lr: 'optimizer.lr' is not of the form key.path=value (e.g. optimizer.lr=0.05, or model.hidden.0=16 for a list item)",
  },
  {
    title: 'bad --set value is located at the flag',
    files: { 'c.yaml': BASE },
    set: ['optimizer.lr=fast'],
    message: '--set: optimizer.lr: expected number, got "fast"',
  },
  {
    title: 'unknown VDM parameter',
    files: { 'c.yaml': `${BASE}vdm: { name: log, c: 2 }\n` },
    message: /^c\.yaml: vdm\.c \(line 6\): unknown key 'c' \(valid keys: name, apply, normalize, start_epoch, end_epoch, max_scale, loss_max, a, b\)$/,
  },
  {
    title: 'VDM window ends before it starts',
    files: { 'c.yaml': `${BASE}vdm: { name: log, start_epoch: 5, end_epoch: 2 }\n` },
    message: 'c.yaml: vdm.end_epoch (line 6): end_epoch (2) is before start_epoch (5)',
  },
  {
    title: 'a block that is not a mapping',
    files: { 'c.yaml': BASE.replace('model: { name: mlp }', 'model: mlp') },
    message: /^c\.yaml: model \(line 3\): expected object, got "mlp"/,
  },
  {
    title: 'a config that is not a mapping',
    files: { 'c.yaml': '- just\n- a list\n' },
    message: 'c.yaml: (top level) (line 1): a config must be a YAML mapping of keys to values',
  },
  {
    title: 'duplicate key (found in one pass, not by the parser\'s quadratic check)',
    files: { 'c.yaml': `${BASE}seed: 1\nseed: 2\n` },
    message: "c.yaml: seed (line 7): duplicate key 'seed'; each key may appear once in a mapping",
  },
  {
    title: '__proto__ inside a block is refused, not dropped',
    files: { 'c.yaml': BASE.replace('lr: 0.1', 'lr: 0.1, __proto__: { momentum: 0.9 }') },
    message: "c.yaml: optimizer.__proto__ (line 5): the key '__proto__' is not allowed (it is not a setting)",
  },
  {
    title: '__proto__ in a --set path',
    files: { 'c.yaml': BASE },
    set: ['optimizer.__proto__.lr=1'],
    message: "--set: optimizer.__proto__.lr: the key '__proto__' is not allowed (it is not a setting)",
  },
  {
    title: '__proto__ inside a --set value',
    files: { 'c.yaml': BASE },
    set: ['optimizer={name: sgd, lr: 0.1, __proto__: {momentum: 0.9}}'],
    message: "--set: optimizer: the key '__proto__' is not allowed (it is not a setting)",
  },
  {
    title: '.nan is shown as NaN, not null',
    files: { 'c.yaml': BASE.replace('lr: 0.1', 'lr: .nan') },
    message: 'c.yaml: optimizer.lr (line 5): expected number, got NaN',
  },
  {
    title: '.inf is shown as Infinity, not null',
    files: { 'c.yaml': BASE.replace('epochs: 2', 'epochs: .inf') },
    message: /^c\.yaml: epochs \(line 2\): .*got Infinity$/,
  },
  {
    title: 'epochs beyond any real run',
    files: { 'c.yaml': BASE.replace('epochs: 2', 'epochs: 1e12') },
    message: 'c.yaml: epochs (line 2): must be <= 100000, got 1000000000000',
  },
  {
    title: 'a synthetic data set too large to hold',
    files: { 'c.yaml': BASE.replace('batch_size: 8', 'batch_size: 8, size: 1e10') },
    message: /^c\.yaml: dataset\.size \(line 4\): must be <= 10000000, got 10000000000/,
  },
  {
    title: 'a synthetic data set whose pixels exceed 2 GiB',
    files: { 'c.yaml': BASE.replace('batch_size: 8', 'batch_size: 8, size: 1000000, shape: [64, 64, 3]') },
    message: /^c\.yaml: dataset\.size \(line 4\): \(size \+ test_size\) x shape must be at most 2147483648 bytes/,
  },
  {
    title: 'billion-laughs aliases',
    files: {
      'c.yaml': `${BASE}a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n${'bcdefgh'.split('').map((x, i) => `${x}: &${x} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`).join('\n')}\n`,
    },
    message: /^c\.yaml: \(top level\): cannot expand the YAML aliases \(at most 100 expansions\)/,
  },
  {
    title: 'nesting deeper than any config',
    files: { 'c.yaml': `${BASE}x: ${'['.repeat(40)}${']'.repeat(40)}\n` },
    message: /^c\.yaml: x(\[0\]){31} \(line 6\): nested more than 32 levels deep/,
  },
  {
    title: 'more keys than any config',
    files: { 'c.yaml': `${BASE}vdm:\n${Array.from({ length: 10_001 }, (_, i) => `  k${i}: ${i}`).join('\n')}\n` },
    message: 'c.yaml: vdm (line 6): more than 10000 keys and list items; a config holds at most that many',
  },
  {
    title: 'a config larger than 1 MiB',
    files: { 'c.yaml': `${BASE}# ${'x'.repeat(1024 * 1024)}\n` },
    message: 'c.yaml: (top level): cannot read config: larger than 1 MiB (the limit for a config file)',
  },
  {
    title: 'extends a device file',
    files: { 'c.yaml': `extends: /dev/zero\n${BASE}` },
    message: 'c.yaml: extends (line 1): base config /dev/zero: cannot read config: it is a character device; expected a YAML file',
  },
  {
    title: 'a directory as the config',
    files: { 'c.yaml': BASE, 'a.yaml': 'extends: .\n' },
    message: /^a\.yaml: extends \(line 1\): base config .*: cannot read config: it is a directory; expected a YAML file$/,
  },
];

for (const c of cases) {
  test(`bad config: ${c.title}`, () => {
    const dir = writeFiles(c.files);
    const main = Object.keys(c.files).includes('a.yaml') ? 'a.yaml' : 'c.yaml';
    const error = (() => {
      try {
        loadRunConfig(join(dir, main), c.set ?? []);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    const message = error.message.replaceAll(`${dir}/`, '');
    assert.ok(!message.includes('\n'), 'one line');
    if (typeof c.message === 'string') assert.equal(message, c.message);
    else assert.match(message, c.message);
  });
}
