// Sweeps: flag parsing, combination order, which variants are swept, their names, and errors;
// then loadExperiment with a `sweep:` block, --sweep flags and command-line overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadExperiment } from '../../src/experiments/spec.js';
import { combinations, expandVariants, parseSweepFlag, sweepAxes, MAX_COMBINATIONS } from '../../src/experiments/sweep.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml, tinyExperimentYaml } from '../helpers/tinyRun.js';

const at = (key: string) => ({ file: 'exp.yaml', path: `sweep.${key}`, line: 9 });
const empty = () => ({ value: {}, locations: new Map() });

test('parseSweepFlag reads the values as a YAML list', () => {
  assert.deepEqual(parseSweepFlag('optimizer.lr=0.01,0.05,0.1').values, [0.01, 0.05, 0.1]);
  assert.deepEqual(parseSweepFlag('model.hidden=[32],[64, 32]').values, [[32], [64, 32]]);
  assert.deepEqual(parseSweepFlag('vdm.name=log,none').values, ['log', 'none']);
});

const BAD_FLAGS: [string, RegExp, typeof UsageError | typeof ConfigError][] = [
  ['lr', /^--sweep 'lr' is not of the form key\.path=value,value/, UsageError],
  ['optimizer.lr=', /^--sweep: optimizer\.lr: sweep of 'optimizer\.lr' has no values/, ConfigError],
  ['optimizer.lr=0.1,0.1', /sweep of 'optimizer\.lr' lists 0\.1 twice; each value is one variant/, ConfigError],
  ['optimizer.lr=[0.1', /^--sweep: optimizer\.lr: cannot read the values as a YAML list/, ConfigError],
  ['seed=1,2', /^--sweep seed: seeds are not swept as variants \(each variant runs every seed\); give them with --seeds 1,2 or the file's seeds: \[1, 2\]$/, UsageError],
  ['name=a,b', /^--sweep name: name places the experiment's results; it is not a setting to compare/, UsageError],
  ['model.hidden.0=8,16', /^--sweep 'model\.hidden\.0=8,16': a sweep sets whole keys, not list items; sweep whole lists instead/, UsageError],
  ['optimizer.lr=range(1,4)', /^--sweep: optimizer\.lr: range\(\) is Hydra's sweep syntax; list the values instead: --sweep optimizer\.lr=1,2,3$/, ConfigError],
  ['vdm.name=choice(log,exp)', /^--sweep: vdm\.name: choice\(\) is Hydra's sweep syntax; list the values instead: --sweep vdm\.name=log,exp$/, ConfigError],
  ['dataset.root=${x}', /^--sweep: dataset\.root: \$\{\.\.\.\} interpolation is not supported/, ConfigError],
];
for (const [flag, message, kind] of BAD_FLAGS) {
  test(`parseSweepFlag refuses '${flag}'`, () => {
    assert.throws(() => parseSweepFlag(flag), (e: unknown) => e instanceof kind && message.test(e.message));
  });
}

test('sweepAxes: the block in file order, a flag replaces its key in place, new keys go last', () => {
  const axes = sweepAxes({ 'optimizer.lr': [0.01, 0.05], 'vdm.a': [1, 2] }, at, ['vdm.a=3', 'epochs=1,2']);
  assert.deepEqual(axes.map((a) => [a.key, a.values]), [['optimizer.lr', [0.01, 0.05]], ['vdm.a', [3]], ['epochs', [1, 2]]]);
  assert.equal(axes[0].where.file, 'exp.yaml');
  assert.equal(axes[1].where.file, '--sweep');
  assert.throws(() => sweepAxes({ 'a..b': [1] }, at, []), /exp\.yaml: sweep\.a\.\.b \(line 9\): 'a\.\.b' is not a key path/);
  const many = Array.from({ length: 40 }, (_, i) => i).join(',');
  assert.throws(() => sweepAxes(undefined, at, [`a=${many}`, `b=${many}`]), (e: unknown) => e instanceof UsageError && e.message.includes(`at most ${MAX_COMBINATIONS}`));
});

test('sweepAxes: a key given by two flags is an error naming the one flag to write; seed: in the block points at seeds:', () => {
  assert.throws(
    () => sweepAxes(undefined, at, ['optimizer.lr=0.01', 'vdm.a=1', 'optimizer.lr=0.02,0.03']),
    (e: unknown) => e instanceof UsageError && e.message === '--sweep optimizer.lr is given twice; list every value in one flag: --sweep optimizer.lr=0.01,0.02,0.03',
  );
  assert.throws(() => sweepAxes({ seed: [1, 2] }, at, []), /exp\.yaml: sweep\.seed \(line 9\): seeds are not swept as variants \(each variant runs every seed\); list them in seeds: \[1, 2\]$/);
});

test('combinations: the first key varies slowest', () => {
  const combos = combinations(sweepAxes(undefined, at, ['optimizer.lr=0.01,0.05', 'vdm.a=1,2']));
  assert.deepEqual(combos.map((c) => c.map((s) => s.value)), [[0.01, 1], [0.01, 2], [0.05, 1], [0.05, 2]]);
});

test('expandVariants: each non-baseline variant once per combination, the baseline once', () => {
  const axes = sweepAxes(undefined, at, ['optimizer.lr=0.01,0.05', 'vdm.a=1']);
  const variants = ['baseline', 'log', 'exp'].map((name) => ({ name, declared: empty() }));
  const planned = expandVariants(variants, 'baseline', axes);
  assert.equal(planned.baseline, 'baseline');
  assert.deepEqual(planned.variants.map((v) => v.name), ['baseline', 'log,lr=0.01,a=1', 'log,lr=0.05,a=1', 'exp,lr=0.01,a=1', 'exp,lr=0.05,a=1']);
  assert.deepEqual(planned.variants[2].settings.map((s) => [s.key, s.value]), [['optimizer.lr', 0.05], ['vdm.a', 1]]);
});

test('expandVariants: an experiment of one variant sweeps it, and its first combination is the baseline', () => {
  const planned = expandVariants([{ name: 'sgd', declared: empty() }], 'sgd', sweepAxes(undefined, at, ['optimizer.lr=0.01,0.05']));
  assert.deepEqual(planned.variants.map((v) => v.name), ['sgd,lr=0.01', 'sgd,lr=0.05']);
  assert.equal(planned.baseline, 'sgd,lr=0.01');
});

test('expandVariants: values that would share a folder are refused', () => {
  const axes = sweepAxes(undefined, at, ['dataset.root="a b","a_b"']);
  assert.throws(() => expandVariants([{ name: 'x', declared: empty() }], 'x', axes), /two sweep variants would share the folder 'x,root=a_b'/);
});

const EXPERIMENT = tinyExperimentYaml('sw', [1, 2], 'sweep:\n  vdm.a: [1, 2]\n');

function files(text = EXPERIMENT): string {
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(join(tempDir(), 'r')), 'exp.yaml': text });
  return join(dir, 'exp.yaml');
}

test('loadExperiment: a sweep: block, in stable task order (variants, values, seeds)', () => {
  const experiment = loadExperiment(files());
  assert.deepEqual(experiment.variants, ['plain', 'log,a=1', 'log,a=2']);
  assert.deepEqual(experiment.runs.map((r) => `${r.variant}/${r.seed}`), ['plain/1', 'plain/2', 'log,a=1/1', 'log,a=1/2', 'log,a=2/1', 'log,a=2/2']);
  assert.deepEqual(experiment.runs[4].config.vdm.params, { a: 2, b: 0.5 });
  assert.equal(experiment.name, 'sw');
  assert.deepEqual(experiment.cliArgs, []);
});

test('loadExperiment: --sweep flags, overrides of every run (renaming the experiment), cliArgs to repeat them', () => {
  const experiment = loadExperiment(files(), { sweeps: ['optimizer.lr=0.01,0.02'], overrides: ['epochs=1'] });
  assert.match(experiment.name, /^sw,epochs=1-[0-9a-f]{6}$/);
  assert.ok(experiment.root.endsWith(experiment.name));
  assert.equal(experiment.variants.length, 1 + 2 * 2);
  assert.ok(experiment.runs.every((r) => r.config.epochs === 1));
  assert.equal(experiment.runs.find((r) => r.variant === 'log,a=2,lr=0.02')?.config.optimizer.lr, 0.02);
  assert.deepEqual(experiment.cliArgs, ['--set', 'epochs=1', '--sweep', 'optimizer.lr=0.01,0.02']);
  assert.equal(loadExperiment(files(), { overrides: ['epochs=1'], name: 'short' }).name, 'short');
});

test('loadExperiment: sweep errors point at the file or the flag', () => {
  assert.throws(() => loadExperiment(files(EXPERIMENT.replace('vdm.a: [1, 2]', 'vdm.a: [1, 1]'))), /exp\.yaml: sweep\.vdm\.a \(line 9\): sweep of 'vdm\.a' lists 1 twice/);
  assert.throws(() => loadExperiment(files(EXPERIMENT.replace('vdm.a: [1, 2]', 'vdm.a: 3'))), /exp\.yaml: sweep\.vdm\.a \(line 9\): expected array/);
  assert.throws(() => loadExperiment(files(), { overrides: ['vdm.a=3'] }), /vdm\.a is both swept and overridden; drop one of them$/);
  assert.throws(() => loadExperiment(files(), { sweeps: ['vdm.a=-1'] }), /vdm\.a.*must be > 0, got -1/);
});

test('loadExperiment: overrides and sweep settings are one set, whatever the order (a block-name change keeps the values given for it)', () => {
  const words = ['optimizer.lr=0.001', 'optimizer.name=adam', 'epochs=1'];
  const orders = [words, [words[1], words[2], words[0]], [words[2], words[1], words[0]]];
  const experiments = orders.map((overrides) => loadExperiment(files(), { overrides }));
  for (const experiment of experiments) {
    assert.equal(experiment.name, experiments[0].name);
    for (const run of experiment.runs) {
      assert.equal(run.config.optimizer.name, 'adam');
      assert.equal(run.config.optimizer.lr, 0.001);
    }
  }
  assert.match(experiments[0].name, /^sw,epochs=1,lr=0\.001,name=adam-[0-9a-f]{6}$/);
  // A swept block name with an overridden parameter of that block, and the other way round.
  const onlyLog = (sweep: string) => `experiment: one\nbase: base.yaml\nvariants:\n  log: { vdm: { name: log, b: 0.5 } }\nsweep:\n  ${sweep}\n`;
  const swept = loadExperiment(files(onlyLog('vdm.name: [exp, log]')), { overrides: ['vdm.a=0.3'] }).runs;
  assert.deepEqual(swept.map((r) => [r.variant, r.config.vdm.params]), [['log,name=exp', { a: 0.3 }], ['log,name=log', { a: 0.3, b: 0.5 }]]);
  const named = loadExperiment(files(onlyLog('vdm.a: [0.2, 0.3]')), { overrides: ['vdm.name=exp'] }).runs;
  assert.deepEqual(named.map((r) => [r.variant, r.config.vdm.params]), [['log,a=0.2', { a: 0.2 }], ['log,a=0.3', { a: 0.3 }]]);
});

test('loadExperiment: an override at the value the config has keeps the experiment name; seed= is refused for --seeds', () => {
  assert.equal(loadExperiment(files(), { overrides: ['optimizer.lr=5e-2', 'backend=cpu'] }).name, 'sw');
  assert.throws(() => loadExperiment(files(), { overrides: ['seed=3'] }), (e: unknown) => e instanceof UsageError && /^seed=3: an experiment runs its seeds \(seeds: in the file\); choose them with --seeds 3$/.test(e.message));
  assert.throws(() => loadExperiment(files(), { overrides: ['vdm={name: log, a: 2}'] }), /vdm\.a is both swept and overridden/);
});
