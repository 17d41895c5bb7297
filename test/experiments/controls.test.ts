// The step-size control: which runs an experiment gains, their config, the errors, and tiny
// experiments run end to end that prove it means what it says: with no smoothing and its own seed
// it replays V exactly (momentum and weight decay included); with the default smoothing its
// per-epoch scale is V's mean over seeds and no longer follows the batch loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperiment, experimentTasks } from '../../src/experiments/spec.js';
import { ConfigError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const EXPERIMENT = `experiment: ctl
base: base.yaml
seeds: [3, 4]
baseline: plain
controls: [step_matched]
variants:
  plain: { vdm: { name: none } }
  log: { vdm: { name: log, b: 0.5 } }
  other: { optimizer: { lr: 0.02 } }
`;

test('controls: [step_matched] adds V~step for each VDM variant and seed, after every plain run', () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': EXPERIMENT });
  const experiment = loadExperiment(join(dir, 'exp.yaml'));
  const labels = experimentTasks(experiment).map(({ task, run }) => `${task}:${run.variant}/${run.seed}`);
  // `other` keeps the base's log VDM, so it is a VDM variant too; the baseline is not.
  assert.deepEqual(labels, ['0:plain/3', '1:plain/4', '2:log/3', '3:log/4', '4:other/3', '5:other/4', '6:log~step/3', '7:log~step/4', '8:other~step/3', '9:other~step/4']);
  assert.deepEqual(experiment.variants, ['plain', 'log', 'other', 'log~step', 'other~step']);
  const control = experiment.runs[6];
  assert.equal(control.source, experiment.runs[2], 'log~step/seed-3 is the control of log/seed-3');
  assert.deepEqual(control.reads, [experiment.runs[2], experiment.runs[3]], 'by default it reads every seed of log');
  assert.equal(control.config.vdm.name, 'recorded_scale');
  assert.deepEqual(control.config.vdm.params, {
    steps: join(output, 'ctl', 'log', 'seed-{seed}', 'steps.csv'), seeds: [3, 4], smoothing: 'epoch_mean', ema_steps: 100,
  });
  assert.equal(control.config.schedule.name, 'cosine', "V's own schedule: the scale alone carries phi'");
  assert.equal(control.config.optimizer.lr, 0.05, "the rest of the config is the source variant's");
  assert.equal(experiment.runs[8].config.optimizer.lr, 0.02);
});

test('step_matched settings: seeds own / next pick one source seed, ema passes its time constant', () => {
  const output = tempDir();
  const own = EXPERIMENT.replace('[step_matched]', '[{ step_matched: { seeds: own, smoothing: ema, ema_steps: 7 } }]');
  const next = EXPERIMENT.replace('[step_matched]', '[{ step_matched: { seeds: next } }]');
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'own.yaml': own, 'next.yaml': next });
  const ownRuns = loadExperiment(join(dir, 'own.yaml')).runs.filter((run) => run.variant === 'log~step');
  assert.deepEqual(ownRuns.map((run) => run.config.vdm.params.seeds), [[3], [4]]);
  assert.deepEqual(ownRuns.map((run) => [run.config.vdm.params.smoothing, run.config.vdm.params.ema_steps]), [['ema', 7], ['ema', 7]]);
  assert.deepEqual(ownRuns[1].reads?.map((run) => run.seed), [4]);
  const nextRuns = loadExperiment(join(dir, 'next.yaml')).runs.filter((run) => run.variant === 'log~step');
  assert.deepEqual(nextRuns.map((run) => run.config.vdm.params.seeds), [[4], [3]], 'the next seed, wrapping around');
  assert.deepEqual(nextRuns[0].reads?.map((run) => run.seed), [4]);
});

test('step_matched leaves out a non-monotone variant (flood, phi\' = +-1) with a note; variants: picks the ones to control', () => {
  const output = tempDir();
  const flood = EXPERIMENT.replace('  other:', '  flood: { vdm: { name: flood, b: 0.2 } }\n  other:');
  const picked = flood.replace('[step_matched]', '[{ step_matched: { variants: [log] } }]');
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'flood.yaml': flood, 'picked.yaml': picked });
  const experiment = loadExperiment(join(dir, 'flood.yaml'));
  assert.deepEqual(experiment.variants, ['plain', 'log', 'flood', 'other', 'log~step', 'other~step']);
  assert.deepEqual(experiment.notes, ["step_matched: no flood~step: variant 'flood' trains with flood, which is not monotone (phi' is +1 or -1), so no step size stands for it"]);
  assert.deepEqual(loadExperiment(join(dir, 'picked.yaml')).variants, ['plain', 'log', 'flood', 'other', 'log~step']);
  const dry = runCli(['run', join(dir, 'flood.yaml'), '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^note: step_matched: no flood~step: variant 'flood' trains with flood, which is not monotone/m);
});

