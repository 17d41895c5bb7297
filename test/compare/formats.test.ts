import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareRuns } from '../../src/compare/index.js';
import { formatComparison } from '../../src/compare/formats.js';
import { experimentAccuracy, experimentEpochSeconds, experimentTop5, tempRoot, writeExperiment, writeRun } from './runFolders.js';

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - avg(xs)) ** 2, 0) / (xs.length - 1));
const pct = (x: number) => (x * 100).toFixed(2);
const pm = (xs: number[]) => `${pct(avg(xs))} ± ${pct(sd(xs))}`;
const finals = (runs: number[][]) => runs.map((r) => r.at(-1)!);
const bests = (runs: number[][]) => runs.map((r) => Math.max(...r));
// scipy.stats.ttest_ind(log, baseline, equal_var=False) on the final top-1 accuracies.
const scipyFinal = { p: 0.01738287194405093, low: 0.00506978571075045, high: 0.032596880955916285 };

describe('output formats', async () => {
  const root = tempRoot();
  const comparison = await compareRuns([writeExperiment(root)]);
  const delta = avg(finals(experimentAccuracy.log)) - avg(finals(experimentAccuracy.baseline));
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${pct(x)}`;
  const expectedRows = {
    baseline: [
      'baseline',
      '3/3',
      pm(finals(experimentAccuracy.baseline)),
      pm(bests(experimentAccuracy.baseline)),
      pm(finals(experimentTop5.baseline)),
      pm(bests(experimentTop5.baseline)),
      '',
      '',
      avg(experimentEpochSeconds.baseline).toFixed(2),
      '1.00×',
    ],
    log: [
      'log',
      '4/5',
      pm(finals(experimentAccuracy.log)),
      pm(bests(experimentAccuracy.log)),
      pm(finals(experimentTop5.log)),
      pm(bests(experimentTop5.log)),
      `${signed(delta)} [${signed(scipyFinal.low)}, ${signed(scipyFinal.high)}]`,
      scipyFinal.p.toFixed(3),
      avg(experimentEpochSeconds.log).toFixed(2),
      `${(avg(experimentEpochSeconds.log) / avg(experimentEpochSeconds.baseline)).toFixed(2)}×`,
    ],
  };

  it('prints an aligned terminal table whose every figure matches the independent values', () => {
    const text = formatComparison(comparison, 'table');
    const lines = text.split('\n');
    const [title, blank, header, rule, baselineRow, logRow] = lines;
    assert.equal(title, 'exp: comparison against baseline');
    assert.equal(blank, '');
    // Flatness figures live in their own table, so this one stays narrow.
    assert.match(header!, /^Variant\s+Runs\s+Final top-1 %\s+Best top-1 %\s+Final top-5 %\s+Best top-5 %\s+Δ final top-1 pp \[95% CI\]\s+p\s+Epoch s\s+Time ×$/);
    assert.ok(header!.length < 140, `results table ${header!.length} characters wide`);
    assert.match(rule!, /^─+( +─+)+$/);
    // Numeric columns are right-aligned, so every line of the table ends at the same column.
    assert.equal(new Set([header, rule, baselineRow, logRow].map((line) => line!.length)).size, 1);
    const cells = (line: string) => line.split(/ {2,}/).map((cell) => cell.trim());
    assert.deepEqual(cells(logRow!), expectedRows.log);
    assert.deepEqual(cells(baselineRow!), expectedRows.baseline.filter((cell) => cell !== ''));
    assert.ok(lines.some((line) => /^Excluded: log seed 5 \(.*seed-5\): diverged: loss became NaN at epoch 2$/.test(line)));
  });

  it('writes the same cells as a markdown table', () => {
    const lines = formatComparison(comparison, 'markdown').split('\n');
    assert.equal(lines[0], '# exp: comparison against baseline');
    assert.equal(lines[3], '|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const cells = (line: string) => line.slice(2, -2).split(' | ');
    assert.deepEqual(cells(lines[4]!), expectedRows.baseline);
    assert.deepEqual(cells(lines[5]!), expectedRows.log);
    assert.ok(lines.some((line) => line.startsWith('- Excluded: log seed 5')));
  });

  it('writes CSV with separate numeric columns in percent', () => {
    const [header, ...rows] = formatComparison(comparison, 'csv').trim().split('\n');
    const columns = header!.split(',');
    const log = Object.fromEntries(rows[1]!.split(',').map((cell, i) => [columns[i], cell]));
    assert.equal(rows.length, 2);
    assert.equal(log.variant, 'log');
    assert.equal(log.is_baseline, 'false');
    assert.ok(Math.abs(Number(log.final_top1_mean_pct) - avg(finals(experimentAccuracy.log)) * 100) < 1e-9);
    assert.ok(Math.abs(Number(log.final_top1_std_pct) - sd(finals(experimentAccuracy.log)) * 100) < 1e-9);
    assert.ok(Math.abs(Number(log.final_top1_p_value) - scipyFinal.p) < 1e-6);
    assert.ok(Math.abs(Number(log.final_top1_delta_ci_low_pp) - scipyFinal.low * 100) < 1e-6);
    assert.ok(Math.abs(Number(log.final_top1_delta_ci_high_pp) - scipyFinal.high * 100) < 1e-6);
    assert.equal(log['sharpness_mean'], '1');
    const baseline = Object.fromEntries(rows[0]!.split(',').map((cell, i) => [columns[i], cell]));
    assert.equal(baseline.final_top1_p_value, '');
  });

  it('writes JSON that parses back to the comparison, with units', () => {
    const parsed = JSON.parse(formatComparison(comparison, 'json'));
    assert.match(parsed.units.accuracy, /fraction/);
    assert.equal(parsed.baseline, 'baseline');
    const log = parsed.variants[1];
    assert.deepEqual(log.accuracy.finalTop1.values, finals(experimentAccuracy.log));
    assert.ok(Math.abs(log.vsBaseline.finalTop1.pValue - scipyFinal.p) < 1e-6);
    assert.equal(parsed.excluded[0].seed, 5);
    assert.deepEqual(parsed.configDifferences.map((d: { key: string }) => d.key), ['vdm.a', 'vdm.b', 'vdm.name']);
  });

  it('shows missing figures as dashes and no delta columns without a baseline', async () => {
    const lone = tempRoot();
    writeRun(lone, { dir: 'x/seed-1', seed: 1, testAcc: [0.25], config: { vdm: { name: 'log' } } });
    const text = formatComparison(await compareRuns([lone]), 'table');
    assert.doesNotMatch(text, /Δ|Time ×/);
    assert.match(text.split('\n')[4]!, /^resnet20-c100\s+1\/1\s+25\.00\s+25\.00\s+2\.00$/);
    assert.match(text, /Warning: variant 'resnet20-c100' has 1 usable run/);
  });
});
