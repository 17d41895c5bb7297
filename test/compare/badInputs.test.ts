import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataError, UsageError } from '../../src/errors.js';
import { compareRuns } from '../../src/compare/index.js';
import { parseMetricsCsv } from '../../src/compare/metricsCsv.js';
import { tempRoot, writeRun } from './runFolders.js';

const header = 'epoch,lr,train_loss,train_acc,test_loss,test_acc,deformed_loss,grad_scale,epoch_seconds,images_per_s';

describe('metrics.csv validation', () => {
  const cases: [string, string, RegExp][] = [
    ['an empty file', '', /^m\.csv: empty; expected the header epoch,lr,/],
    ['a header without test_acc', 'epoch,lr\n1,0.1\n', /^m\.csv:1: header lacks train_loss, train_acc, test_loss, test_acc, /],
    ['a short row', `${header}\n1,0.1,2,0.5,1.5,0.6,,1,2,1000\n2,0.1,2\n`, /^m\.csv:3: 3 fields but the header has 10$/],
    ['a long row', `${header}\n1,0.1,2,0.5,1.5,0.6,,1,2,1000,7\n`, /^m\.csv:2: 11 fields but the header has 10$/],
    ['a word for a number', `${header}\n1,0.1,2,0.5,1.5,high,,1,2,1000\n`, /^m\.csv:2: test_acc 'high' is not a number$/],
    ['epochs out of order', `${header}\n2,0.1,2,0.5,1.5,0.6,,1,2,1000\n1,0.1,2,0.5,1.5,0.6,,1,2,1000\n`, /^m\.csv:3: epoch '1' should be an integer above the previous row's 2$/],
  ];
  for (const [name, text, expected] of cases) {
    it(`rejects ${name} with one line naming file and line`, () => {
      assert.throws(() => parseMetricsCsv(text, 'm.csv'), (error: Error) => {
        assert.ok(error instanceof DataError);
        assert.match(error.message, expected);
        assert.ok(!error.message.includes('\n'));
        return true;
      });
    });
  }

  it('reads empty cells as null, keeps NaN from a diverged epoch, and notes top-5', () => {
    const parsed = parseMetricsCsv(`${header}\r\n1,0.1,nan,0.5,1.5,0.6,,1,2,1000\r\n`, 'm.csv');
    assert.equal(parsed.hasTop5, false);
    assert.equal(parsed.rows.length, 1);
    assert.equal(parsed.rows[0]!.deformed_loss, null);
    assert.ok(Number.isNaN(parsed.rows[0]!.train_loss));
    assert.equal(parsed.rows[0]!.test_top5, null);
    assert.equal(parsed.rows[0]!.test_acc, 0.6);
  });
});

describe('run folder validation', () => {
  function brokenRun(change: (dir: string) => void): string {
    const root = tempRoot();
    const dir = writeRun(root, { dir: 'r/seed-1', seed: 1, testAcc: [0.5] });
    change(dir);
    return root;
  }
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['a folder with run.json but no metrics.csv', (d) => rmSync(join(d, 'metrics.csv')), /seed-1: has run\.json but no metrics\.csv; not a run folder$/],
    ['a folder with metrics.csv but no run.json', (d) => rmSync(join(d, 'run.json')), /seed-1: has metrics\.csv but no run\.json; not a run folder$/],
    ['a run without config.yaml', (d) => rmSync(join(d, 'config.yaml')), /config\.yaml: missing; a run folder holds the resolved config/],
    ['run.json that is not JSON', (d) => writeFileSync(join(d, 'run.json'), '{\n  "status": "completed",\n  oops\n}'), /run\.json:3: not valid JSON/],
    ['run.json with an unknown status', (d) => writeFileSync(join(d, 'run.json'), '{"status": "done"}'), /run\.json: status: .*"running"/],
    ['config.yaml that is not YAML', (d) => writeFileSync(join(d, 'config.yaml'), 'a: 1\nb: [1, 2\n'), /config\.yaml:\d+: not valid YAML/],
    ['config.yaml that is a list', (d) => writeFileSync(join(d, 'config.yaml'), '- 1\n'), /config\.yaml: expected a mapping/],
    ['metrics.csv with mismatched columns', (d) => writeFileSync(join(d, 'metrics.csv'), `${header}\n1,2\n`), /metrics\.csv:2: 2 fields but the header has 10/],
    ['flatness.json that is not an object', (d) => writeFileSync(join(d, 'flatness.json'), '[1]'), /flatness\.json: expected a JSON object/],
  ];
  for (const [name, change, expected] of cases) {
    it(`rejects ${name} with one line`, async () => {
      const root = brokenRun(change);
      await assert.rejects(compareRuns([root]), (error: Error) => {
        assert.ok(error instanceof DataError, String(error));
        assert.match(error.message, expected);
        assert.ok(!error.message.includes('\n'), error.message);
        return true;
      });
    });
  }

  it('rejects an empty folder, a missing folder, a file and no input at all', async () => {
    const root = tempRoot();
    mkdirSync(join(root, 'empty/deeper'), { recursive: true });
    await assert.rejects(compareRuns([join(root, 'empty')]), /empty: no run folders found \(a run folder holds run\.json and metrics\.csv\)$/);
    await assert.rejects(compareRuns([join(root, 'missing')]), /missing: no such folder$/);
    writeFileSync(join(root, 'file.txt'), 'x');
    await assert.rejects(compareRuns([join(root, 'file.txt')]), /file\.txt: is a file; expected a run folder/);
    await assert.rejects(compareRuns([]), UsageError);
  });

  it('excludes a run with no epochs yet, whatever its status', async () => {
    const root = tempRoot();
    writeRun(root, { dir: 'r/seed-1', seed: 1, testAcc: [0.5] });
    writeRun(root, { dir: 'r/seed-2', seed: 2, testAcc: [], status: 'running' });
    const comparison = await compareRuns([root], { includeIncomplete: true });
    assert.deepEqual(comparison.excluded.map((r) => [r.seed, r.reason]), [[2, 'no epochs recorded']]);
  });
});
