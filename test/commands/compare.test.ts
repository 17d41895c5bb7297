import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCompare } from '../../src/commands/compare.js';
import { DataError, exitCodeFor, UsageError } from '../../src/errors.js';
import { tempRoot, writeExperiment } from '../compare/runFolders.js';

describe('runCompare', async () => {
  const root = tempRoot();
  const experiment = writeExperiment(root);

  it('returns the terminal table by default', async () => {
    const text = await runCompare([experiment]);
    assert.match(text, /^exp: comparison against baseline\n\nVariant\s+Runs\s+Final top-1 %/);
    assert.match(text, /\nlog\s+4\/5\s+73\.05 ± 0\.74/);
  });

  it('returns parseable JSON and CSV even when writing files', async () => {
    const out = join(tempRoot(), 'out');
    const json = JSON.parse(await runCompare([experiment], { format: 'json', out }));
    assert.equal(json.variants.length, 2);
    assert.ok(existsSync(join(out, 'report.html')));
    const csv = await runCompare([experiment], { format: 'csv' });
    assert.match(csv, /^variant,is_baseline,runs,completed,final_top1_mean_pct,/);
  });

  it('says where it wrote the report', async () => {
    const report = join(tempRoot(), 'report.html');
    const text = await runCompare([experiment], { report });
    assert.ok(text.endsWith(`Wrote ${report}\n`));
    assert.match(readFileSync(report, 'utf8'), /<h1>exp: comparison against baseline<\/h1>/);
  });

  it('passes --baseline and --include-incomplete through', async () => {
    const text = await runCompare([experiment], { baseline: 'log', includeIncomplete: true, format: 'json' });
    const parsed = JSON.parse(text);
    assert.equal(parsed.baseline, 'log');
    assert.equal(parsed.excluded.length, 0);
  });

  it('rejects a bad format and a missing folder with exit code 2', async () => {
    await assert.rejects(runCompare([experiment], { format: 'xml' }), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, "--format 'xml' is not a format; valid: table, markdown, csv, json");
      assert.equal(exitCodeFor(error), 2);
      return true;
    });
    await assert.rejects(runCompare([join(root, 'nothing')]), (error: Error) => error instanceof DataError && exitCodeFor(error) === 2);
  });
});
