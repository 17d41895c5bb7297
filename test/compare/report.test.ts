// The report's parts added for issue 13: Holm-corrected p, the settings table, flatness as its
// own table with Δ/CI/p, and the warning for a power iteration stopped at its cap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareRuns } from '../../src/compare/index.js';
import { formatComparison } from '../../src/compare/formats.js';
import { htmlReport } from '../../src/compare/report.js';
import { holmAdjust, welchDelta } from '../../src/compare/statistics.js';
import { displayTable } from '../../src/compare/table.js';
import { tempRoot, writeRun } from './runFolders.js';

describe('holmAdjust', () => {
  it('matches a hand-computed example', () => {
    // Sorted: 0.005 x4 = 0.02; 0.01 x3 = 0.03; 0.03 x2 = 0.06; 0.04 x1 = 0.04 -> raised to 0.06 (monotone).
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    const expected = [0.03, 0.06, 0.06, 0.02];
    adjusted.forEach((p, i) => assert.ok(Math.abs(p! - expected[i]!) < 1e-12, `${i}: ${p} vs ${expected[i]}`));
  });

  it('leaves untested entries out of m and caps at 1', () => {
    assert.deepEqual(holmAdjust([0.2, null, 0.5]), [0.4, null, 0.5]);
    assert.deepEqual(holmAdjust([0.6, 0.7]), [1, 1]);
    assert.deepEqual(holmAdjust([0.3]), [0.3]);
  });
});

/** Final accuracies per variant (3 epochs each; only the last one differs between seeds). */
const finals = { baseline: [0.7, 0.71, 0.69], fast: [0.75, 0.74, 0.76], slow: [0.7, 0.72, 0.7] };
const lambdas = { baseline: [10, 12, 11], fast: [5, 6, 7], slow: [10, 11, 13] };

function writeThreeVariants(): string {
  const root = tempRoot();
  for (const [variant, accuracies] of Object.entries(finals)) {
    accuracies.forEach((final, i) => {
      const capped = variant === 'slow' && i === 0;
      writeRun(root, {
        dir: `exp/${variant}/seed-${i + 1}`,
        seed: i + 1,
        variant,
        testAcc: [0.5, 0.6, final],
        config: variant === 'baseline' ? {} : { optimizer: { lr: variant === 'fast' ? 0.2 : 0.05 }, vdm: { name: 'log', a: 1 } },
        flatness: {
          hessian_top_eigenvalue: lambdas[variant as keyof typeof lambdas][i],
          hessian_trace_stderr: 1 + i,
          settings: { samples: 512, iterations: 20, iterations_run: capped ? 20 : 7, converged: !capped, probes: 10 },
        },
      });
    });
  }
  return root;
}

