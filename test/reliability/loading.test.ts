// Hostile configs, extends chains, YAML bombs, key floods and expr formulas: each refused in one
// located line, exit 2, with nothing written, and quickly (the loader is bounded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFileServer } from '../datasets/fixtures/server.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { BASE_CONFIG, corpus, type HostileCase } from './harness.js';

const train = (...extra: string[]) => ['train', '-c', 'c.yaml', ...extra];
const withVdm = (vdm: string) => BASE_CONFIG.replace('vdm: { name: log }', `vdm: ${vdm}`);
const keys = (count: number) => `vdm:\n${Array.from({ length: count }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`;
const laughs = `${'abcdefgh'
  .split('')
  .map((x, i) => `${x}: &${x} [${i === 0 ? Array(9).fill('lol').join(', ') : Array(9).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`)
  .join('\n')}\n`;
const tower = (levels: number) => Array(levels).fill('L').join('^');

const cases: HostileCase[] = [
  {
    title: 'extends: /dev/zero (was 17 GB RSS, then bad_alloc)',
    mode: 'process',
    files: { 'c.yaml': `extends: /dev/zero\n${BASE_CONFIG}` },
    args: train(),
    message: /^c\.yaml: extends \(line 1\): base config \/dev\/zero: cannot read config: it is a character device; expected a YAML file$/,
  },
  {
    title: 'the config is a FIFO (opening it would block)',
    setup: (dir) => {
      execFileSync('mkfifo', [join(dir, 'c.yaml')]);
      return train();
    },
    message: /^c\.yaml: \(top level\): cannot read config: it is a FIFO \(named pipe\); expected a YAML file$/,
  },
  {
    title: 'extends a directory',
    files: { 'c.yaml': `extends: sub\n${BASE_CONFIG}`, 'sub/x': '' },
    args: train(),
    message: /^c\.yaml: extends \(line 1\): base config .*sub: cannot read config: it is a directory; expected a YAML file$/,
  },
  {
    title: 'extends a link to /dev/urandom',
    setup: (dir) => {
      symlinkSync('/dev/urandom', join(dir, 'base.yaml'));
      return train();
    },
    files: { 'c.yaml': `extends: base.yaml\n${BASE_CONFIG}` },
    message: /^c\.yaml: extends \(line 1\): base config .*base\.yaml: cannot read config: it is a character device; expected a YAML file$/,
  },
  {
    title: 'a 50 MB YAML with 3 M keys (was still loading after 300 s)',
    files: { 'c.yaml': `${BASE_CONFIG}${Buffer.alloc(50 * 1024 * 1024, 'k1234567: 12345678\n').toString()}` },
    args: train(),
    message: /^c\.yaml: \(top level\): cannot read config: larger than 1 MiB \(the limit for a config file\)$/,
  },
  {
    title: '40,000 keys under one block (took 12 s: quadratic duplicate-key check)',
    files: { 'c.yaml': `${BASE_CONFIG.replace('vdm: { name: log }\n', '')}${keys(40_000)}` },
    args: train(),
    message: /^c\.yaml: vdm \(line \d+\): more than 10000 keys and list items; a config holds at most that many$/,
  },
  {
    title: 'billion laughs (was an internal error)',
    files: { 'c.yaml': `${BASE_CONFIG}${laughs}` },
    args: train(),
    message: /^c\.yaml: \(top level\): cannot expand the YAML aliases \(at most 100 expansions\): /,
  },
  {
    title: 'nesting 40 levels deep',
    files: { 'c.yaml': `${BASE_CONFIG}x: ${'['.repeat(40)}${']'.repeat(40)}\n` },
    args: train(),
    message: /^c\.yaml: x(\[0\]){31} \(line \d+\): nested more than 32 levels deep; /,
  },
  {
    title: 'nesting 100,000 levels deep (the parser itself runs out of stack: still one line)',
    files: { 'c.yaml': `${BASE_CONFIG}x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n` },
    args: train(),
    message: /^c\.yaml: \(top level\) \(line \d+\): invalid YAML: Maximum call stack size exceeded$/,
  },
  {
    title: 'an alias to nothing',
    files: { 'c.yaml': `${BASE_CONFIG}x: *nowhere\n` },
    args: train(),
    message: /^c\.yaml: .*(alias|nowhere)/i,
  },
  {
    title: 'duplicate key',
    files: { 'c.yaml': `${BASE_CONFIG}epochs: 4\n` },
    args: train(),
    message: /^c\.yaml: epochs \(line \d+\): duplicate key 'epochs'; each key may appear once in a mapping$/,
  },
  {
    title: '__proto__ inside a block (was silently ignored)',
    files: { 'c.yaml': BASE_CONFIG.replace('momentum: 0.9', 'momentum: 0.9, __proto__: { lr: 9 }') },
    args: train(),
    message: /^c\.yaml: optimizer\.__proto__ \(line \d+\): the key '__proto__' is not allowed/,
  },
  {
    title: '__proto__ in --set (was silently ignored)',
    files: { 'c.yaml': BASE_CONFIG },
    args: train('--set', '__proto__.polluted=1'),
    message: /^--set: __proto__\.polluted: the key '__proto__' is not allowed/,
  },
  {
    title: 'a --set value that is an alias bomb',
    files: { 'c.yaml': BASE_CONFIG },
    args: train('--set', `vdm={${laughs.trim().split('\n').join(', ')}}`),
    message: /^--set: vdm: cannot read the value as YAML: /,
  },
  {
    title: '.nan (was reported as "got null")',
    files: { 'c.yaml': BASE_CONFIG.replace('lr: 0.05', 'lr: .nan') },
    args: train(),
    message: /^c\.yaml: optimizer\.lr \(line \d+\): expected number, got NaN$/,
  },
  {
    title: '.inf (was reported as "got null")',
    files: { 'c.yaml': BASE_CONFIG.replace('epochs: 3', 'epochs: .inf') },
    args: train(),
    message: /^c\.yaml: epochs \(line \d+\): .*got Infinity$/,
  },
  {
    title: 'dataset.size: 1e10 (was an internal error allocating 30 TB)',
    files: { 'c.yaml': BASE_CONFIG.replace('size: 96', 'size: 1e10') },
    args: train(),
    message: /^c\.yaml: dataset\.size \(line \d+\): must be <= 10000000, got 10000000000/,
  },
  {
    title: 'epochs: 1e12 (was accepted)',
    files: { 'c.yaml': BASE_CONFIG.replace('epochs: 3', 'epochs: 1e12') },
    args: train(),
    message: /^c\.yaml: epochs \(line \d+\): must be <= 100000, got 1000000000000$/,
  },
  {
    title: 'batch_size: 1e9',
    files: { 'c.yaml': BASE_CONFIG.replace('batch_size: 16', 'batch_size: 1e9') },
    args: train(),
    message: /^c\.yaml: dataset\.batch_size \(line \d+\): must be <= 65536, got 1000000000$/,
  },
  {
    title: 'a binary file as the config',
    files: { 'c.yaml': Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x00]) },
    args: train(),
    message: /^c\.yaml: \(top level\)( \(line \d+\))?: (invalid YAML|a config must be a YAML mapping)/,
  },
  {
    title: 'an empty config',
    files: { 'c.yaml': '' },
    args: train(),
    message: /^c\.yaml: epochs \(line 1\): missing required key; expected number/,
  },
  {
    title: 'extends chain that forms a cycle',
    files: { 'c.yaml': 'extends: d.yaml\n', 'd.yaml': 'extends: c.yaml\n' },
    args: train(),
    message: /^c\.yaml: extends: 'extends' forms a cycle: /,
  },
  {
    title: 'expr: an inherited object name as a constant (was an internal error)',
    files: { 'c.yaml': withVdm('{ name: expr, phi: "L + constructor" }') },
    args: train(),
    message: /^c\.yaml: vdm\.phi \(line \d+\): phi 'L \+ constructor': unknown symbol 'constructor'; a formula may use L, pi, e and numbers$/,
  },
  {
    title: 'expr: an inherited method as a function',
    files: { 'c.yaml': withVdm('{ name: expr, phi: "hasOwnProperty(L)" }') },
    args: train(),
    message: /^c\.yaml: vdm\.phi \(line \d+\): phi 'hasOwnProperty\(L\)': unknown function 'hasOwnProperty'/,
  },
  {
    title: 'expr: a power tower of 16 levels (took over 60 s)',
    mode: 'process',
    files: { 'c.yaml': withVdm(`{ name: expr, phi: "${tower(16)}" }`) },
    args: train(),
    message: /^c\.yaml: vdm \(line \d+\): phi(')?\(0\) = (NaN|-?Infinity)/,
  },
  {
    title: 'expr: a power tower of 200 levels (took over 13 min)',
    files: { 'c.yaml': withVdm(`{ name: expr, phi: "${tower(200)}" }`) },
    args: train(),
    message: /^c\.yaml: vdm\.phi \(line \d+\): phi '.*' has 399 terms; at most 100$/,
  },
  {
    title: 'expr: a 100 kB formula',
    files: { 'c.yaml': withVdm(`{ name: expr, phi: "${'L+'.repeat(50_000)}L" }`) },
    args: train(),
    message: /^c\.yaml: vdm\.phi \(line \d+\): phi '.*' is 100001 characters long; at most 500$/,
  },
  {
    title: 'expr: an assignment, not a formula',
    files: { 'c.yaml': withVdm('{ name: expr, phi: "L = 1" }') },
    args: train(),
    message: /^c\.yaml: vdm\.phi \(line \d+\): phi 'L = 1': .* is not allowed \(AssignmentNode\)/,
  },
  {
    title: 'expr: a function definition',
    files: { 'c.yaml': withVdm('{ name: expr, phi: "f(x) = x" }') },
    args: train(),
    message: /^c\.yaml: vdm\.phi \(line \d+\): phi 'f\(x\) = x': .* is not allowed \(FunctionAssignmentNode\)/,
  },
  {
    title: 'expr: a string instead of a formula of numbers',
    files: { 'c.yaml': withVdm(`{ name: expr, phi: "L + 'abc'" }`) },
    args: train(),
    message: /^c\.yaml: vdm\.phi \(line \d+\): phi .*is not a number/,
  },
];

corpus('loading', cases);

test('SIGTERM while the data loads (a download that stalls): exit 130 at once, no run folder, the bytes kept', async (t) => {
  const server = await startFileServer({ 'cifar-10-binary.tar.gz': Buffer.alloc(100_000, 7) });
  const dir = tempDir('vdm-signal-');
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  server.stallAfter = 5000;
  writeFileSync(join(dir, 'c.yaml'), BASE_CONFIG.replace(/dataset: \{[^}]*\}/, 'dataset: { name: cifar10, root: data, download: true, batch_size: 8 }'));
  const part = join(dir, 'data', 'cifar-10-binary.tar.gz.part');
  let signalledAt = 0;
  const result = await runCliAsync(['train', '-c', 'c.yaml'], {
    cwd: dir,
    env: { VDM_DATA_BASE_URL: server.baseUrl, VDM_FETCH_STALL_SECONDS: '120' },
    onStart: (child) => {
      const poll = setInterval(() => {
        if (!existsSync(part) || statSync(part).size < 5000) return;
        clearInterval(poll);
        signalledAt = Date.now();
        child.kill('SIGTERM');
      }, 50);
      child.on('exit', () => clearInterval(poll));
    },
  });
  assert.ok(signalledAt > 0, `the download never started: ${result.stderr}`);
  assert.equal(result.code, 130, result.stderr);
  assert.ok(Date.now() - signalledAt < 10_000, 'it did not wait for the stall timeout');
  assert.match(result.stderr, /^vdm: error: interrupted while downloading .*cifar-10-binary\.tar\.gz; the 5000 bytes received are kept in data\/cifar-10-binary\.tar\.gz\.part for resuming$/m);
  assert.ok(!/^\s+at /m.test(result.stderr), 'no stack trace');
  assert.ok(!existsSync(join(dir, 'results')), 'no run folder');
  assert.equal(statSync(part).size, 5000);
});
