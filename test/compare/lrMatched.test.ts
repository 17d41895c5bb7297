// compare's second comparison: a variant V against its learning-rate-matched control `V~lr`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRuns } from '../../src/compare/index.js';
import { welchDelta } from '../../src/compare/statistics.js';
import { displayTable } from '../../src/compare/table.js';
import { formatComparison } from '../../src/compare/formats.js';
import { tempRoot, writeRun } from './runFolders.js';

test('V gets a Welch delta against V~lr; the baseline delta stays; no column without a control', async () => {
  const root = tempRoot();
  const finals: Record<string, number[]> = { baseline: [0.9, 0.91, 0.92], log: [0.95, 0.94, 0.96], 'log~lr': [0.93, 0.92, 0.94] };
  const configs: Record<string, Record<string, unknown>> = {
    baseline: {},
    log: { vdm: { name: 'log' } },
    'log~lr': { schedule: { name: 'recorded', steps: 'results/e/log/seed-{seed}/steps.csv', warmup_epochs: 0 } },
  };
  for (const [variant, accs] of Object.entries(finals)) {
    accs.forEach((acc, i) => writeRun(root, { dir: `e/${variant}/seed-${i + 1}`, seed: i + 1, variant, testAcc: [0.5, acc], config: configs[variant] }));
  }
  const comparison = await compareRuns([root]);
  const byLabel = Object.fromEntries(comparison.variants.map((v) => [v.label, v]));
  assert.equal(comparison.baseline, 'baseline');
  const expected = welchDelta(finals.log, finals['log~lr'])!;
  assert.equal(byLabel.log.vsControl!.label, 'log~lr');
  assert.ok(Math.abs(byLabel.log.vsControl!.finalTop1!.delta - 0.02) < 1e-12);
  assert.deepEqual(byLabel.log.vsControl!.finalTop1, expected);
  assert.equal(byLabel['log~lr'].vsControl, null);
  assert.ok(byLabel['log~lr'].vsBaseline!.finalTop1 !== null, 'the control is compared with the baseline too');
  const table = displayTable(comparison);
  const column = table.header.indexOf('Δ vs ~lr pp [95% CI]');
  assert.ok(column > 0);
  assert.match(table.rows.find((row) => row[0] === 'log')![column], /^\+2\.00 \[/);
  assert.ok(table.legend.some((line) => line.startsWith('Δ vs ~lr:')));

  const [header, , logRow] = formatComparison(comparison, 'csv').split('\n').map((line) => line.split(','));
  assert.equal(logRow[0], 'log');
  assert.equal(logRow[header.indexOf('control')], 'log~lr');
  assert.equal(Number(logRow[header.indexOf('final_top1_vs_control_delta_pp')]), 2);

  const plain = await compareRuns([`${root}/e/baseline`, `${root}/e/log`]);
  assert.ok(!displayTable(plain).header.includes('Δ vs ~lr pp [95% CI]'));
  assert.ok(!formatComparison(plain, 'csv').includes('control'), 'no control columns without a control');
});
