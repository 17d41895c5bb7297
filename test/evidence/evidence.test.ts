// `vdm run EXPERIMENT --evidence` end to end on a tiny experiment (MLP, synthetic data, 1 epoch,
// 2 variants x 2 seeds, a few landscape points), then its report in a real browser: headless
// Chromium loads it with no console errors, every plot has a size, the table a row per variant.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCommand } from '../../src/commands/run.js';
import { inReportPage, noBrowser } from '../helpers/reportPage.js';
import { UsageError } from '../../src/errors.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';


function experimentFile(): { file: string; root: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vdm-evidence-'));
  const output = join(dir, 'results');
  const experiment = `experiment:
  seeds: [1, 2]
  variants:
    baseline: { vdm: { name: none } }
    log: {}
  evidence: { steps: 5, samples: 32 }
`;
  const file = join(dir, 'exp.yaml');
  writeFileSync(file, tinyConfigYaml(output).replace('epochs: 3', 'epochs: 1') + experiment);
  return { file, root: join(output, 'tiny') };
}

describe('vdm run --evidence', async () => {
  const { file, root } = experimentFile();
  const lines: string[] = [];
  // The flag overrides the file's evidence: block, which overrides the defaults.
  await runCommand(file, { evidence: 'grid=3,between_steps=4,iterations=4,probes=2' }, (line) => lines.push(line));
  const report = join(root, 'report.html');
  const html = readFileSync(report, 'utf8');

  it('measures the flatness of every run with the evidence settings', () => {
    for (const variant of ['baseline', 'log']) {
      for (const seed of [1, 2]) {
        const flatness = JSON.parse(readFileSync(join(root, variant, `seed-${seed}`, 'flatness.json'), 'utf8'));
        assert.equal(flatness.settings.iterations, 4);
        assert.equal(flatness.settings.probes, 2);
        assert.equal(typeof flatness.hessian_top_eigenvalue, 'number');
      }
    }
  });

  it('draws the 1-D, 2-D and interpolation landscapes into evidence/', () => {
    const svgs = readdirSync(join(root, 'evidence')).filter((name) => name.endsWith('.svg'));
    assert.equal(svgs.filter((name) => name.startsWith('1d')).length, 1, svgs.join(', '));
    assert.equal(svgs.filter((name) => name.startsWith('2d')).length, 1, svgs.join(', '));
    assert.equal(svgs.filter((name) => name.startsWith('between')).length, 1, svgs.join(', '));
    // The 1-D grid of a seed-2 run (not only the first seed's) has its 5 points.
    const csvs = readdirSync(join(root, 'log', 'seed-2', 'landscape')).filter((name) => name.startsWith('1d') && name.endsWith('.csv'));
    assert.equal(readFileSync(join(root, 'log', 'seed-2', 'landscape', csvs[0]!), 'utf8').trim().split('\n').length, 1 + 5);
  });

  it('writes one report with every table, plot and the settings appendix', () => {
    for (const heading of ['Results', 'Settings', 'Flatness', 'Plots', '1-D loss landscapes', '2-D loss landscapes', 'Interpolation between baseline and variants', 'Appendix: settings']) {
      assert.ok(html.includes(`<h2>${heading}</h2>`), heading);
    }
    assert.match(html, /<td>1-D points<\/td><td>5 on -1, 1<\/td>/);
    assert.match(html, /<td>2-D points<\/td><td>3×3 on -1, 1, first seed<\/td>/);
    assert.match(html, /<td>power iterations \(cap\)<\/td><td>4<\/td>/);
    assert.match(html, /<title>tiny: comparison against baseline<\/title>/);
    assert.ok(lines.some((line) => line.includes(`Wrote ${report}`)), lines.join('\n'));
  });

  it('checks the evidence settings before training anything', async () => {
    const other = experimentFile();
    await assert.rejects(runCommand(other.file, { evidence: 'stepz=3' }, () => {}), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /--evidence stepz: not an evidence setting; valid: samples, steps, grid/);
      return true;
    });
    assert.equal(existsSync(other.root), false);
  });

  it('loads in headless Chromium: no console errors, every plot has a size, a row per variant', { skip: noBrowser }, async () => {
    const shot = join(mkdtempSync(join(tmpdir(), 'vdm-report-shot-')), 'report.png');
    const { facts, problems } = await inReportPage<{ plots: { label: string; width: number; height: number }[]; resultRows: string[] }>(
      report,
      // Runs in the page.
      `(() => {
        const plots = [...document.querySelectorAll('figure > svg, figure > img')].map((element) => {
          const box = element.getBoundingClientRect();
          return { label: element.parentElement.getAttribute('aria-label') || '', width: box.width, height: box.height };
        });
        const results = document.querySelector('h2 + .table-box table');
        const rows = results ? [...results.querySelectorAll('tbody tr')] : [];
        return { plots, resultRows: rows.map((row) => row.querySelector('td').textContent) };
      })()`,
      (page) => page.screenshot({ path: shot, fullPage: true }).then(() => undefined),
    );
    assert.deepEqual(problems, []);
    // 4 comparison plots (accuracy, loss, grad scale, final accuracy) + 1-D + 2-D + interpolation.
    assert.equal(facts.plots.length, 7, JSON.stringify(facts.plots));
    for (const plot of facts.plots) assert.ok(plot.width > 50 && plot.height > 50, `${plot.label}: ${plot.width}×${plot.height}`);
    assert.deepEqual(facts.resultRows, ['baseline', 'log']);
    assert.ok(readFileSync(shot).length > 10_000, 'a screenshot with something on it');
  });
});