describe('report of three variants', async () => {
  const root = writeThreeVariants();
  const comparison = await compareRuns([root]);
  const table = displayTable(comparison);

  it('Holm-corrects the p-values of the two variants against the baseline, and says so', () => {
    assert.equal(comparison.holmCorrected, true);
    const raw = (['fast', 'slow'] as const).map((v) => welchDelta(finals[v], finals.baseline)!.pValue!);
    // Two tests: the smaller p doubles; the larger stays (or is raised to the first).
    const low = Math.min(...raw);
    const expected = raw.map((p) => (p === low ? 2 * p : Math.max(p, 2 * low)));
    const [fast, slow] = comparison.variants.slice(1).map((v) => v.vsBaseline!.finalTop1!);
    assert.ok(Math.abs(fast!.pHolm! - expected[0]!) < 1e-12);
    assert.ok(Math.abs(slow!.pHolm! - Math.min(1, expected[1]!)) < 1e-12);
    assert.ok(Math.abs(fast!.pValue! - raw[0]!) < 1e-12, 'raw p kept');
    const pHolmColumn = table.header.indexOf('p (Holm)');
    assert.ok(pHolmColumn > table.header.indexOf('p'));
    assert.equal(table.rows[1]![pHolmColumn], fast!.pHolm!.toFixed(3));
    assert.ok(table.legend.some((line) => /p \(Holm\): 2 variants are tested against 'baseline'/.test(line)));
    assert.ok(table.legend.some((line) => /Time × is wall-clock time.*first epoch/.test(line)));
  });

  it('names the experiment in the title', () => {
    assert.equal(table.title, 'exp: comparison against baseline');
  });

  it('shows the settings: shared ones once, differing ones per variant, with seeds', () => {
    assert.ok(table.sharedSettings.includes('Model: resnet20'));
    assert.ok(table.sharedSettings.includes('Data set: cifar100'));
    assert.ok(table.sharedSettings.includes('Epochs: 3'));
    assert.ok(table.sharedSettings.includes('Batch: 128'));
    assert.ok(table.sharedSettings.includes('Backend: cpu'));
    assert.ok(table.sharedSettings.some((line) => line.startsWith('Optimizer: sgd (momentum 0.9')));
    assert.ok(!table.sharedSettings.some((line) => line.startsWith('SWA')), 'no SWA line where no variant averages');
    assert.deepEqual(table.settings.header, ['Variant', 'lr', 'VDM', 'Seeds']);
    assert.deepEqual(table.settings.rows, [
      ['baseline', '0.1', 'none (apply batch, normalize none, start_epoch 1)', '1, 2, 3'],
      ['fast', '0.2', 'log (apply batch, normalize none, start_epoch 1, a 1)', '1, 2, 3'],
      ['slow', '0.05', 'log (apply batch, normalize none, start_epoch 1, a 1)', '1, 2, 3'],
    ]);
  });

  it('puts flatness in its own table with Δ, CI, p and p (Holm), and its settings outside the numbers', () => {
    assert.ok(!table.header.some((title) => title.includes('hessian')));
    const flatness = table.flatness!;
    assert.deepEqual(flatness.header, ['Figure', 'Variant', 'Mean ± std', 'Δ vs baseline [95% CI]', 'p', 'p (Holm)']);
    const fastRow = flatness.rows.find((row) => row[1] === 'fast')!;
    const delta = welchDelta(lambdas.fast, lambdas.baseline)!;
    assert.equal(fastRow[0], 'hessian_top_eigenvalue');
    assert.equal(fastRow[2], '6 ± 1');
    assert.match(fastRow[3]!, new RegExp(`^-5 \\[${Number(delta.ciLow!.toPrecision(4))}, ${Number(delta.ciHigh!.toPrecision(4))}\\]$`));
    assert.equal(fastRow[4], delta.pValue!.toFixed(3));
    assert.ok(!flatness.rows.some((row) => /samples|iterations/.test(row[0]!)), 'settings are not figures');
    assert.ok(!flatness.rows.some((row) => row[0]!.endsWith('_stderr')), "an estimator's standard error is not tested");
    assert.ok(table.flatnessLegend.some((line) => /Flatness settings: .*iterations 20.*samples 512/.test(line)));
  });

  it('warns when a power iteration stopped at its cap, naming the run', () => {
    const warning = comparison.warnings.find((w) => w.includes('--iterations cap'));
    assert.ok(warning, comparison.warnings.join('\n'));
    assert.match(warning!, /in 1 of 9 runs \([^)]*slow\/seed-1\)/);
    assert.doesNotMatch(warning!, /fast|baseline/);
  });

  it('writes the same figures in every format', () => {
    const text = formatComparison(comparison, 'table');
    const widest = Math.max(...text.split('\n').filter((line) => !/^(Warning|Excluded):/.test(line)).map((line) => line.length));
    assert.ok(widest <= 120, `terminal tables ${widest} characters wide`);
    assert.match(text, /^Settings$/m);
    assert.match(text, /^Flatness$/m);
    const markdown = formatComparison(comparison, 'markdown');
    assert.match(markdown, /^## Settings$/m);
    assert.match(markdown, /^\| fast \| 0\.2 \|/m);
    assert.match(markdown, /^\| hessian_top_eigenvalue \| fast \| 6 ± 1 \|/m);
    const [header, , fastLine] = formatComparison(comparison, 'csv').trim().split('\n');
    // Cells with commas (the optimizer's parameters) are quoted.
    const cells = (line: string) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((cell) => cell.replace(/,$/, ''));
    const fast = Object.fromEntries(cells(fastLine!).map((cell, i) => [header!.split(',')[i], cell]));
    assert.equal(Number(fast.final_top1_p_holm), Number(comparison.variants[1]!.vsBaseline!.finalTop1!.pHolm!.toPrecision(12)));
    assert.equal(Number(fast.hessian_top_eigenvalue_delta), -5);
    assert.equal(fast.setting_lr, '0.2');
    assert.equal(fast.hessian_trace_stderr_mean, '2');
    const json = JSON.parse(formatComparison(comparison, 'json'));
    assert.equal(json.variants[1].settings.lr, '0.2');
    assert.equal(json.holmCorrected, true);
    const html = htmlReport(comparison, table, [], new Date(0));
    assert.match(html, /<title>exp: comparison against baseline<\/title>/);
    assert.match(html, /<th>p \(Holm\)<\/th>|<th class="num">p \(Holm\)<\/th>/);
    assert.match(html, /<h2>Settings<\/h2>/);
    assert.match(html, /<h2>Flatness<\/h2>/);
    assert.match(html, /--iterations cap/);
  });

  it('has no Holm column with a single variant against the baseline', async () => {
    const pair = tempRoot();
    for (const variant of ['baseline', 'fast'] as const) {
      finals[variant].forEach((final, i) => writeRun(pair, { dir: `exp/${variant}/seed-${i + 1}`, seed: i + 1, variant, testAcc: [0.5, final], config: variant === 'fast' ? { optimizer: { lr: 0.2 } } : {} }));
    }
    const single = await compareRuns([pair]);
    assert.equal(single.holmCorrected, false);
    assert.ok(!displayTable(single).header.includes('p (Holm)'));
  });
});