const BAD: [string, (text: string) => string, RegExp][] = [
  ['an unknown control', (t) => t.replace('[step_matched]', '[step_match]'), /exp\.yaml: controls\[0\] \(line 5\): expected one of step_matched, compute_matched \(or \{ step_matched: /],
  [
    'the retired lr_matched',
    (t) => t.replace('[step_matched]', '[lr_matched]'),
    /exp\.yaml: controls\[0\] \(line 5\): lr_matched was retired: with the same seed it replays the VDM run it controls .*use step_matched/,
  ],
  [
    'an unknown smoothing',
    (t) => t.replace('[step_matched]', '[{ step_matched: { smoothing: median } }]'),
    /exp\.yaml: controls\[0\]\.step_matched\.smoothing \(line 5\): expected one of "epoch_mean", "ema", "none", got "median"/,
  ],
  [
    'step_matched twice',
    (t) => t.replace('[step_matched]', '[step_matched, step_matched]'),
    /exp\.yaml: controls \(line 5\): controls lists step_matched more than once/,
  ],
  [
    'a VDM variant that does not record every step',
    (t) => t.replace('b: 0.5 } }', 'b: 0.5 }, logging: { steps_every: 5 } }'),
    /exp\.yaml: logging\.steps_every \(line 8\): controls: \[step_matched\] needs every step of variant 'log' in its steps\.csv, but its logging\.steps_every is 5; set it to 1/,
  ],
  [
    'no VDM variant to control',
    (t) => t.replace('log: { vdm: { name: log, b: 0.5 } }', 'log: { vdm: { name: none } }').replace('  other: { optimizer: { lr: 0.02 } }\n', ''),
    /exp\.yaml: controls \(line 5\): controls: \[step_matched\] needs a variant other than the baseline 'plain' that trains with a VDM/,
  ],
  [
    'a non-monotone variant named in variants:',
    (t) => t.replace('  other:', '  flood: { vdm: { name: flood } }\n  other:').replace('[step_matched]', '[{ step_matched: { variants: [log, flood] } }]'),
    /exp\.yaml: controls \(line 5\): step_matched: variants: 'flood' trains with flood, which is not monotone \(phi' is \+1 or -1\): a step-size control of it is meaningless; leave it out$/,
  ],
  [
    'a variant in variants: that trains with no VDM',
    (t) => t.replace('[step_matched]', '[{ step_matched: { variants: [plain] } }]'),
    /exp\.yaml: controls \(line 5\): step_matched: variants: 'plain' is not a variant that trains with a VDM \(those are: log, other\)$/,
  ],
];
for (const [title, edit, message] of BAD) {
  test(`bad controls: ${title}`, () => {
    const dir = writeFiles({ 'base.yaml': tinyConfigYaml('r'), 'exp.yaml': edit(EXPERIMENT) });
    assert.throws(() => loadExperiment(join(dir, 'exp.yaml')), (e: unknown) => e instanceof ConfigError && message.test(e.message), edit(EXPERIMENT));
  });
}

/** steps.csv as rows of numbers keyed by column. */
function readSteps(file: string): Record<string, number>[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const keys = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((cell, i) => [keys[i], Number(cell)])));
}

/** metrics.csv as rows of strings keyed by column (exact digits, for identity checks). */
function readMetrics(file: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const keys = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((cell, i) => [keys[i], cell])));
}

/** The figures of a run that its trajectory decides (not its timing). */
function trajectory(rows: Record<string, string>[]): Record<string, string>[] {
  return rows.map(({ epoch, lr, train_loss, train_acc, test_loss, test_acc }) => ({ epoch, lr, train_loss, train_acc, test_loss, test_acc }));
}

