// The quickstart-sized flat-minima shoot-out (configs/experiments/flat-minima-quickstart.yaml) end
// to end, shortened by the test's own overrides (4 epochs on 256 digits, so SWA averages the last;
// the README's table comes
// from the full file), then its report in headless Chromium: no console errors, a row per variant
// (flood without a step-size control), the accuracy_vs_compute plot drawn with a size.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src/commands/run.js';
import { inReportPage, noBrowser } from '../helpers/reportPage.js';

const FILE = fileURLToPath(new URL('../../configs/experiments/flat-minima-quickstart.yaml', import.meta.url));
const VARIANTS = ['baseline', 'asam', 'baseline~compute', 'flood', 'log', 'log~step', 'sam', 'swa'];

describe('the flat-minima shoot-out at quickstart size, shortened', async () => {
  const output = mkdtempSync(join(tmpdir(), 'vdm-flat-minima-'));
  const set = ['epochs=4', 'dataset.subset.train=256', 'dataset.subset.test=128', `output=${output}`];
  const lines: string[] = [];
  await runCommand(FILE, { set, name: 'flat-minima-ci' }, (line) => lines.push(line));
  const root = join(output, 'flat-minima-ci');
  const report = join(root, 'report.html');
  const comparison = JSON.parse(readFileSync(join(root, 'comparison', 'comparison.json'), 'utf8'));
  const byLabel = Object.fromEntries(comparison.variants.map((v: { label: string }) => [v.label, v]));

  it('trains every variant and control on both seeds, and says why flood has no step-size control', () => {
    assert.deepEqual(comparison.variants.map((v: { label: string }) => v.label), VARIANTS);
    for (const label of VARIANTS) assert.equal(byLabel[label].completed, 2, label);
    assert.ok(lines.some((line) => line.startsWith("note: step_matched: no flood~step: variant 'flood' trains with flood, which is not monotone")), lines.join('\n'));
  });

  it('matches SAM and ASAM with baseline~compute: the same gradient evaluations, twice the baseline\'s', () => {
    // 256 digits / 64 a batch = 4 steps an epoch, 4 epochs; SWA's BatchNorm pass is forward-only.
    assert.deepEqual(['baseline', 'sam', 'asam', 'baseline~compute', 'log', 'swa'].map((label) => byLabel[label].gradientEvaluations.mean), [16, 32, 32, 32, 16, 16]);
    for (const label of ['sam', 'asam']) assert.equal(byLabel[label].vsCompute.label, 'baseline~compute', label);
    for (const label of ['baseline', 'log', 'flood', 'log~step', 'baseline~compute', 'swa']) assert.equal(byLabel[label].vsCompute, null, label);
    assert.equal(byLabel.log.vsControl.label, 'log~step');
  });

  it('records the SWA average of epoch 4 as its own top-1, and only for the swa runs', () => {
    assert.equal(byLabel.swa.swaTestAcc.n, 2);
    for (const value of byLabel.swa.swaTestAcc.values) assert.ok(value > 0 && value <= 1, String(value));
    for (const label of VARIANTS.filter((l) => l !== 'swa')) assert.equal(byLabel[label].swaTestAcc.n, 0, label);
  });

  it('its report loads in headless Chromium: a row per variant, the accuracy_vs_compute plot drawn', { skip: noBrowser }, async () => {
    const { facts, problems } = await inReportPage<{ header: string[]; rows: string[][]; plot: { width: number; height: number; marks: number } | null }>(
      report,
      // Runs in the page.
      `(() => {
        const results = document.querySelector('h2 + .table-box table');
        const header = [...results.querySelectorAll('thead th')].map((cell) => cell.textContent);
        const rows = [...results.querySelectorAll('tbody tr')].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent));
        const figure = document.querySelector('figure[aria-label="Final test top-1 accuracy against gradient evaluations"] > svg');
        const box = figure ? figure.getBoundingClientRect() : null;
        const marks = figure ? figure.querySelectorAll('path, text').length : 0;
        return { header, rows, plot: box && { width: box.width, height: box.height, marks } };
      })()`,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(facts.rows.map((row) => row[0]), VARIANTS);
    const computeColumn = facts.header.indexOf('Δ vs ~compute pp [95% CI]');
    assert.ok(computeColumn > 0, facts.header.join(' | '));
    const cell = (label: string) => facts.rows.find((row) => row[0] === label)![computeColumn];
    assert.match(cell('sam')!, /^[+-]\d+\.\d\d \[/);
    assert.match(cell('asam')!, /^[+-]\d+\.\d\d \[/);
    assert.equal(cell('log'), '');
    assert.ok(facts.plot !== null, 'the accuracy_vs_compute plot is in the report');
    assert.ok(facts.plot.width > 300 && facts.plot.height > 200, `${facts.plot.width}×${facts.plot.height}`);
    assert.ok(facts.plot.marks > 20, `axes, points and labels drawn: ${facts.plot.marks} marks`);
  });
});
