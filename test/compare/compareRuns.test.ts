import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareRuns } from '../../src/compare/index.js';
import {
  experimentAccuracy,
  experimentEpochSeconds,
  experimentTop5,
  tempRoot,
  writeExperiment,
  writeRun,
} from './runFolders.js';

// Independent reference formulas (two-pass, written out here rather than imported).
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - avg(xs)) ** 2, 0) / (xs.length - 1));
const close = (actual: number | null | undefined, expected: number, tol = 1e-9) =>
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

const finals = (runs: number[][]) => runs.map((r) => r.at(-1)!);
const bests = (runs: number[][]) => runs.map((r) => Math.max(...r));

describe('compareRuns on an experiment folder', async () => {
  const root = tempRoot();
  const experiment = writeExperiment(root);
  const comparison = await compareRuns([experiment]);
  const [baseline, log] = comparison.variants;

  it('groups runs by variant, baseline first', () => {
    assert.equal(comparison.baseline, 'baseline');
    assert.deepEqual(comparison.variants.map((v) => v.label), ['baseline', 'log']);
    assert.equal(baseline!.isBaseline, true);
    assert.deepEqual(baseline!.runs.map((r) => r.seed), [1, 2, 3]);
    assert.deepEqual(log!.runs.map((r) => r.seed), [1, 2, 3, 4]);
    assert.equal(log!.completed, 4);
  });

  it('gives mean and sample std of final and best top-1 and top-5', () => {
    for (const [summary, name] of [[baseline!, 'baseline'], [log!, 'log']] as const) {
      const acc = experimentAccuracy[name];
      close(summary.accuracy.finalTop1.mean, avg(finals(acc)));
      close(summary.accuracy.finalTop1.std, sd(finals(acc)));
      close(summary.accuracy.bestTop1.mean, avg(bests(acc)));
      close(summary.accuracy.bestTop1.std, sd(bests(acc)));
      close(summary.accuracy.finalTop5!.mean, avg(finals(experimentTop5[name])));
      close(summary.accuracy.bestTop5!.std, sd(bests(experimentTop5[name])));
      close(summary.epochSeconds.mean, avg(experimentEpochSeconds[name]));
    }
  });

  it('gives the Welch delta, 95% CI and p-value that scipy gives for the same samples', () => {
    // scipy.stats.ttest_ind(log, baseline, equal_var=False) and .confidence_interval(0.95).
    const final = log!.vsBaseline!.finalTop1!;
    close(final.delta, avg(finals(experimentAccuracy.log)) - avg(finals(experimentAccuracy.baseline)));
    close(final.t, 3.568025725421304, 1e-6);
    close(final.df, 4.7744450825079365, 1e-6);
    close(final.pValue, 0.01738287194405093, 1e-6);
    close(final.ciLow, 0.00506978571075045, 1e-6);
    close(final.ciHigh, 0.032596880955916285, 1e-6);
    const best = log!.vsBaseline!.bestTop1!;
    close(best.pValue, 0.0310353793655395, 1e-6);
    close(best.df, 3.907904924535706, 1e-6);
    close(best.ciLow, 0.0026937243741463005, 1e-6);
    close(best.ciHigh, 0.033139608959187085, 1e-6);
    const top5 = log!.vsBaseline!.finalTop5!;
    close(top5.pValue, 0.14847134702688408, 1e-6);
    close(top5.ciLow, -0.0077116397746151005, 1e-6);
    close(top5.ciHigh, 0.032711639774615234, 1e-6);
    assert.equal(baseline!.vsBaseline, null);
  });

  it('gives the epoch-time ratio to the baseline', () => {
    close(log!.epochTimeRatio, avg(experimentEpochSeconds.log) / avg(experimentEpochSeconds.baseline));
    close(baseline!.epochTimeRatio, 1);
  });

  it('passes numeric flatness fields through as mean and std over the runs that have them', () => {
    assert.deepEqual(Object.keys(log!.flatness), ['hessian.trace', 'sharpness']);
    close(log!.flatness.sharpness!.mean, 1.0);
    close(log!.flatness['hessian.trace']!.std, sd([10, 20]));
    assert.equal(log!.flatness.sharpness!.n, 2);
    assert.deepEqual(baseline!.flatness, {});
  });

  it('lists the diverged run and leaves it out of the statistics', () => {
    assert.equal(comparison.excluded.length, 1);
    const [excluded] = comparison.excluded;
    assert.equal(excluded!.variant, 'log');
    assert.equal(excluded!.seed, 5);
    assert.match(excluded!.reason, /diverged: loss became NaN/);
    assert.equal(log!.accuracy.finalTop1.n, 4);
  });

  it('builds per-epoch curves with mean, min and max over runs', () => {
    const acc = experimentAccuracy.baseline;
    assert.deepEqual(baseline!.curves.map((p) => p.epoch), [1, 2, 3]);
    const second = baseline!.curves[1]!;
    close(second.test_acc!.mean, avg(acc.map((r) => r[1]!)));
    close(second.test_acc!.min, 0.69);
    close(second.test_acc!.max, 0.72);
    close(log!.curves[0]!.grad_scale!.max, 6);
  });

  it('lists the config keys that differ between variants', () => {
    const keys = comparison.configDifferences.map((d) => d.key);
    assert.deepEqual(keys, ['vdm.a', 'vdm.b', 'vdm.name']);
    const name = comparison.configDifferences.find((d) => d.key === 'vdm.name')!;
    assert.deepEqual(name.values, { baseline: 'none', log: 'log' });
  });

  it('warns of nothing for a clean experiment', () => {
    assert.deepEqual(comparison.warnings, []);
  });

  it('counts incomplete runs when asked to', async () => {
    const all = await compareRuns([experiment], { includeIncomplete: true });
    assert.equal(all.excluded.length, 0);
    const withDiverged = all.variants.find((v) => v.label === 'log')!;
    assert.equal(withDiverged.accuracy.finalTop1.n, 5);
    close(withDiverged.accuracy.finalTop1.mean, avg([...finals(experimentAccuracy.log), 0.1]));
    assert.equal(withDiverged.completed, 4);
  });

  it('modifies nothing in the result folders', async () => {
    const snapshot = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .sort()
        .map((name) => {
          const path = join(dir, name);
          const stat = statSync(path);
          return stat.isDirectory() ? name : `${name}:${stat.mtimeMs}:${readFileSync(path, 'utf8')}`;
        });
    const before = snapshot(root);
    await compareRuns([experiment], { includeIncomplete: true });
    assert.deepEqual(snapshot(root), before);
  });
});

