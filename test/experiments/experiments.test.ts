// Experiments: the file formats, their errors, and a tiny synthetic experiment run end to end
// through the real CLI (2 variants x 2 seeds), including skipping completed runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperiment } from '../../src/experiments/spec.js';
import { ConfigError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml, tinyExperimentYaml } from '../helpers/tinyRun.js';

const STANDALONE = tinyExperimentYaml('tiny-exp', [3, 4]);

test('a standalone experiment expands to variants x seeds with the overrides applied', () => {
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(join(tempDir(), 'r')), 'exp.yaml': STANDALONE });
  const experiment = loadExperiment(join(dir, 'exp.yaml'));
  assert.equal(experiment.name, 'tiny-exp');
  assert.equal(experiment.baseline, 'plain');
  assert.deepEqual(experiment.runs.map((r) => `${r.variant}/${r.seed}`), ['plain/3', 'plain/4', 'log/3', 'log/4']);
  const log = experiment.runs[2].config;
  assert.equal(log.vdm.name, 'log');
  assert.deepEqual(log.vdm.params, { a: 1, b: 0.5 });
  assert.equal(log.seed, 3);
  assert.equal(log.name, 'tiny-exp');
  assert.equal(experiment.runs[0].config.vdm.name, 'none');
});

test('a run config with an experiment block is an experiment too', () => {
  const yaml = `${tinyConfigYaml(join(tempDir(), 'r'))}experiment:\n  seeds: [1]\n  variants:\n    baseline: { vdm: { name: none } }\n    log: {}\n`;
  const dir = writeFiles({ 'c.yaml': yaml });
  const experiment = loadExperiment(join(dir, 'c.yaml'));
  assert.equal(experiment.name, 'tiny');
  assert.equal(experiment.baseline, 'baseline');
  assert.deepEqual(experiment.runs.map((r) => r.config.vdm.name), ['none', 'log']);
});

const BAD: [string, string, RegExp][] = [
  ['unknown baseline', STANDALONE.replace('baseline: plain', 'baseline: base'), /exp\.yaml: baseline \(line 4\): baseline 'base' is not one of the variants \(plain, log\)$/],
  ['bad override in a variant', STANDALONE.replace('b: 0.5', 'b: -1'), /exp\.yaml: vdm\.b \(line 7\): must be > 0, got -1$/],
  ['unknown key', STANDALONE.replace('seeds:', 'seed:'), /exp\.yaml: seed \(line 3\): unknown key 'seed'; did you mean 'seeds'\?/],
  ['bad variant name', STANDALONE.replace('  log:', '  "log run":'), /exp\.yaml: variants\.log run \(line 7\): invalid name "log run": use letters, digits/],
  ['a seed listed twice', STANDALONE.replace('seeds: [3, 4]', 'seeds: [3, 4, 3]'), /exp\.yaml: seeds\[2\] \(line 3\): seed 3 is listed twice; each seed is one run/],
];
for (const [title, text, message] of BAD) {
  test(`bad experiment: ${title}`, () => {
    const dir = writeFiles({ 'base.yaml': tinyConfigYaml('r'), 'exp.yaml': text });
    assert.throws(() => loadExperiment(join(dir, 'exp.yaml')), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  });
}

test('vdm run: dry run, the full grid, the comparison, and skipping completed runs', () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 2'), 'exp.yaml': STANDALONE });
  const exp = join(dir, 'exp.yaml');

  const dry = runCli(['run', exp, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /4 runs, baseline 'plain'/);
  assert.match(dry.stdout, /log\/seed-4\s+would run, ~\d+ s\s+.*tiny-exp\/log\/seed-4\s+overrides: \{ vdm: \{ name: log, b: 0.5 \} \}/);
  // One probe for all four runs: the VDM does not change a step's shapes.
  assert.equal((dry.stdout.match(/^  mlp on synthetic, batch 16, cpu: [\d.]+ s\/step \(mean of \d+ after a warm-up\) x 6 steps \+ [\d.]+ s x 2 test batches = \d+ s\/epoch$/gm) ?? []).length, 1, dry.stdout);
  assert.match(dry.stdout, /^estimated time: \d+ s for 4 runs one after another on this machine/m);
  assert.match(dry.stdout, /on a GPU .* not guessed here: run this dry run on the GPU machine/);
  assert.ok(!existsSync(join(output, 'tiny-exp')), 'a dry run writes nothing');

  const run = runCli(['run', exp, '--parallel', '2', '--flatness']);
  assert.equal(run.code, 0, run.stderr);
  for (const variant of ['plain', 'log']) {
    for (const seed of [3, 4]) {
      const runJson = JSON.parse(readFileSync(join(output, 'tiny-exp', variant, `seed-${seed}`, 'run.json'), 'utf8'));
      assert.equal(runJson.status, 'completed');
      assert.equal(runJson.variant, variant);
      assert.equal(runJson.experiment, 'tiny-exp');
    }
  }
  assert.equal((run.stdout.match(/^run [1-4]\/4 (plain|log)\/seed-[34] \(ETA/gm) ?? []).length, 4, run.stdout);
  assert.equal((run.stdout.match(/^done [1-4]\/4 (plain|log)\/seed-[34]: test acc \d+\.\d\d% in \d+ s/gm) ?? []).length, 4, run.stdout);
  assert.match(run.stdout, /^(run|done) [2-4]\/4 .*ETA \d+ s: [\d.]+ s\/epoch x \d+ epochs? left( \+ \d+ s start-up x \d runs?)?, 2 at once\)$/m, 'an ETA once an epoch finished');
  const logTxt = readFileSync(join(output, 'tiny-exp', 'log', 'seed-3', 'log.txt'), 'utf8');
  assert.match(logTxt, /^==== .* start: .*vdm run .*exp\.yaml --only log\/seed-3 /);
  assert.match(logTxt, /^epoch 2\/2 /m);
  for (const file of ['comparison/comparison.json', 'comparison/comparison.csv', 'report.html']) {
    assert.ok(existsSync(join(output, 'tiny-exp', file)), file);
  }
  assert.ok(existsSync(join(output, 'tiny-exp', 'log', 'seed-3', 'flatness.json')), '--flatness measured the runs');
  assert.match(run.stdout, /hessian_top_eigenvalue/, 'and compare shows the figures');
  const comparison = JSON.parse(readFileSync(join(output, 'tiny-exp', 'comparison', 'comparison.json'), 'utf8'));
  assert.equal(comparison.baseline, 'plain');
  assert.equal(comparison.variants.length, 2);

  const metrics = join(output, 'tiny-exp', 'log', 'seed-3', 'metrics.csv');
  const before = statSync(metrics).mtimeMs;
  const again = runCli(['run', exp, '--no-compare']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stdout.match(/already completed; skipped/g) ?? []).length, 4);
  assert.equal(statSync(metrics).mtimeMs, before, 'completed runs are not touched');
});

