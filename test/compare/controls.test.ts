// compare's second comparison: a variant V against its step-size control `V~step`, and, in
// folders from before it, against the retired learning-rate-matched `V~lr`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRuns } from '../../src/compare/index.js';
import { welchDelta } from '../../src/compare/statistics.js';
import { displayTable } from '../../src/compare/table.js';
import { formatComparison } from '../../src/compare/formats.js';
import { tempRoot, writeRun } from './runFolders.js';

const FINALS: Record<string, number[]> = { baseline: [0.9, 0.91, 0.92], log: [0.95, 0.94, 0.96] };

/** An experiment folder of baseline, log and a control `control` whose run i has `configOf(i)`. */
function writeExperiment(control: string, controlFinals: number[], configOf: (seed: number) => Record<string, unknown>): string {
  const root = tempRoot();
  const configs: Record<string, (seed: number) => Record<string, unknown>> = { baseline: () => ({}), log: () => ({ vdm: { name: 'log' } }), [control]: configOf };
  for (const [variant, accs] of Object.entries({ ...FINALS, [control]: controlFinals })) {
    accs.forEach((acc, i) => writeRun(root, { dir: `e/${variant}/seed-${i + 1}`, seed: i + 1, variant, testAcc: [0.5, acc], config: configs[variant](i + 1) }));
  }
  return root;
}

test('V gets a Welch delta against V~step, named by its smoothing; the baseline delta stays; no column without a control', async () => {
  const controlFinals = [0.93, 0.92, 0.94];
  const root = writeExperiment('log~step', controlFinals, () => ({
    vdm: { name: 'recorded_scale', steps: 'results/e/log/seed-{seed}/steps.csv', seeds: [1, 2, 3], smoothing: 'epoch_mean', ema_steps: 100 },
  }));
  const comparison = await compareRuns([root]);
  const byLabel = Object.fromEntries(comparison.variants.map((v) => [v.label, v]));
  assert.equal(comparison.baseline, 'baseline');
  assert.deepEqual(comparison.variants.map((v) => v.label), ['baseline', 'log', 'log~step'], 'per-seed source lists do not split a control');
  const control = byLabel.log.vsControl!;
  assert.equal(control.label, 'log~step');
  assert.equal(control.kind, 'step');
  assert.equal(control.smoothing, 'epoch_mean over seeds 1, 2, 3');
  assert.ok(Math.abs(control.finalTop1!.delta - 0.02) < 1e-12);
  assert.deepEqual(control.finalTop1, welchDelta(FINALS.log, controlFinals));
  assert.equal(byLabel['log~step'].vsControl, null);
  assert.ok(byLabel['log~step'].vsBaseline!.finalTop1 !== null, 'the control is compared with the baseline too');

  const table = displayTable(comparison);
  const column = table.header.indexOf('Δ vs ~step pp [95% CI]');
  assert.ok(column > 0);
  assert.ok(table.header.includes('p (~step)'));
  assert.match(table.rows.find((row) => row[0] === 'log')![column], /^\+2\.00 \[/);
  const reading = table.legend.find((line) => line.startsWith('Δ vs ~step (log):'));
  assert.ok(reading, table.legend.join('\n'));
  assert.match(reading, /log − 'baseline' = \(log~step − 'baseline'\) \+ \(log − log~step\)/);
  assert.match(reading, /smoothed by epoch_mean over seeds 1, 2, 3/);

  const [header, , logRow] = formatComparison(comparison, 'csv').split('\n').map((line) => line.split(','));
  assert.equal(logRow[0], 'log');
  assert.equal(logRow[header.indexOf('control')], 'log~step');
  assert.equal(Number(logRow[header.indexOf('final_top1_vs_control_delta_pp')]), 2);

  const plain = await compareRuns([`${root}/e/baseline`, `${root}/e/log`]);
  assert.ok(!displayTable(plain).header.includes('Δ vs ~step pp [95% CI]'));
  assert.ok(!formatComparison(plain, 'csv').includes('control'), 'no control columns without a control');
});

test('a control of one source seed a run (seeds own) is named so', async () => {
  const root = writeExperiment('log~step', [0.93, 0.92, 0.94], (seed) => ({
    vdm: { name: 'recorded_scale', steps: 'results/e/log/seed-{seed}/steps.csv', seeds: [seed], smoothing: 'ema', ema_steps: 50 },
  }));
  const comparison = await compareRuns([root]);
  assert.equal(comparison.variants.length, 3);
  assert.equal(comparison.variants.find((v) => v.label === 'log')!.vsControl!.smoothing, 'ema (50 steps) of one source seed a run');
});

test("earlier folders with the retired V~lr still compare, and the reading says it replays V", async () => {
  const root = writeExperiment('log~lr', [0.93, 0.92, 0.94], () => ({ schedule: { name: 'recorded', steps: 'results/e/log/seed-{seed}/steps.csv', warmup_epochs: 0 } }));
  const comparison = await compareRuns([root]);
  const control = comparison.variants.find((v) => v.label === 'log')!.vsControl!;
  assert.equal(control.label, 'log~lr');
  assert.equal(control.kind, 'lr');
  const table = displayTable(comparison);
  assert.ok(table.header.includes('Δ vs ~lr pp [95% CI]'));
  assert.ok(table.legend.some((line) => line.startsWith('Δ vs ~lr (log):') && /replays log/.test(line) && /step_matched/.test(line)));
});