describe('compareRuns grouping without declared variants', () => {
  const seeds = [1, 2];
  it('labels variants by the keys that differ and takes vdm.name=none as the baseline', async () => {
    const root = tempRoot();
    for (const seed of seeds) {
      writeRun(root, { dir: `plain/seed-${seed}`, seed, testAcc: [0.5, 0.6 + seed / 100] });
      writeRun(root, {
        dir: `logrun/seed-${seed}`,
        seed,
        testAcc: [0.5, 0.65 + seed / 100],
        config: { name: 'resnet20-c100-log', vdm: { name: 'log' } },
      });
    }
    const comparison = await compareRuns([root]);
    assert.deepEqual(comparison.variants.map((v) => v.label), ['vdm.name=none', 'vdm.name=log']);
    assert.equal(comparison.baseline, 'vdm.name=none');
    close(comparison.variants[1]!.vsBaseline!.finalTop1!.delta, 0.05);
    assert.equal(comparison.variants[0]!.accuracy.finalTop5, null);
    assert.deepEqual(comparison.warnings, []);
  });

  it('uses --baseline and rejects an unknown label, naming the variants', async () => {
    const root = tempRoot();
    writeExperiment(root);
    const comparison = await compareRuns([root], { baseline: 'log' });
    assert.equal(comparison.baseline, 'log');
    assert.equal(comparison.variants[0]!.label, 'log');
    assert.ok(comparison.variants[1]!.vsBaseline!.finalTop1!.delta < 0);
    await assert.rejects(compareRuns([root], { baseline: 'nope' }), /--baseline 'nope'.*'baseline', 'log'/);
  });

  it('merges runs found through two overlapping inputs once', async () => {
    const root = tempRoot();
    const experiment = writeExperiment(root);
    const comparison = await compareRuns([experiment, join(experiment, 'log'), root]);
    assert.equal(comparison.variants[1]!.runs.length, 4);
  });

  it('takes the first of several vdm.name=none variants as baseline, with a warning', async () => {
    const root = tempRoot();
    for (const lr of [0.1, 0.2]) {
      writeRun(root, { dir: `lr${lr}/seed-1`, seed: 1, testAcc: [0.5], config: { optimizer: { lr } } });
    }
    const comparison = await compareRuns([root]);
    assert.equal(comparison.baseline, 'optimizer.lr=0.1');
    assert.ok(comparison.warnings.includes(
      "several variants have vdm.name=none ('optimizer.lr=0.1', 'optimizer.lr=0.2'); using 'optimizer.lr=0.1' as the baseline; choose with --baseline",
    ));
  });

  it('warns when there is no baseline', async () => {
    const root = tempRoot();
    for (const lr of [0.1, 0.2]) {
      writeRun(root, { dir: `lr${lr}/seed-1`, seed: 1, testAcc: [0.5], config: { optimizer: { lr }, vdm: { name: 'log' } } });
    }
    const comparison = await compareRuns([root]);
    assert.equal(comparison.baseline, null);
    assert.deepEqual(comparison.variants.map((v) => v.label), ['optimizer.lr=0.1', 'optimizer.lr=0.2']);
    assert.ok(comparison.warnings.some((w) => /no baseline/.test(w)));
    assert.equal(comparison.variants[1]!.vsBaseline, null);
  });
});

