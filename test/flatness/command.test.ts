// `vdm flatness` end to end: trained runs get a flatness.json (and nothing else changes), compare
// reports its figures, unfinished runs are listed and skipped, bad flags are usage errors.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { flatnessCommand } from '../../src/commands/flatness.js';
import { trainRun } from '../../src/run/trainRun.js';
import { compareRuns } from '../../src/compare/compareRuns.js';
import { loadRunConfig } from '../../src/config/index.js';
import { DataError, UsageError } from '../../src/errors.js';
import { METHODS } from '../../src/flatness/measure.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

const quiet = () => {};
const SMALL = ['epochs=2', 'model={name: mlp, hidden: [8]}'];
const FAST = { samples: 48, iterations: 8, probes: 3, topK: 2 };

function configIn(output: string, extra: string[] = []) {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(output) });
  return loadRunConfig(join(dir, 'tiny.yaml'), [...SMALL, ...extra]);
}

/** Every file under a folder with its size and modification time, to show nothing else was written. */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (d: string) =>
    readdirSync(d).forEach((name) => {
      const path = join(d, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else entries[path] = `${stat.size}@${stat.mtimeMs}`;
    });
  walk(dir);
  return entries;
}

/** One completed run (seed 7) and one interrupted after its first epoch (seed 8), both with checkpoints. */
async function completedAndInterrupted(): Promise<{ output: string; completed: string; interrupted: string }> {
  const output = tempDir();
  const done = await trainRun({ config: configIn(output), plain: true, log: quiet });
  const controller = new AbortController();
  await assert.rejects(
    trainRun({ config: configIn(output, ['seed=8']), plain: true, log: (l) => void (l.startsWith('epoch 1/') && controller.abort()), signal: controller.signal }),
  );
  return { output, completed: done.folder.dir, interrupted: join(output, 'tiny', 'seed-8') };
}

test('flatness writes flatness.json into completed runs only, and compare reports it', async () => {
  const { output, completed, interrupted } = await completedAndInterrupted();
  const before = snapshot(output);
  const tensorsBefore = tf.memory().numTensors;
  const lines: string[] = [];
  await flatnessCommand([output], FAST, (line) => void lines.push(line));
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');

  assert.ok(lines.includes(`skipped ${interrupted}: status interrupted`), lines.join('\n'));
  const runLine = lines.find((line) => line.startsWith(`${completed}: lambda_max `));
  assert.match(runLine ?? '', /lambda_max [\d.e+-]+ \(\d+ iterations\), trace [\d.e+-]+ ± [\d.e+-]+, loss [\d.]+ on 48, [\d.]+ s$/, lines.join('\n'));
  assert.ok(!existsSync(join(interrupted, 'flatness.json')));

  const figures = JSON.parse(readFileSync(join(completed, 'flatness.json'), 'utf8'));
  assert.ok(Number.isFinite(figures.hessian_top_eigenvalue) && figures.hessian_top_eigenvalue > 0, JSON.stringify(figures));
  assert.ok(Number.isFinite(figures.hessian_trace) && figures.hessian_trace_stderr >= 0, JSON.stringify(figures));
  assert.ok(figures.train_loss_subset > 0 && figures.train_loss_subset < 5);
  const { settings } = figures;
  assert.deepEqual(
    { samples: settings.samples, probes: settings.probes, seed: settings.seed, method: settings.method },
    { samples: 48, probes: 3, seed: 0, method: METHODS.exact },
  );
  assert.ok(settings.iterations_run >= 1 && settings.iterations_run <= 8);
  assert.equal(settings.hvp_method, 'exact');
  assert.equal(settings.hvp_relative_step, null);
  assert.deepEqual(Object.keys(figures).sort(), [
    'adaptive_sharpness_average',
    'adaptive_sharpness_average_stderr',
    'adaptive_sharpness_worst',
    'epsilon_sharpness',
    'hessian_top_eigenvalue',
    'hessian_top_eigenvalues',
    'hessian_trace',
    'hessian_trace_stderr',
    'settings',
    'train_loss_subset',
  ]);
  assert.deepEqual(
    [settings.top_k, settings.epsilon, settings.rho, settings.sigma, settings.ascent_steps, settings.noise_samples],
    [2, 1e-3, 0.05, 0.01, 10, 10],
  );
  assert.equal(figures.hessian_top_eigenvalues.length, 2);
  // 8 iterations on a tiny MLP need not converge (tests with known spectra check the values).
  assert.ok(figures.hessian_top_eigenvalues.every(Number.isFinite), JSON.stringify(figures));
  assert.ok(figures.epsilon_sharpness > 0 && figures.adaptive_sharpness_worst > 0, JSON.stringify(figures));
  assert.ok(Number.isFinite(figures.adaptive_sharpness_average) && figures.adaptive_sharpness_average_stderr >= 0);

  // The only change under the results folder is the new file.
  const after = snapshot(output);
  delete after[join(completed, 'flatness.json')];
  assert.deepEqual(after, before);

  const comparison = await compareRuns([output]);
  const flatness = comparison.variants[0].flatness;
  assert.equal(flatness.hessian_top_eigenvalue.n, 1);
  assert.equal(flatness.hessian_top_eigenvalue.mean, figures.hessian_top_eigenvalue);
  assert.equal(flatness.hessian_trace.mean, figures.hessian_trace);
  assert.equal(flatness.adaptive_sharpness_worst.mean, figures.adaptive_sharpness_worst);
  // Settings and the eigenvalue list are not figures to compare.
  assert.deepEqual(Object.keys(flatness).filter((key) => key.startsWith('settings') || key.startsWith('hessian_top_eigenvalues')), []);

  // Measuring again gives the same figures: the loss is a deterministic function of the weights.
  await flatnessCommand([completed], FAST, quiet);
  assert.deepEqual(JSON.parse(readFileSync(join(completed, 'flatness.json'), 'utf8')), figures);

  // The fallback says so in the settings, with its step.
  await flatnessCommand([completed], { ...FAST, hvp: 'finite-difference' }, quiet);
  const fallback = JSON.parse(readFileSync(join(completed, 'flatness.json'), 'utf8')).settings;
  assert.deepEqual([fallback.hvp_method, fallback.hvp_relative_step, fallback.method], ['finite-difference', 1e-3, METHODS['finite-difference']]);
});