test('vdm run --dry-run times a SAM variant with its two passes, apart from the one-pass variants', () => {
  const sam = '  sam: { vdm: { name: none }, optimizer: { name: sam, base: sgd, rho: 0.05, lr: 0.05, momentum: 0.9 } }\n';
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(tempDir()), 'exp.yaml': tinyExperimentYaml('sam-exp', [1], sam) });
  const dry = runCli(['run', join(dir, 'exp.yaml'), '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  const probe = /^  mlp on synthetic, batch 16(, sam \(2 gradient evaluations a step\))?, cpu: [\d.]+ s\/step/gm;
  const probes = [...dry.stdout.matchAll(probe)];
  assert.deepEqual(probes.map((m) => m[1] !== undefined), [false, true], 'plain and log share one probe, sam has its own');
});

test('vdm run --dry-run on wasm: a run past the 4 GiB heap is timed at a batch that fits, and the refusal it would get is shown', () => {
  // 1e5 hidden units: about 1.6 MB of activations an image, so batch 4096 is ~29 GiB of step.
  const base = tinyConfigYaml(join(tempDir(), 'r'))
    .replace(/^backend: cpu$/m, 'backend: wasm')
    .replace(/^model: .*$/m, 'model: { name: mlp, hidden: [100000] }')
    .replace(/^dataset: .*$/m, 'dataset: { name: synthetic, shape: [6, 6, 1], classes: 4, size: 8192, test_size: 32, batch_size: 4096 }');
  const dir = writeFiles({ 'base.yaml': base, 'exp.yaml': 'experiment: heap\nbase: base.yaml\nseeds: [1]\nvariants:\n  big: {}\n' });
  const dry = runCli(['run', join(dir, 'exp.yaml'), '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^  mlp on synthetic, batch 4096, wasm(, \d threads)?: [\d.]+ s\/step .* x 2 steps/m);
  assert.match(dry.stdout, /^    on wasm this run would be refused: mlp at batch 4096 needs about [\d.]+ GiB on the wasm backend, more than the 4\.00 GiB .*; a batch of at most \d+ fits, or use backend cpu or webgpu$/m);
  assert.match(dry.stdout, /^    timed at batch 4 and scaled x1024: a batch-4096 step does not fit the wasm heap$/m);
});

test('vdm run --dry-run without the data: CIFAR is timed on stand-in data of its shape; an image folder gets no estimate', () => {
  const missing = join(tempDir(), 'no-data');
  const base = tinyConfigYaml(join(tempDir(), 'r')).replace(/^dataset: .*$/m, `dataset: { name: cifar10, root: ${JSON.stringify(missing)}, batch_size: 500 }`);
  const exp = `experiment: nodata
base: base.yaml
seeds: [1]
variants:
  cifar: {}
  folder: { dataset: { name: image_folder, root: ${JSON.stringify(missing)}, image_size: 8, batch_size: 500 } }
`;
  const dir = writeFiles({ 'base.yaml': base, 'exp.yaml': exp });
  const dry = runCli(['run', join(dir, 'exp.yaml'), '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /cifar\/seed-1\s+would run, ~[\d.]+ (s|min|h) /);
  assert.match(dry.stdout, /folder\/seed-1\s+would run\s+\S+folder\/seed-1/);
  assert.match(dry.stdout, /^  mlp on cifar10, batch 500, cpu: .* x 100 steps \+ .* x 20 test batches = /m, '50,000 / 10,000 images in batches of 500');
  assert.match(dry.stdout, /^    cifar10 not readable here \(cifar10 not found: .*\): timed on synthetic data of the same shape$/m);
  assert.match(dry.stdout, /^  mlp on image_folder: no estimate \(/m);
  assert.match(dry.stdout, /^estimated time: [\d.]+ (s|min|h) for 1 run one after another on this machine, and 1 without an estimate/m);
});

// ResNeXt-29 16x64d (68M weights, 21.5 GFLOPs an image) once took 25 minutes and 4.5 GB here: its
// dry run now times a 0.6-GFLOP member of the family and scales by the FLOP ratio, in seconds on
// the config's backend (auto: wasm; tfjs's pure-JavaScript cpu backend needs minutes even for that).
test('vdm run --dry-run on a big-model experiment file: a FLOP-scaled estimate from a small variant, in seconds', () => {
  const started = performance.now();
  const dry = runCli(['run', join(process.cwd(), 'configs/experiments/resnext29_16x64d-c10.yaml'), '--dry-run'], { cwd: tempDir() });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^  resnext29 on cifar10, batch 128, [^:]+: [\d.]+ s\/step \(estimated, see below\) x 391 steps/m);
  assert.match(dry.stdout, /^    an estimate: at 21\.5 GFLOPs an image \(forward\) it is too big to time here in seconds, so resnext29 \{ depth: 29, cardinality: 2, base_width: 16 \}$/m);
  assert.match(dry.stdout, /^    \(0\.588 GFLOPs\) was timed \(\d+ steps? after a warm-up\) and its times scaled x36\.5, the ratio of their FLOPs/m);
  assert.match(dry.stdout, /on a GPU that gap is wider still/);
  assert.match(dry.stdout, /^estimated time: [\d.]+ (h|days) for 6 runs/m);
  assert.ok(seconds < 90, `the dry run took ${seconds.toFixed(1)} s`);
});

test('vdm run --only picks runs; an unknown one is a usage error', () => {
  const output = tempDir();
  const dir = writeFiles({ 'base.yaml': tinyConfigYaml(output).replace('epochs: 3', 'epochs: 1'), 'exp.yaml': STANDALONE });
  const only = runCli(['run', join(dir, 'exp.yaml'), '--only', 'log/seed-4', '--no-compare']);
  assert.equal(only.code, 0, only.stderr);
  assert.ok(existsSync(join(output, 'tiny-exp', 'log', 'seed-4', 'summary.json')));
  assert.ok(!existsSync(join(output, 'tiny-exp', 'plain')));
  const bad = runCli(['run', join(dir, 'exp.yaml'), '--only', 'log/seed-9']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--only log\/seed-9 matches no run; runs are plain\/seed-3, plain\/seed-4, log\/seed-3, log\/seed-4/);
});

test('vdm run on a run config without an experiment says what to do', () => {
  const result = runCli(['run', 'configs/smoke.yaml']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^vdm: error: configs\/smoke\.yaml: experiment: this is a run config without an experiment: add an `experiment:` block .* or train it with `vdm train`\n$/);
});