describe('compareRuns warnings', () => {
  it('names keys that differ beyond vdm.* when no overrides are recorded', async () => {
    const root = tempRoot();
    for (const seed of [1, 2]) {
      writeRun(root, { dir: `b/seed-${seed}`, seed, variant: 'baseline', testAcc: [0.5, 0.6] });
      writeRun(root, {
        dir: `l/seed-${seed}`,
        seed,
        variant: 'log',
        testAcc: [0.5, 0.6, 0.7],
        config: { epochs: 4, vdm: { name: 'log' }, optimizer: { lr: 0.2 } },
      });
    }
    const { warnings } = await compareRuns([root]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /variant 'log' differs from baseline 'baseline' outside vdm\.\*: epochs \(4 vs 3\), optimizer\.lr \(0\.2 vs 0\.1\)/);
  });

  it('accepts declared overrides (and the defaults of a renamed entry) but names the rest', async () => {
    const root = tempRoot();
    for (const seed of [1, 2]) {
      writeRun(root, { dir: `b/seed-${seed}`, seed, variant: 'baseline', overrides: {}, testAcc: [0.5] });
      writeRun(root, {
        dir: `l/seed-${seed}`,
        seed,
        variant: 'log-lr',
        overrides: { vdm: { name: 'log' }, optimizer: { lr: 0.2 } },
        testAcc: [0.6],
        config: { epochs: 4, vdm: { name: 'log', a: 2 }, optimizer: { lr: 0.2 } },
      });
    }
    const { warnings } = await compareRuns([root]);
    assert.deepEqual(warnings, ["variant 'log-lr' differs from baseline 'baseline' beyond its declared overrides: epochs (4 vs 3)"]);
  });

  it('warns of groups with one seed, which then get no std, CI or p-value', async () => {
    const root = tempRoot();
    writeRun(root, { dir: 'b/seed-1', seed: 1, variant: 'baseline', testAcc: [0.5] });
    writeRun(root, { dir: 'b/seed-2', seed: 2, variant: 'baseline', testAcc: [0.55] });
    writeRun(root, { dir: 'l/seed-1', seed: 1, variant: 'log', testAcc: [0.6], config: { vdm: { name: 'log' } } });
    const comparison = await compareRuns([root]);
    assert.deepEqual(comparison.warnings, [
      "variant 'log' has 1 usable run; std, confidence interval and p-value need at least 2 seeds",
    ]);
    const delta = comparison.variants[1]!.vsBaseline!.finalTop1!;
    close(delta.delta, 0.6 - 0.525);
    assert.equal(delta.pValue, null);
    assert.equal(delta.ciLow, null);
    assert.equal(comparison.variants[1]!.accuracy.finalTop1.std, null);
  });

  it('warns of a repeated seed and of one label over two configs', async () => {
    const root = tempRoot();
    writeRun(root, { dir: 'a/seed-1', seed: 1, variant: 'log', testAcc: [0.5], config: { vdm: { name: 'log' } } });
    writeRun(root, { dir: 'a2/seed-1', seed: 1, variant: 'log', testAcc: [0.5], config: { vdm: { name: 'log' } } });
    writeRun(root, { dir: 'b/seed-1', seed: 1, variant: 'log', testAcc: [0.5], config: { vdm: { name: 'log' }, epochs: 9 } });
    const comparison = await compareRuns([root]);
    assert.deepEqual(comparison.variants.map((v) => v.label).sort(), ['log', 'log #2']);
    assert.ok(comparison.warnings.some((w) => w.includes("runs labelled 'log' have different configs (differing: epochs)")));
    assert.ok(comparison.warnings.some((w) => w.includes("variant 'log' has several runs with seed 1")));
  });
});

describe('compareRuns with a diverged run included', () => {
  it('keeps its NaN final accuracy but takes the best over finite epochs', async () => {
    const root = tempRoot();
    writeRun(root, { dir: 'l/seed-1', seed: 1, testAcc: [0.3, 0.4, Number.NaN], status: 'diverged' });
    const comparison = await compareRuns([root], { includeIncomplete: true });
    const accuracy = comparison.variants[0]!.accuracy;
    assert.ok(Number.isNaN(accuracy.finalTop1.mean));
    close(accuracy.bestTop1.mean, 0.4);
    assert.equal(comparison.variants[0]!.curves[2]!.test_acc, null);
  });
});

it('leaves the first (warm-up) epoch out of the mean epoch time', async () => {
  const root = tempRoot();
  writeRun(root, { dir: 'a/seed-1', seed: 1, testAcc: [0.5, 0.6, 0.7], epochSeconds: [10, 2, 4] });
  writeRun(root, { dir: 'one/seed-1', seed: 1, testAcc: [0.5], epochSeconds: [7], config: { epochs: 1 } });
  const comparison = await compareRuns([root]);
  const means = comparison.variants.map((v) => v.epochSeconds.mean).sort();
  assert.deepEqual(means, [3, 7], 'mean of epochs 2..n; a single epoch counts as it is');
});
