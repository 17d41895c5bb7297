// The compute control: which runs an experiment gains (one per cost), their config (k times the
// epochs, the schedule stretched by k), the errors, the identity that makes it trustworthy (k = 1
// trains as the baseline, bit for bit), and a tiny experiment run end to end and compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configToYaml, validateSourced } from '../../src/config/index.js';
import { loadWithExtends } from '../../src/config/load.js';
import { mergeSourced } from '../../src/config/sourced.js';
import { ConfigError } from '../../src/errors.js';
import { computeMatched } from '../../src/experiments/computeMatched.js';
import { experimentTasks, loadExperiment } from '../../src/experiments/spec.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const EXPERIMENT = `experiment: cm
base: base.yaml
seeds: [3, 4]
baseline: plain
controls: [step_matched, compute_matched]
variants:
  plain: { vdm: { name: none } }
  log: { vdm: { name: log, b: 0.5 } }
  sam: { vdm: { name: none }, optimizer: { name: sam, lr: 0.05, momentum: 0.9 } }
  asam: { vdm: { name: none }, optimizer: { name: sam, adaptive: true, lr: 0.05, momentum: 0.9 } }
`;

/** The tiny base with a multistep schedule and a warm-up: the stretch must move both. */
const base = (output: string) =>
  tinyConfigYaml(output).replace('schedule: { name: cosine }', 'schedule: { name: multistep, milestones: [2], warmup_epochs: 0.5 }');

test('compute_matched adds <baseline>~compute for the variants that cost more: k times the epochs, the schedule stretched by k', () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': base(output), 'exp.yaml': EXPERIMENT });
  const experiment = loadExperiment(join(dir, 'exp.yaml'));
  const labels = experimentTasks(experiment).map(({ run }) => `${run.variant}/${run.seed}`);
  // One control for sam and asam (both 2 a step); log and the baseline cost 1 a step.
  assert.deepEqual(labels.slice(8), ['log~step/3', 'log~step/4', 'plain~compute/3', 'plain~compute/4']);
  const control = experiment.runs.find((run) => run.variant === 'plain~compute' && run.seed === 3)!;
  const plain = experiment.runs.find((run) => run.variant === 'plain' && run.seed === 3)!;
  assert.equal(control.config.epochs, 6, "twice the baseline's 3 epochs");
  assert.deepEqual(control.config.schedule, { ...plain.config.schedule, stretch: 2 });
  assert.deepEqual(control.config.optimizer, plain.config.optimizer, "the baseline's optimizer (sgd), not sam's");
  assert.equal(control.config.vdm.name, 'none');
  assert.deepEqual(control.overrides, { vdm: { name: 'none' }, epochs: 6, schedule: { stretch: 2 } });
  assert.equal(control.source, undefined, 'it reads no other run, so it need not wait for one');
  assert.equal(control.reads, undefined);
  assert.deepEqual(experiment.notes, []);
});

test('several costs: one control per k, named ~compute-xK', () => {
  const output = tempDir();
  const several = EXPERIMENT.replace('controls: [step_matched, compute_matched]', 'controls: [compute_matched]')
    .replace('optimizer: { name: sam, adaptive: true, lr: 0.05, momentum: 0.9 } }', 'optimizer: { name: sam, adaptive: true, lr: 0.05, momentum: 0.9 }, epochs: 6 }');
  const dir = writeFiles({ 'base.yaml': base(output), 'exp.yaml': several });
  const controls = loadExperiment(join(dir, 'exp.yaml')).runs.filter((run) => run.variant.includes('~'));
  assert.deepEqual(controls.map((run) => `${run.variant}/${run.seed}: ${run.config.epochs} epochs, stretch ${run.config.schedule.stretch}`), [
    'plain~compute-x2/3: 6 epochs, stretch 2',
    'plain~compute-x2/4: 6 epochs, stretch 2',
    'plain~compute-x4/3: 12 epochs, stretch 4',
    'plain~compute-x4/4: 12 epochs, stretch 4',
  ]);
});

const BAD: [string, (text: string) => string, RegExp][] = [
  [
    'no variant that costs more than the baseline',
    (t) => t.replace(/  sam: .*\n  asam: .*\n/, ''),
    /exp\.yaml: controls \(line 5\): controls: \[compute_matched\] needs a variant that costs more gradient evaluations than the baseline 'plain' \(an optimizer such as sam, 2 a step\)/,
  ],
  ['compute_matched twice', (t) => t.replace('compute_matched]', 'compute_matched, compute_matched]'), /exp\.yaml: controls \(line 5\): controls lists compute_matched more than once/],
  ['compute_matched with settings', (t) => t.replace('compute_matched]', '{ compute_matched: { k: 3 } }]'), /exp\.yaml: controls\[1\] \(line 5\): compute_matched takes no settings, got \{"k":3\}/],
  [
    'a cost that is no whole number of baseline runs',
    (t) => t.replace('lr: 0.05, momentum: 0.9 } }\n  asam', 'lr: 0.05, momentum: 0.9 }, epochs: 2 }\n  asam'),
    /exp\.yaml: controls \(line 5\): compute_matched: variant 'sam' costs 1\.33 times the gradient evaluations of 'plain', not a whole number of its runs/,
  ],
];
for (const [title, edit, message] of BAD) {
  test(`bad compute_matched: ${title}`, () => {
    const dir = writeFiles({ 'base.yaml': base('r'), 'exp.yaml': edit(EXPERIMENT) });
    assert.throws(() => loadExperiment(join(dir, 'exp.yaml')), (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'), edit(EXPERIMENT));
  });
}

/** A run's files that its trajectory decides: the per-epoch figures, the per-step record, the weights. */
function trajectory(dir: string) {
  const metrics = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
  const keys = metrics[0]!.split(',');
  const timing = new Set(['epoch_seconds', 'images_per_s']);
  const rows = metrics.slice(1).map((row) => row.split(',').filter((_, i) => !timing.has(keys[i]!)).join(','));
  // steps.csv without its wall_time and time columns.
  const steps = readFileSync(join(dir, 'steps.csv'), 'utf8').trim().split('\n').map((row) => row.split(',').slice(0, -2).join(','));
  return { rows, steps, weights: readFileSync(join(dir, 'checkpoint-000003', 'checkpoint.bin')) };
}

test('the identity: compute_matched with k = 1 is the baseline, bit for bit (metrics, every step, the final weights)', () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': base(output).replace('vdm: { name: log }', 'vdm: { name: none }') });
  const merged = loadWithExtends(join(dir, 'base.yaml'));
  const baseline = { variant: 'plain', merged, overrides: {}, config: validateSourced(merged, 'base.yaml') };
  const control = computeMatched(baseline, 1, 'plain~compute');
  const config = validateSourced(mergeSourced(control.merged, { value: { name: 'control' }, locations: new Map() }), 'base.yaml');
  assert.equal(config.epochs, 3);
  assert.equal(config.schedule.stretch, 1, 'the control runs through the stretch, of 1');
  writeFileSync(join(dir, 'control.yaml'), configToYaml(config));
  for (const file of ['base.yaml', 'control.yaml']) {
    const run = runCli(['train', join(dir, file), '-q']);
    assert.equal(run.code, 0, run.stderr);
  }
  const [plain, matched] = [trajectory(join(output, 'tiny', 'seed-7')), trajectory(join(output, 'control', 'seed-7'))];
  assert.equal(plain.rows.length, 3);
  assert.deepEqual(matched.rows, plain.rows);
  assert.equal(plain.steps.length, 1 + 18);
  assert.deepEqual(matched.steps, plain.steps);
  assert.ok(matched.weights.equals(plain.weights), 'the same weights and momentum buffers, byte for byte');
});

test('end to end: sam against plain~compute; compare shows Δ vs ~compute, equal gradient evaluations, the accuracy_vs_compute plot', () => {
  const output = tempDir();
  const experiment = EXPERIMENT.replace('controls: [step_matched, compute_matched]', 'controls: [compute_matched]').replace(/  log: .*\n/, '').replace(/  asam: .*\n/, '');
  const dir = writeFiles({ 'base.yaml': base(output).replace('epochs: 3', 'epochs: 1'), 'exp.yaml': experiment });
  const run = runCli(['run', join(dir, 'exp.yaml')]);
  assert.equal(run.code, 0, run.stderr);
  const comparison = JSON.parse(readFileSync(join(output, 'cm', 'comparison', 'comparison.json'), 'utf8'));
  const byLabel = Object.fromEntries(comparison.variants.map((v: { label: string }) => [v.label, v]));
  // 96 examples / 16 a batch = 6 steps: sam 2 x 6, plain 6, plain~compute 2 epochs x 6.
  assert.deepEqual([byLabel.plain, byLabel.sam, byLabel['plain~compute']].map((v) => v.gradientEvaluations.values), [[6, 6], [12, 12], [12, 12]]);
  assert.equal(byLabel.sam.vsCompute.label, 'plain~compute');
  assert.equal(byLabel.sam.vsCompute.factor, 2);
  assert.equal(typeof byLabel.sam.vsCompute.finalTop1.delta, 'number');
  assert.equal(byLabel.plain.vsCompute, null);
  assert.equal(byLabel['plain~compute'].vsCompute, null);
  assert.match(run.stdout, /Δ vs ~compute pp \[95% CI\]/);
  assert.match(run.stdout.replace(/\s+/g, ' '), /Δ vs ~compute \(sam\): against 'plain~compute', 'plain' trained 2× the epochs on its schedule stretched by the same factor, so it spent the gradient evaluations they did \(12 a run\)/);
  for (const ext of ['svg', 'png']) assert.ok(existsSync(join(output, 'cm', 'comparison', 'plots', `accuracy_vs_compute.${ext}`)), ext);
  const csv = readFileSync(join(output, 'cm', 'comparison', 'comparison.csv'), 'utf8').split('\n');
  const header = csv[0]!.split(',');
  const sam = csv.find((line) => line.startsWith('sam,'))!.split(',');
  assert.equal(sam[header.indexOf('compute_control')], 'plain~compute');
  assert.equal(sam[header.indexOf('compute_factor')], '2');
  assert.ok(readFileSync(join(output, 'cm', 'report.html'), 'utf8').includes('aria-label="Final test top-1 accuracy against gradient evaluations"'));
});
