// log.txt and run.json's command line: a run's console output kept in its folder, one header per
// process start, the lines of a resumed run appended to the first process's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { InterruptedError } from '../../src/errors.js';
import { trainRun } from '../../src/run/trainRun.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

before(async () => {
  await selectBackend('cpu');
});

test('log.txt holds every logged line of each process after a header; run.json the command and cwd', async () => {
  const dir = writeFiles({ 'tiny.yaml': tinyConfigYaml(tempDir()) });
  const config = loadRunConfig(join(dir, 'tiny.yaml'), ['model={name: mlp, hidden: [8]}', 'dataset.size=32', 'dataset.test_size=8']);
  const console: string[] = [];
  const controller = new AbortController();
  const first = ['node', 'vdm', 'train', '-c', 'tiny.yaml'];
  await assert.rejects(
    trainRun({
      config, plain: true, log: (l) => void console.push(l), signal: controller.signal, argv: first,
      onEpochEnd: (m) => void (m.epoch === 1 && controller.abort()),
    }),
    InterruptedError,
  );
  const second = [...first, '--resume'];
  const { folder } = await trainRun({ config, plain: true, resume: true, log: (l) => void console.push(l), argv: second });

  const lines = readFileSync(join(folder.dir, 'log.txt'), 'utf8').trimEnd().split('\n');
  const headers = lines.filter((l) => l.startsWith('===='));
  assert.equal(headers.length, 2, lines.join('\n'));
  assert.match(headers[0]!, /^==== \d{4}-\d\d-\d\dT.* start: node vdm train -c tiny\.yaml \(pid \d+ on .+\) ====$/);
  assert.match(headers[1]!, /resume after epoch 1: node vdm train -c tiny\.yaml --resume/);
  assert.deepEqual(lines.filter((l) => !l.startsWith('====') && !l.startsWith('stopped: ')), console, 'every console line, in order, and only those');
  assert.ok(lines.some((l) => /^stopped: interrupted/.test(l)), 'why the first process stopped');
  assert.deepEqual(lines.filter((l) => l.startsWith('epoch ')).map((l) => l.split(' ')[1]), ['1/3', '2/3', '3/3']);
  assert.match(lines[1]!, /^backend: cpu/, 'the backend line, logged before the folder was claimed, follows the header');

  const record = JSON.parse(readFileSync(folder.runJson, 'utf8'));
  assert.deepEqual(record.command, second);
  assert.equal(record.cwd, process.cwd());
});