test('the replay identity: smoothing none, own seed, momentum 0.9 and weight decay 5e-4: V~step is V to the last digit', () => {
  const output = tempDir();
  const base = tinyConfigYaml(output).replace('epochs: 3', 'epochs: 2').replace('weight_decay: 1.0e-4', 'weight_decay: 5.0e-4');
  assert.match(base, /momentum: 0\.9/);
  const experiment = EXPERIMENT.replace('seeds: [3, 4]', 'seeds: [3]')
    .replace('[step_matched]', '[{ step_matched: { smoothing: none, seeds: own } }]')
    .replace('  other: { optimizer: { lr: 0.02 } }\n', '');
  const dir = writeFiles({ 'base.yaml': base, 'exp.yaml': experiment });
  const exp = join(dir, 'exp.yaml');

  // Out of order, the control refuses: its source has not run.
  const early = runCli(['run', exp, '--only', 'log~step/seed-3', '--no-compare']);
  assert.equal(early.code, 1, early.stderr);
  assert.match(early.stdout + early.stderr, /ctl\/log\/seed-3\/steps\.csv does not exist: source run not completed/);

  const run = runCli(['run', exp]);
  assert.equal(run.code, 0, run.stderr);
  const folder = (variant: string) => join(output, 'ctl', variant, 'seed-3');
  const [source, control] = [readSteps(join(folder('log'), 'steps.csv')), readSteps(join(folder('log~step'), 'steps.csv'))];
  assert.equal(source.length, 12); // 96 examples / 16 per batch x 2 epochs
  assert.ok(source.some((row) => Math.abs(row.grad_scale - 1) > 0.05), 'the log VDM scales its steps (or the test shows nothing)');
  assert.deepEqual(control.map(({ lr, loss, grad_scale }) => ({ lr, loss, grad_scale })), source.map(({ lr, loss, grad_scale }) => ({ lr, loss, grad_scale })));
  assert.deepEqual(trajectory(readMetrics(join(folder('log~step'), 'metrics.csv'))), trajectory(readMetrics(join(folder('log'), 'metrics.csv'))));
});

test("default smoothing: V~step's per-epoch scale is V's mean over seeds and does not follow the batch loss; compare reports both", () => {
  const output = tempDir();
  const base = tinyConfigYaml(output).replace('epochs: 3', 'epochs: 2');
  const experiment = EXPERIMENT.replace('  other: { optimizer: { lr: 0.02 } }\n', '');
  const dir = writeFiles({ 'base.yaml': base, 'exp.yaml': experiment });
  const run = runCli(['run', join(dir, 'exp.yaml')]);
  assert.equal(run.code, 0, run.stderr);

  const steps = (variant: string, seed: number) => readSteps(join(output, 'ctl', variant, `seed-${seed}`, 'steps.csv'));
  const epochMean = (rows: Record<string, number>[], epoch: number) => {
    const inEpoch = rows.filter((row) => row.epoch === epoch);
    return inEpoch.reduce((sum, row) => sum + row.grad_scale, 0) / inEpoch.length;
  };
  for (const epoch of [1, 2]) {
    const sourceMean = (epochMean(steps('log', 3), epoch) + epochMean(steps('log', 4), epoch)) / 2;
    for (const seed of [3, 4]) {
      const control = steps('log~step', seed).filter((row) => row.epoch === epoch);
      assert.ok(control.every((row) => row.grad_scale === control[0].grad_scale), 'c_t is constant within an epoch');
      assert.ok(Math.abs(epochMean(control, epoch) - sourceMean) <= 1e-6, `epoch ${epoch} seed ${seed}: ${epochMean(control, epoch)} vs ${sourceMean}`);
    }
  }

  const comparison = JSON.parse(readFileSync(join(output, 'ctl', 'comparison', 'comparison.json'), 'utf8'));
  const byLabel = Object.fromEntries(comparison.variants.map((v: { label: string }) => [v.label, v]));
  const [vdm, control] = [byLabel.log.scaleLossCorrelation.mean, byLabel['log~step'].scaleLossCorrelation.mean];
  console.log(`scale-loss correlation within epochs: log ${vdm.toFixed(4)}, log~step ${control.toFixed(4)}`);
  // log's phi' = 1/(L+b) falls as the batch loss rises: a strong negative (not linear, so not -1) correlation.
  assert.ok(vdm < -0.8, `log follows the loss: ${vdm}`);
  assert.equal(control, 0, 'the control does not, by construction');
  assert.equal(byLabel.log.vsControl.label, 'log~step');
  assert.equal(byLabel.log.vsControl.kind, 'step');
  assert.equal(byLabel.log.vsControl.smoothing, 'epoch_mean over seeds 3, 4');
  assert.equal(byLabel['log~step'].vsControl, null);
  assert.match(run.stdout, /Δ vs ~step pp/);
  assert.match(run.stdout, /log − 'plain' = \(log~step − 'plain'\) \+ \(log − log~step\)/);
});
