// The command line's new forms as a user types them: positional configs and key=value overrides,
// --sweep, and the one-line answers (with did-you-mean) to the mistakes around them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const EXPERIMENT = `experiment: sw
base: base.yaml
seeds: [1]
baseline: plain
variants:
  plain: { vdm: { name: none } }
  log: { vdm: { name: log } }
`;

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
  assert.match(lines[0], pattern);
}

const dir = writeFiles({ 'c.yaml': tinyConfigYaml(join(tempDir(), 'r')), 'base.yaml': tinyConfigYaml(join(tempDir(), 'r')), 'exp.yaml': EXPERIMENT });
const config = join(dir, 'c.yaml');
const experiment = join(dir, 'exp.yaml');

const MISTAKES: [string, string[], RegExp][] = [
  ['a misspelt command', ['trian'], /^vdm: error: unknown command 'trian'; did you mean 'train'\? \(run with --help for usage\)$/],
  ['an unknown command far from any', ['frobnicate'], /^vdm: error: unknown command 'frobnicate' \(run with --help for usage\)$/],
  ['a misspelt flag', ['train', '--conifg', config], /^vdm: error: unknown option '--conifg'; did you mean '--config'\?/],
  ['a misspelt flag of run', ['run', experiment, '--sweeep', 'a=1'], /^vdm: error: unknown option '--sweeep'; did you mean '--sweep'\?/],
  ['a misspelt list kind', ['list', 'modles'], /^vdm: error: unknown kind 'modles'; did you mean 'models'\? \(expected one of models, datasets, optimizers, schedules, vdms\)$/],
  ['an override word where --set is the way', ['data', 'info', 'synthetic', 'root=data'], /^vdm: error: too many arguments for 'info'\. Expected 1 argument but got 2; did you mean --set root=data\?/],
  ['an override word where none is taken', ['export', dir, 'epochs=1'], /^vdm: error: too many arguments for 'export'\. Expected 1 argument but got 2; 'vdm export' takes no key=value overrides/],
  ['train without a config', ['train', 'epochs=1'], /^vdm: error: vdm train needs a config file: vdm train FILE \[key=value\.\.\.\] \(or -c FILE\)$/],
  ['train with two configs', ['train', '-c', config, config], /^vdm: error: vdm train got two configs, -c .*c\.yaml and '.*c\.yaml'; give one$/],
  ['an experiment file given to train', ['train', experiment], /^vdm: error: .*exp\.yaml is an experiment file \(it has 'base:' and 'variants:'\), not a run config; run it with: vdm run .*exp\.yaml$/],
  ["Hydra's +key=value", ['train', config, '+epochs=1'], /^vdm: error: '\+epochs=1': vdm takes key=value overrides only; Hydra's \+key=value and ~key forms are not supported/],
  ["Hydra's ~key with run", ['run', experiment, '~vdm'], /^vdm: error: '~vdm': vdm takes key=value overrides only/],
  ['a second file given to run', ['run', experiment, 'other.yaml'], /^vdm: error: vdm run takes one experiment file; 'other\.yaml' is neither it nor a key=value override$/],
  ['a bad --sweep', ['run', experiment, '--sweep', 'lr', '--dry-run'], /^vdm: error: --sweep 'lr' is not of the form key\.path=value,value/],
  ['an override of a key that does not exist', ['train', config, 'optimizer.lrr=0.1'], /^vdm: error: --set: optimizer\.lrr: unknown key 'lrr'/],
  ["Hydra's multirun key=a,b", ['train', config, 'optimizer.lr=0.01,0.05'], /^vdm: error: --set: optimizer\.lr: '0\.01,0\.05' is a list of values \(Hydra's multirun\); sweep them with vdm run FILE --sweep optimizer\.lr=0\.01,0\.05/],
  ["Hydra's choice() with run", ['run', experiment, 'vdm.name=choice(log,exp)'], /^vdm: error: --set: vdm\.name: choice\(\) is Hydra's sweep syntax; sweep with vdm run FILE --sweep vdm\.name=log,exp$/],
  ["Hydra's range()", ['train', config, 'epochs=range(1,4)'], /^vdm: error: --set: epochs: range\(\) is Hydra's sweep syntax; sweep with vdm run FILE --sweep epochs=1,2,3$/],
  ['${...} interpolation', ['train', config, 'dataset.root=${hydra:runtime.cwd}'], /^vdm: error: --set: dataset\.root: \$\{\.\.\.\} interpolation is not supported/],
  ['a required key unset', ['train', config, 'optimizer.lr=null'], /^vdm: error: --set: optimizer\.lr: required, so it cannot be unset with null; give it a value$/],
  ['a list index past the end', ['train', config, 'model.hidden.2=8'], /^vdm: error: --set: model\.hidden\.2: model\.hidden has 1 item \(indices 0-0\); 2 is past its end/],
  ['--sweep seed', ['run', experiment, '--sweep', 'seed=1,2', '--dry-run'], /^vdm: error: --sweep seed: seeds are not swept as variants \(each variant runs every seed\); give them with --seeds 1,2/],
  ['one key in two --sweep flags', ['run', experiment, '--sweep', 'optimizer.lr=0.01', '--sweep', 'optimizer.lr=0.02', '--dry-run'], /^vdm: error: --sweep optimizer\.lr is given twice; list every value in one flag: --sweep optimizer\.lr=0\.01,0\.02$/],
  ['seed= on run', ['run', experiment, 'seed=3', '--dry-run'], /^vdm: error: seed=3: an experiment runs its seeds \(seeds: in the file\); choose them with --seeds 3$/],
  ['--samples abc', ['flatness', dir, '--samples', 'abc'], /^vdm: error: --samples 'abc': not a number; expected a whole number >= 1/],
];
for (const [title, args, message] of MISTAKES) {
  test(`one line, exit 2: ${title}`, () => {
    const result = runCli(args);
    assert.equal(result.code, 2, result.stderr);
    assertOneLineError(result.stderr, message);
  });
}

test('vdm train FILE key=value: its own folder, beside the plain run and never on top of it', () => {
  const output = tempDir();
  const file = join(writeFiles({ 'c.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 1') }), 'c.yaml');
  const plain = runCli(['train', file]);
  assert.equal(plain.code, 0, plain.stderr);
  const overridden = runCli(['train', '-c', file, 'optimizer.lr=0.01', '--set', 'epochs=2']);
  assert.equal(overridden.code, 0, overridden.stderr);
  const name = readdirSync(output).find((n) => n.startsWith('tiny,'));
  assert.match(name ?? '', /^tiny,epochs=2,lr=0\.01-[0-9a-f]{6}$/);
  const folder = join(output, name!, 'seed-7');
  assert.match(overridden.stdout, /results in .*tiny,epochs=2,lr=0\.01-[0-9a-f]{6}\/seed-7$/m);
  assert.match(readFileSync(join(folder, 'config.yaml'), 'utf8'), /lr: 0\.01/);
  assert.equal(readFileSync(join(folder, 'metrics.csv'), 'utf8').trim().split('\n').length, 3, 'header + 2 epochs');
  assert.ok(existsSync(join(output, 'tiny', 'seed-7', 'summary.json')), 'the plain run is still there');
  const named = runCli(['train', file, 'optimizer.lr=0.01', '--name', 'low-lr']);
  assert.equal(named.code, 0, named.stderr);
  assert.ok(existsSync(join(output, 'low-lr', 'seed-7', 'summary.json')));
});

test('vdm run FILE --sweep key=values key=value: variants per value, run in child processes that repeat the sweep', () => {
  const output = tempDir();
  const files = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': EXPERIMENT });
  const file = join(files, 'exp.yaml');
  const dry = runCli(['run', file, '--sweep', 'optimizer.lr=0.01,0.05', 'epochs=1', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  const tasks = dry.stdout.split('\n').filter((l) => l.includes(' task '));
  assert.deepEqual(tasks.map((l) => l.trim().split(/\s+/).slice(0, 3).join(' ')), ['task 0 plain/seed-1', 'task 1 log,lr=0.01/seed-1', 'task 2 log,lr=0.05/seed-1']);
  const root = /^experiment (sw,epochs=1-[0-9a-f]{6}) /m.exec(dry.stdout)?.[1];
  assert.ok(root, dry.stdout);
  const real = runCli(['run', file, '--sweep', 'optimizer.lr=0.01,0.05', 'epochs=1', '--parallel', '2', '--no-compare']);
  assert.equal(real.code, 0, real.stderr);
  for (const variant of ['plain', 'log,lr=0.01', 'log,lr=0.05']) {
    const folder = join(output, root, variant, 'seed-1');
    assert.ok(existsSync(join(folder, 'summary.json')), folder);
    assert.equal(readFileSync(join(folder, 'metrics.csv'), 'utf8').trim().split('\n').length, 2, `${variant}: header + 1 epoch`);
  }
  assert.match(readFileSync(join(output, root, 'log,lr=0.05', 'seed-1', 'config.yaml'), 'utf8'), /lr: 0\.05/);
});

test('vdm train: the order of overrides never matters, a key at its own value is no new run, another config in the folder is never "completed"', () => {
  const output = tempDir();
  const file = join(writeFiles({ 'c.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 1') }), 'c.yaml');
  const first = runCli(['train', file, 'vdm.a=0.3', 'vdm.name=exp']);
  assert.equal(first.code, 0, first.stderr);
  const name = readdirSync(output).find((n) => n.startsWith('tiny,'));
  assert.match(name ?? '', /^tiny,a=0\.3,name=exp-[0-9a-f]{6}$/);
  const saved = readFileSync(join(output, name!, 'seed-7', 'config.yaml'), 'utf8');
  assert.match(saved, /vdm:\n {2}name: exp\n(.*\n)* {2}a: 0\.3\n/, saved);
  const swapped = runCli(['train', file, 'vdm.name=exp', 'vdm.a=0.3']);
  assertOneLineError(swapped.stderr, new RegExp(`${name!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/seed-7 already holds a completed run; pass --force`));
  assert.equal(swapped.code, 2);
  assert.equal(runCli(['train', file]).code, 0);
  const same = runCli(['train', file, 'optimizer.lr=5e-2', 'backend=cpu']);
  assert.equal(same.code, 2);
  assertOneLineError(same.stderr, /tiny\/seed-7 already holds a completed run; pass --force/);
  writeFileSync(file, readFileSync(file, 'utf8').replace('lr: 0.05', 'lr: 0.02'));
  const edited = runCli(['train', file]);
  assert.equal(edited.code, 2);
  assertOneLineError(edited.stderr, /tiny\/seed-7 already holds a completed run of a different config \(its config\.yaml differs at 'optimizer\.lr': a folder named by an older vdm, or a config file changed since\); pass --force to replace it, or choose another --name$/);
  assert.deepEqual(readdirSync(output).sort(), [name!, 'tiny'].sort(), 'no other folder was made');
});

test('vdm run: a folder holding another config\'s result is reported, not skipped as completed, and left as it is', () => {
  const output = tempDir();
  const files = writeFiles({ 'base.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 1'), 'exp.yaml': EXPERIMENT });
  const file = join(files, 'exp.yaml');
  assert.equal(runCli(['run', file, '--no-compare', '--only', 'plain']).code, 0);
  const metrics = join(output, 'sw', 'plain', 'seed-1', 'metrics.csv');
  const before = readFileSync(metrics, 'utf8');
  writeFileSync(join(files, 'base.yaml'), readFileSync(join(files, 'base.yaml'), 'utf8').replace('lr: 0.05', 'lr: 0.02'));
  const dry = runCli(['run', file, '--dry-run', '--only', 'plain']);
  assert.match(dry.stdout, /plain\/seed-1 +another config in folder, would stop \(--force replaces it\)/);
  const again = runCli(['run', file, '--no-compare', '--only', 'plain']);
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stdout, /\[plain\/seed-1\] not run: .*sw\/plain\/seed-1 holds a completed run of a different config \(its config\.yaml differs at 'optimizer\.lr'/);
  assert.equal(readFileSync(metrics, 'utf8'), before, 'the other config\'s result is untouched');
});