test('with no usable run it is a data error; bad flags are usage errors', async () => {
  const output = tempDir();
  const controller = new AbortController();
  await assert.rejects(trainRun({ config: configIn(output), plain: true, log: (l) => void (l.startsWith('epoch 1/') && controller.abort()), signal: controller.signal }));
  const lines: string[] = [];
  await assert.rejects(flatnessCommand([output], FAST, (line) => void lines.push(line)), (e: unknown) => e instanceof DataError && /no completed run with a checkpoint/.test(e.message));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^skipped .*seed-7: status interrupted$/);

  const cases: [string, Parameters<typeof flatnessCommand>[1], RegExp][] = [
    ['no probes error', { probes: 1 }, /--probes must be a whole number >= 2, got 1/],
    ['fractional samples', { samples: 10.5 }, /--samples must be a whole number >= 1/],
    ['zero iterations', { iterations: 0 }, /--iterations must be a whole number >= 1/],
    ['negative seed', { seed: -1 }, /--seed must be a whole number >= 0/],
    ['zero batch', { batchSize: 0 }, /--batch-size must be a whole number >= 1/],
    ['zero step', { hvp: 'finite-difference', relativeStep: 0 }, /--relative-step must be a number between 0 and 1/],
    ['a step for exact products', { relativeStep: 1e-3 }, /--relative-step applies only to --hvp finite-difference/],
    ['unknown hvp method', { hvp: 'forward' }, /--hvp 'forward' is not a method; valid: exact, finite-difference/],
    ['unknown backend', { backend: 'gpu' }, /--backend 'gpu' is not a backend; valid: auto, tensorflow, webgpu, wasm, cpu/],
    ['zero top-k', { topK: 0 }, /--top-k must be a whole number >= 1, got 0/],
    ['negative epsilon', { epsilon: -1 }, /--epsilon must be a number > 0, got -1/],
    ['zero rho', { rho: 0 }, /--rho must be a number > 0, got 0/],
    ['NaN sigma', { sigma: Number.NaN }, /--sigma must be a number > 0, got NaN/],
    ['one noise sample', { noiseSamples: 1 }, /--noise-samples must be a whole number >= 2, got 1/],
    ['fractional ascent steps', { ascentSteps: 1.5 }, /--ascent-steps must be a whole number >= 1/],
  ];
  for (const [what, opts, message] of cases) {
    await assert.rejects(flatnessCommand([output], opts, quiet), (e: unknown) => e instanceof UsageError && message.test(e.message), what);
  }
  await assert.rejects(flatnessCommand([], {}, quiet), UsageError);
});

test('an experiment file stands for its result folder', async () => {
  const output = tempDir();
  const config = configIn(output);
  await trainRun({ config, experiment: 'exp', variant: 'baseline', plain: true, log: quiet });
  const dir = writeFiles({
    'tiny.yaml': tinyConfigYaml(output), // only its output matters: the runs' own config.yaml is measured
    'exp.yaml': `experiment: exp\nbase: tiny.yaml\noutput: ${JSON.stringify(output)}\nvariants: { baseline: {} }\n`,
  });
  const lines: string[] = [];
  await flatnessCommand([join(dir, 'exp.yaml')], FAST, (line) => void lines.push(line));
  assert.ok(existsSync(join(output, 'exp', 'baseline', 'seed-7', 'flatness.json')), lines.join('\n'));
});
