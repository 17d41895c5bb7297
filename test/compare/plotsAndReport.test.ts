import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { UsageError } from '../../src/errors.js';
import { compareRuns } from '../../src/compare/index.js';
import { comparisonPlots } from '../../src/compare/plots.js';
import { renderPng, renderSvg } from '../../src/compare/render.js';
import { writeComparisonOutputs } from '../../src/compare/writeOutputs.js';
import { tempRoot, writeExperiment, writeRun } from './runFolders.js';

interface XmlNode {
  [tag: string]: XmlNode[] | Record<string, string> | string;
}

/** Every element (tag, attributes) in document order, from fast-xml-parser's ordered output. */
function elements(nodes: XmlNode[]): { tag: string; attrs: Record<string, string> }[] {
  return nodes.flatMap((node) => {
    const tag = Object.keys(node).find((key) => key !== ':@')!;
    const attrs = (node[':@'] as Record<string, string> | undefined) ?? {};
    const children = Array.isArray(node[tag]) ? (node[tag] as XmlNode[]) : [];
    return tag === '#text' ? [] : [{ tag, attrs }, ...elements(children)];
  });
}

function parseSvg(svg: string) {
  assert.equal(XMLValidator.validate(svg), true, 'SVG is well-formed XML');
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true });
  return elements(parser.parse(svg) as XmlNode[]);
}

/** Groups vega emits for one mark item series, e.g. one line per colour. */
function markGroups(svg: string, markClass: string) {
  return parseSvg(svg).filter((el) => el.tag === 'g' && (el.attrs.class ?? '').startsWith(`${markClass} role-mark`));
}

describe('plots', async () => {
  const root = tempRoot();
  const comparison = await compareRuns([writeExperiment(root)]);
  const plots = comparisonPlots(comparison);
  const svgs = new Map<string, string>();
  for (const plot of plots) svgs.set(plot.name, await renderSvg(plot.spec));

  it('makes the four plots', () => {
    assert.deepEqual([...svgs.keys()], ['test_accuracy', 'train_loss', 'grad_scale', 'final_accuracy']);
  });

  it('draws one mean line and one min-max band per variant, in distinct colours', () => {
    for (const name of ['test_accuracy', 'train_loss', 'grad_scale']) {
      const svg = svgs.get(name)!;
      const lines = markGroups(svg, 'mark-line');
      assert.equal(lines.length, 2, `${name}: one line series per variant`);
      assert.equal(markGroups(svg, 'mark-area').length, 2, `${name}: one band per variant`);
      const strokes = parseSvg(svg)
        .filter((el) => el.tag === 'path' && el.attrs['aria-roledescription'] === 'line mark')
        .map((el) => el.attrs.stroke);
      assert.equal(new Set(strokes).size, 2, `${name}: ${strokes}`);
      for (const label of ['baseline', 'log', 'Epoch']) assert.ok(svg.includes(`>${label}</text>`), `${name} shows ${label}`);
    }
    assert.ok(svgs.get('test_accuracy')!.includes('Test top-1 accuracy (%)'));
  });

  it('shows final accuracy per variant with a mean, an error bar and every seed', () => {
    const svg = svgs.get('final_accuracy')!;
    const items = parseSvg(svg);
    const means = items.filter((el) => el.tag === 'path' && el.attrs['aria-roledescription'] === 'point');
    assert.equal(means.length, 2);
    const seedDots = items.filter((el) => el.tag === 'path' && el.attrs['aria-roledescription'] === 'circle');
    assert.equal(seedDots.length, 7);
    const errorBars = items.filter((el) => el.attrs['aria-roledescription'] === 'rule mark');
    assert.equal(errorBars.length, 2);
  });

  it('leaves out the grad_scale plot when no run recorded it', async () => {
    const plain = tempRoot();
    writeRun(plain, { dir: 'a/seed-1', seed: 1, testAcc: [0.5, 0.6], gradScale: null });
    const text = readFileSync(join(plain, 'a/seed-1/metrics.csv'), 'utf8');
    assert.match(text, /,,,2,1000/); // deformed_loss and grad_scale cells are empty
    const names = comparisonPlots(await compareRuns([plain])).map((plot) => plot.name);
    assert.deepEqual(names, ['test_accuracy', 'train_loss', 'final_accuracy']);
  });

  it('renders a PNG that decodes at twice the SVG size and is not blank', () => {
    const svg = svgs.get('test_accuracy')!;
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    const height = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
    const buffer = renderPng(svg);
    assert.deepEqual([...buffer.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const png = PNG.sync.read(buffer);
    assert.equal(png.width, width * 2);
    assert.equal(png.height, height * 2);
    let coloured = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (png.data[i]! < 200 || png.data[i + 2]! < 200) coloured++;
    }
    assert.ok(coloured > 1000, `PNG has drawn pixels (${coloured})`);
  });
});

describe('writeComparisonOutputs', async () => {
  const root = tempRoot();
  const experiment = writeExperiment(root);
  const comparison = await compareRuns([experiment]);

  it('writes every format, the plots as SVG and PNG, and the report', async () => {
    const out = join(tempRoot(), 'comparison');
    const report = join(tempRoot(), 'nested', 'report.html');
    const written = await writeComparisonOutputs(comparison, { out, report });
    const expected = [
      'comparison.txt',
      'comparison.md',
      'comparison.csv',
      'comparison.json',
      ...['test_accuracy', 'train_loss', 'grad_scale', 'final_accuracy'].flatMap((n) => [`plots/${n}.svg`, `plots/${n}.png`]),
      'report.html',
    ].map((name) => join(out, name));
    assert.deepEqual(written, [...expected, report]);
    for (const path of written) assert.ok(existsSync(path), path);
    const parsed = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    assert.equal(parsed.baseline, 'baseline');
    PNG.sync.read(readFileSync(join(out, 'plots/final_accuracy.png')));
  });

  it('builds a self-contained HTML report with table, plots, config differences and runs', async () => {
    const report = join(tempRoot(), 'report.html');
    await writeComparisonOutputs(comparison, { report });
    const html = readFileSync(report, 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
    assert.doesNotMatch(html, /<script|<link|src="http|href="http/);
    assert.match(html, /<td class="num">73\.05 ± 0\.74<\/td>/);
    assert.match(html, /<td>vdm\.name<\/td><td>none<\/td><td>log<\/td>/);
    assert.match(html, /<td>vdm\.a<\/td><td>\(unset\)<\/td><td>1<\/td>/);
    assert.match(html, /no: diverged: loss became NaN at epoch 2/);
    assert.match(html, /Welch 95% CI/);
  });

  it('refuses to write into a run folder', async () => {
    await assert.rejects(
      writeComparisonOutputs(comparison, { out: join(experiment, 'log', 'seed-1') }),
      (error: Error) => error instanceof UsageError && /is a run folder/.test(error.message),
    );
    await assert.rejects(writeComparisonOutputs(comparison, { report: join(experiment, 'log', 'seed-1', 'r.html') }), UsageError);
  });
});
