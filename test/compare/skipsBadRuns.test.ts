// One bad run folder does not stop a comparison: it is skipped with a warning naming its file;
// and the comparison's own files appear whole or not at all.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSystemError } from '../../src/errors.js';
import { compareRuns } from '../../src/compare/index.js';
import { writeComparisonOutputs } from '../../src/compare/writeOutputs.js';
import { runCli } from '../helpers/cli.js';
import { metricsCsv, tempRoot, writeRun } from './runFolders.js';

/** Three good runs and one made bad by `spoil`; returns the root and the bad run's folder. */
function withOneBadRun(spoil: (dir: string) => void): { root: string; bad: string } {
  const root = tempRoot();
  for (const seed of [1, 2, 3]) writeRun(root, { dir: `exp/seed-${seed}`, seed, testAcc: [0.5, 0.6] });
  const bad = writeRun(root, { dir: 'exp/seed-4', seed: 4, testAcc: [0.5, 0.6] });
  spoil(bad);
  return { root, bad };
}

const BAD_RUNS: [string, (dir: string) => void, (dir: string) => RegExp][] = [
  [
    'a metrics.csv missing one column',
    (d) => {
      const csv = metricsCsv({ dir: '', seed: 4, testAcc: [0.5, 0.6] }).split('\n').map((line) => line.split(',').filter((_, i) => i !== 5).join(',')).join('\n');
      writeFileSync(join(d, 'metrics.csv'), csv);
    },
    (d) => new RegExp(`skipped a run: ${d}/metrics\\.csv:1: header lacks test_acc`),
  ],
  ['a run.json that is not JSON', (d) => writeFileSync(join(d, 'run.json'), '{"status": '), (d) => new RegExp(`skipped a run: ${d}/run\\.json(:\\d+)?: not valid JSON`)],
  ['a run.json without a status', (d) => writeFileSync(join(d, 'run.json'), '{}'), (d) => new RegExp(`skipped a run: ${d}/run\\.json: status: `)],
  ['a config.yaml that is not YAML', (d) => writeFileSync(join(d, 'config.yaml'), 'model: [1,\n'), (d) => new RegExp(`skipped a run: ${d}/config\\.yaml:\\d+: not valid YAML`)],
  ['a run with no metrics.csv yet', (d) => rmSync(join(d, 'metrics.csv')), (d) => new RegExp(`skipped a run: ${d}: has run\\.json but no metrics\\.csv`)],
  ['an unreadable metrics.csv (a folder)', (d) => { rmSync(join(d, 'metrics.csv')); mkdirSync(join(d, 'metrics.csv')); }, (d) => new RegExp(`skipped a run: ${d}/metrics\\.csv: cannot read metrics\\.csv: it is a directory; expected a regular file$`)],
];

describe('compare skips a bad run with a warning and compares the rest', () => {
  for (const [title, spoil, warning] of BAD_RUNS) {
    it(title, async () => {
      const { root, bad } = withOneBadRun(spoil);
      const comparison = await compareRuns([root]);
      assert.equal(comparison.variants.length, 1);
      assert.deepEqual(comparison.variants[0]!.runs.map((r) => r.seed), [1, 2, 3], 'the three good runs count');
      const skipped = comparison.warnings.filter((w) => w.startsWith('skipped a run'));
      assert.equal(skipped.length, 1, comparison.warnings.join('\n'));
      assert.match(skipped[0]!, warning(bad));
      assert.ok(!skipped[0]!.includes('\n'));
    });
  }
});

test('vdm compare with a bad run: exit 0, the warning in the output, the others compared', () => {
  const { root, bad } = withOneBadRun((d) => writeFileSync(join(d, 'run.json'), 'nope'));
  const result = runCli(['compare', root]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`Warning: skipped a run: ${bad}/run\\.json(:\\d+)?: not valid JSON`));
});

test('a comparison file that cannot be written is one error naming it; the previous file stays whole', async () => {
  const { root } = withOneBadRun(() => {});
  const comparison = await compareRuns([root]);
  const out = join(tempRoot(), 'comparison');
  mkdirSync(out);
  writeFileSync(join(out, 'comparison.json'), '{"previous": true}\n');
  // The temporary file comparison.json is written through is a full disk.
  process.env.VDM_TEST_FULL_DISK = 'comparison.json';
  await assert.rejects(writeComparisonOutputs(comparison, { out }).finally(() => delete process.env.VDM_TEST_FULL_DISK), (error: unknown) => {
    assert.ok(error instanceof FileSystemError, String(error));
    assert.equal(error.message, `cannot write ${join(out, 'comparison.json')}: no space left on device (ENOSPC)`);
    return true;
  });
  assert.equal(readFileSync(join(out, 'comparison.json'), 'utf8'), '{"previous": true}\n');
  assert.deepEqual(readdirSync(out).filter((name) => name.includes('.tmp-')), [], 'no temporary left behind');
});
