// The lr_matched control: which runs an experiment gains, their config, the errors, and a tiny
// experiment run end to end whose control's per-step lr is the source's lr × recorded φ′.
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
controls: [lr_matched]
variants:
  plain: { vdm: { name: none } }
  log: { vdm: { name: log, b: 0.5 } }
  other: { optimizer: { lr: 0.02 } }
`;

test('controls: [lr_matched] adds V~lr for each VDM variant and seed, after every plain run', () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output), 'exp.yaml': EXPERIMENT });
  const experiment = loadExperiment(join(dir, 'exp.yaml'));
  const labels = experimentTasks(experiment).map(({ task, run }) => `${task}:${run.variant}/${run.seed}`);
  // `other` keeps the base's log VDM, so it is a VDM variant too; the baseline is not.
  assert.deepEqual(labels, ['0:plain/3', '1:plain/4', '2:log/3', '3:log/4', '4:other/3', '5:other/4', '6:log~lr/3', '7:log~lr/4', '8:other~lr/3', '9:other~lr/4']);
  assert.deepEqual(experiment.variants, ['plain', 'log', 'other', 'log~lr', 'other~lr']);
  const control = experiment.runs[6];
  assert.equal(control.source, experiment.runs[2], 'log~lr/seed-3 follows log/seed-3');
  assert.equal(control.config.vdm.name, 'none');
  assert.equal(control.config.schedule.name, 'recorded');
  assert.equal(control.config.schedule.warmup_epochs, 0);
  assert.equal(control.config.schedule.params.steps, join(output, 'ctl', 'log', 'seed-{seed}', 'steps.csv'));
  assert.equal(control.config.optimizer.lr, 0.05, 'the rest of the config is the source variant\'s');
  assert.equal(experiment.runs[8].config.optimizer.lr, 0.02);
  assert.deepEqual(control.overrides.vdm, { name: 'none' });
});

const BAD: [string, (text: string) => string, RegExp][] = [
  ['an unknown control', (t) => t.replace('[lr_matched]', '[lr_match]'), /exp\.yaml: controls\[0\] \(line 5\): .*lr_matched/],
  [
    'a VDM variant that does not record every step',
    (t) => t.replace('b: 0.5 } }', 'b: 0.5 }, logging: { steps_every: 5 } }'),
    /exp\.yaml: logging\.steps_every \(line 8\): controls: \[lr_matched\] needs every step of variant 'log' in its steps\.csv, but its logging\.steps_every is 5; set it to 1/,
  ],
  [
    'no VDM variant to control',
    (t) => t.replace('log: { vdm: { name: log, b: 0.5 } }', 'log: { vdm: { name: none } }').replace('  other: { optimizer: { lr: 0.02 } }\n', ''),
    /exp\.yaml: controls \(line 5\): controls: \[lr_matched\] needs a variant other than the baseline 'plain' that trains with a VDM/,
  ],
];
for (const [title, edit, message] of BAD) {
  test(`bad controls: ${title}`, () => {
    const dir = writeFiles({ 'base.yaml': tinyConfigYaml('r'), 'exp.yaml': edit(EXPERIMENT) });
    assert.throws(() => loadExperiment(join(dir, 'exp.yaml')), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  });
}

/** steps.csv as rows of numbers keyed by column. */
function readSteps(file: string): Record<string, number>[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const keys = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((cell, i) => [keys[i], Number(cell)])));
}

test('an lr_matched run trains at base lr × the φ′ its source recorded, step by step; compare shows V vs V~lr', () => {
  const output = tempDir();
  const base = tinyConfigYaml(output).replace('epochs: 3', 'epochs: 2');
  const experiment = EXPERIMENT.replace('seeds: [3, 4]', 'seeds: [3]').replace('  other: { optimizer: { lr: 0.02 } }\n', '');
  const dir = writeFiles({ 'base.yaml': base, 'exp.yaml': experiment });
  const exp = join(dir, 'exp.yaml');

  // Out of order, the control refuses: its source has not run.
  const early = runCli(['run', exp, '--only', 'log~lr/seed-3', '--no-compare']);
  assert.equal(early.code, 1, early.stderr);
  assert.match(early.stdout + early.stderr, /ctl\/log\/seed-3\/steps\.csv does not exist: source run not completed/);

  const run = runCli(['run', exp]);
  assert.equal(run.code, 0, run.stderr);
  const source = readSteps(join(output, 'ctl', 'log', 'seed-3', 'steps.csv'));
  const control = readSteps(join(output, 'ctl', 'log~lr', 'seed-3', 'steps.csv'));
  assert.equal(source.length, 12); // 96 examples / 16 per batch x 2 epochs
  assert.equal(control.length, source.length);
  assert.ok(source.some((row) => Math.abs(row.grad_scale - 1) > 0.05), 'the log VDM scales its steps (or the test shows nothing)');
  control.forEach((row, i) => {
    const expected = source[i].lr * source[i].grad_scale;
    assert.equal(row.step, source[i].step);
    // steps.csv keeps 9 significant digits of each figure.
    assert.ok(Math.abs(row.lr - expected) <= 2e-8 * expected, `step ${row.step}: lr ${row.lr}, expected ${expected}`);
    assert.equal(row.grad_scale, 1, 'no VDM in the control');
  });

  const comparison = JSON.parse(readFileSync(join(output, 'ctl', 'comparison', 'comparison.json'), 'utf8'));
  const log = comparison.variants.find((v: { label: string }) => v.label === 'log');
  assert.equal(log.vsControl.label, 'log~lr');
  assert.equal(comparison.variants.find((v: { label: string }) => v.label === 'log~lr').vsControl, null);
  assert.match(run.stdout, /Δ vs ~lr pp/);
});
