// `vdm compare` reads summary.json's swa_test_acc: an 'SWA top-1 %' column (in CSV and JSON too),
// none when no run has one, and a value that is not a fraction is a one-line data error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compareRuns } from '../../src/compare/index.js';
import { formatComparison } from '../../src/compare/formats.js';
import { DataError } from '../../src/errors.js';
import { tempRoot, writeRun } from './runFolders.js';

test('vdm compare shows the SWA average\'s top-1 as a column, in CSV and JSON; variants without SWA show a dash', async () => {
  const root = tempRoot();
  const run = (variant: string, seed: number, swa: number | undefined) =>
    writeRun(root, {
      dir: `exp/${variant}/seed-${seed}`, seed, variant, testAcc: [0.5, 0.6],
      config: swa === undefined ? {} : { swa: { start_epoch: 2, lr: 0.05, anneal_epochs: 10, anneal_strategy: 'cos' } },
      summary: swa === undefined ? { gradient_evaluations: 10 } : { gradient_evaluations: 10, swa_test_acc: swa, swa_test_loss: 1.2, swa_epochs_averaged: 1 },
    });
  run('baseline', 1, undefined);
  run('baseline', 2, undefined);
  run('swa', 1, 0.64);
  run('swa', 2, 0.66);
  const comparison = await compareRuns([join(root, 'exp')]);
  const table = formatComparison(comparison, 'table');
  assert.match(table, /SWA top-1 %/);
  assert.match(table, /^swa\s.*\s65\.00 ± 1\.41\s/m);
  assert.match(table, /^baseline .*\s–\s/m);
  assert.match(table, /SWA top-1: test accuracy of the run's stochastic weight average/);
  const [header, ...rows] = formatComparison(comparison, 'csv').trim().split('\n');
  const column = header!.split(',').indexOf('swa_top1_mean_pct');
  assert.ok(column >= 0, header);
  assert.deepEqual(rows.map((row) => Number(row.split(',')[column] || Number.NaN)), [Number.NaN, 65]);
  const json = JSON.parse(formatComparison(comparison, 'json'));
  assert.deepEqual(json.variants.map((v: { swaTestAcc: { n: number } }) => v.swaTestAcc.n), [0, 2]);

  const plain = tempRoot();
  writeRun(plain, { dir: 'exp/baseline/seed-1', seed: 1, variant: 'baseline', testAcc: [0.5], summary: { gradient_evaluations: 5 } });
  assert.doesNotMatch(formatComparison(await compareRuns([join(plain, 'exp')]), 'table'), /SWA top-1/);
});

test('a summary.json whose swa_test_acc is not a fraction is a one-line data error naming the file', async () => {
  const root = tempRoot();
  writeRun(root, { dir: 'exp/baseline/seed-1', seed: 1, variant: 'baseline', testAcc: [0.5], summary: { swa_test_acc: 64 } });
  await assert.rejects(compareRuns([join(root, 'exp')]), (e: unknown) => e instanceof DataError && /summary\.json: swa_test_acc: expected a fraction in \[0, 1\], got 64$/.test(e.message));
});

test('a variant that adds the swa: block is not warned about the block\'s defaults it did not write', async () => {
  const root = tempRoot();
  for (const seed of [1, 2]) {
    writeRun(root, { dir: `exp/plain/seed-${seed}`, seed, variant: 'plain', overrides: {}, testAcc: [0.5] });
    writeRun(root, {
      dir: `exp/swa/seed-${seed}`, seed, variant: 'swa', testAcc: [0.5],
      overrides: { swa: { start_epoch: 2, lr: 0.05 } },
      config: { epochs: 4, swa: { start_epoch: 2, lr: 0.05, anneal_epochs: 10, anneal_strategy: 'cos' } },
      summary: { swa_test_acc: 0.6 },
    });
  }
  const { warnings } = await compareRuns([join(root, 'exp')]);
  assert.deepEqual(warnings.filter((w) => w.includes('declared overrides')), ["variant 'swa' differs from baseline 'plain' beyond its declared overrides: epochs (4 vs 3)"]);
});
